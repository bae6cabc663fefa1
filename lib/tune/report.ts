/**
 * The report of a tune (tune.json, tune.md in its results folder), from its plan (plan.ts) and
 * its store:
 *   - the search: each configuration's validation Recall@20 of the fused model on the search
 *     seed, and which was selected (the best; ties to the first). Test metrics of the search are
 *     not shown: only validation chose;
 *   - the selected configuration against the untuned default one on test, over the same seeds:
 *     Recall@20 of the fused model and of each uni-modal channel, and NDCG@20 of the fused model:
 *     mean, 95% confidence interval of the mean (Student t over seeds), the relative gain, the
 *     two-sided paired t-test over seeds and over test users (lib/experiments/summary.ts); and,
 *     for a method other than plain, the plain backbone on the same seeds and its p over seeds
 *     against the selected configuration.
 * With cells still missing the report shows what is there and says how many are left.
 */
import * as fs from 'fs';
import * as path from 'path';
import { EvaluationResult } from '../eval/evaluate';
import { ModalityMask } from '../models/backbone';
import { configKey } from '../experiments/result-store';
import { RunCell, RunStore, cellConverged, cellEvaluations } from '../experiments/run-cell';
import { pairedTTestOverSeeds, pairedTestOverUsers, studentTQuantile, summarize } from '../experiments/summary';
import { CellValue, ColumnFormat, ResultTable, formatCell, renderMarkdown } from '../experiments/tables';
import { writeFileAtomic } from '../io/atomic-write';
import { TunePlan, TuneSetup } from './plan';
import { TuneConfig, configLabel, gridSize } from './space';

/** A mean over seeds with its 95% confidence interval (NaN bounds with fewer than two seeds). */
export interface SeedSummary { n: number; mean: number; ci95: [number, number]; values: { seed: number; value: number }[] }

export interface ComparisonRow {
  metric: 'recall20' | 'ndcg20';
  mask: ModalityMask;
  default: SeedSummary;
  selected: SeedSummary;
  /** 100 (selected - default) / default. */
  gainPercent: number;
  /** Two-sided paired t-tests of selected against default, over seeds and over test users. */
  pSeeds: number;
  pUsers: number;
  plain?: SeedSummary;
  /** Selected against plain, paired over seeds and over test users (Recall@20 only). */
  pSeedsVsPlain?: number;
  pUsersVsPlain?: number;
}

export interface TuneReport {
  model: string;
  method: string;
  dataset: { name: string; fingerprint: string };
  protocol: { preset: string; train: Record<string, unknown> };
  rates?: TunePlan['rates'];
  space: { name: string; dimensions: { kind: string; name: string; values: (number | string | boolean)[] }[]; gridSize: number };
  search: TuneSetup['search'] & { configurations: number; seed: number };
  seeds: number[];
  configurations: {
    label: string; lr?: number; methodOptions: Record<string, unknown>; params: Record<string, number>; key: string;
    valRecall20?: number; bestEpoch?: number; epochsRun?: number; converged?: boolean;
  }[];
  /** The selected configuration; `isDefault` when it is the default one (then both sides are the same cells). */
  selected?: { index: number; label: string; valRecall20: number; isDefault: boolean };
  /** Selected against default on test; absent until the final phase has finished. */
  comparison?: ComparisonRow[];
  /** Planned cells, those finished, and how many of these were read from other results folders (--reuse). */
  cells: { planned: number; finished: number; reused?: number };
  /** What the plan still waits for, when it does. */
  waiting?: string;
}

function seedSummary(values: { seed: number; value: number }[]): SeedSummary {
  const s = summarize(values.map(v => v.value));
  const q = s.n >= 2 ? studentTQuantile(0.975, s.n - 1) : NaN;
  return { n: s.n, mean: s.mean, ci95: [s.mean - q * s.sem, s.mean + q * s.sem], values };
}

/** The report of a tune so far. */
export function tuneReport(setup: TuneSetup, plan: TunePlan, store: RunStore, datasetName: string, reused?: (key: string) => boolean): TuneReport {
  const get = (cell: RunCell) => store.get(configKey(cell));
  const { lr: _lr, ...train } = setup.protocol.train;
  const configs: TuneReport['configurations'] = (plan.search?.configs ?? []).map((c: TuneConfig, k) => {
    const cell = plan.search!.cells[k];
    const rec = get(cell);
    return {
      label: configLabel(c, setup.space), ...(c.lr !== undefined ? { lr: c.lr } : {}), methodOptions: c.methodOptions, params: c.params, key: configKey(cell),
      ...(rec ? { valRecall20: rec.result.val.all.recall20, bestEpoch: rec.result.bestEpoch, epochsRun: rec.result.epochsRun, converged: cellConverged(rec) } : {}),
    };
  });
  const report: TuneReport = {
    model: setup.model, method: setup.method, dataset: { name: datasetName, fingerprint: setup.dataset },
    protocol: { preset: setup.protocol.name, train },
    ...(plan.rates ? { rates: plan.rates } : {}),
    space: { name: setup.space.name, dimensions: setup.space.dimensions.map(d => ({ ...d })), gridSize: gridSize(setup.space) },
    search: { ...setup.search, configurations: plan.search?.configs.length ?? 0, seed: setup.protocol.seeds[0] },
    seeds: Array.from({ length: setup.seeds }, (_, k) => k + 1),
    configurations: configs,
    cells: {
      planned: plan.cells.length, finished: plan.cells.filter(p => store.has(configKey(p.cell))).length,
      ...(reused ? { reused: plan.cells.filter(p => store.has(configKey(p.cell)) && reused(configKey(p.cell))).length } : {}),
    },
    ...(plan.waiting ? { waiting: plan.waiting } : {}),
  };
  if (plan.final) {
    const k = plan.final.selected;
    const isDefault = configKey(plan.final.cells.selected[0]) === configKey(plan.final.cells.default[0]);
    report.selected = { index: k, label: configs[k].label, valRecall20: configs[k].valRecall20!, isDefault };
    const recs = (cells: RunCell[] | undefined) => cells?.map(c => get(c));
    const sel = recs(plan.final.cells.selected)!;
    const def = recs(plan.final.cells.default)!;
    const plain = recs(plan.final.cells.plain);
    if ([...sel, ...def, ...(plain ?? [])].every(r => r !== undefined)) {
      const evals = (rs: typeof sel) => rs.map(r => cellEvaluations(r!.result));
      const es = evals(sel);
      const ed = evals(def);
      const ep = plain ? evals(plain) : undefined;
      const rows: ComparisonRow[] = [];
      const metricOf = (e: EvaluationResult, metric: ComparisonRow['metric']) => metric === 'recall20' ? e.recall[20] : e.ndcg[20];
      const valuesOf = (es: Record<ModalityMask, EvaluationResult>[], cells: RunCell[], mask: ModalityMask, metric: ComparisonRow['metric']) =>
        es.map((e, i) => ({ seed: cells[i].train.seed, value: metricOf(e[mask], metric) }));
      const cases: [ComparisonRow['metric'], ModalityMask][] = [['recall20', 'all'], ['recall20', 'text'], ['recall20', 'visual'], ['ndcg20', 'all']];
      for (const [metric, mask] of cases) {
        const a = valuesOf(es, plan.final.cells.selected, mask, metric);
        const b = valuesOf(ed, plan.final.cells.default, mask, metric);
        const sa = seedSummary(a);
        const sb = seedSummary(b);
        const usersA = es.map(e => e[mask]).filter(e => e.perUser);
        const usersB = ed.map(e => e[mask]).filter(e => e.perUser);
        const row: ComparisonRow = {
          metric, mask, default: sb, selected: sa, gainPercent: sb.mean > 0 ? 100 * (sa.mean - sb.mean) / sb.mean : NaN,
          pSeeds: a.length >= 2 ? pairedTTestOverSeeds(a, b).p : NaN,
          pUsers: metric === 'recall20' && usersA.length > 0 && usersB.length > 0 ? pairedTestOverUsers(usersA, usersB, 'recall', 20).p : NaN,
        };
        if (ep) {
          const c = valuesOf(ep, plan.final.cells.plain!, mask, metric);
          row.plain = seedSummary(c);
          row.pSeedsVsPlain = c.length >= 2 ? pairedTTestOverSeeds(a, c).p : NaN;
          const usersC = ep.map(e => e[mask]).filter(e => e.perUser);
          row.pUsersVsPlain = metric === 'recall20' && usersA.length > 0 && usersC.length > 0 ? pairedTestOverUsers(usersA, usersC, 'recall', 20).p : NaN;
        }
        rows.push(row);
      }
      report.comparison = rows;
    }
  }
  return report;
}

const maskName = (m: ModalityMask) => m === 'all' ? 'fused' : `${m} channel`;
const ci = (s: SeedSummary) => Number.isNaN(s.ci95[0]) ? '-' : `[${s.ci95[0].toFixed(4)}, ${s.ci95[1].toFixed(4)}]`;

/** The search as a table: one row per configuration, the selected one marked. */
export function searchTable(r: TuneReport): ResultTable {
  const rows: CellValue[][] = r.configurations.map((c, k) => [
    k + 1, r.selected?.index === k ? `**${c.label}** (selected)` : c.label,
    c.valRecall20 ?? NaN, c.bestEpoch ?? NaN, c.epochsRun ?? NaN, c.converged === undefined ? 'not run yet' : c.converged ? 'yes' : 'no (epoch cap)',
  ]);
  return {
    title: `Search: validation Recall@20 of the fused model, seed ${r.search.seed}`,
    columns: ['#', 'configuration', 'val Recall@20', 'best epoch', 'epochs', 'converged'],
    formats: ['int', 'text', 'metric', 'int', 'int', 'text'], rows,
    notes: ['selection: the best validation Recall@20 (ties: the first listed); test metrics are not used to select'],
  };
}

/** Selected against default (and plain) on test over the seeds. */
export function comparisonTable(r: TuneReport): ResultTable | undefined {
  if (!r.comparison) return undefined;
  const plain = r.comparison.some(c => c.plain);
  const columns = ['metric', 'default', '95% CI', 'selected', '95% CI', 'gain%', 'p seeds', 'p users', ...(plain ? ['plain', '95% CI', 'p vs plain', 'p users vs plain'] : [])];
  const formats: ColumnFormat[] = ['text', 'metric', 'text', 'metric', 'text', 'percent', 'p', 'p', ...(plain ? ['metric', 'text', 'p', 'p'] as ColumnFormat[] : [])];
  const rows = r.comparison.map(c => [
    `${c.metric === 'recall20' ? 'Recall@20' : 'NDCG@20'} ${maskName(c.mask)}`, c.default.mean, ci(c.default), c.selected.mean, ci(c.selected),
    c.gainPercent, c.pSeeds, c.pUsers, ...(c.plain ? [c.plain.mean, ci(c.plain), c.pSeedsVsPlain ?? NaN, c.pUsersVsPlain ?? NaN] : []),
  ]);
  return {
    title: `Selected (${r.selected!.label}) against the default configuration on test, seeds ${r.seeds.join(', ')}`,
    columns, formats, rows,
    notes: [
      'mean over seeds, with the 95% confidence interval of the mean (Student t, n - 1 degrees of freedom)',
      'gain%: selected against default; p seeds: two-sided paired t-test over seeds; p users: the same over test users, each user\'s Recall@20 averaged over seeds',
      ...(plain ? ['plain: the backbone trained alone (method plain) at the same rate and seeds; p vs plain: selected against it, paired over seeds; p users vs plain: the same over test users'] : []),
      ...(r.selected!.isDefault ? ['the selected configuration is the default one: both columns are the same cells'] : []),
    ],
  };
}

/** tune.md. */
export function renderTuneMarkdown(r: TuneReport): string {
  const lines = [`# Tuning ${r.model} + ${r.method} on ${r.dataset.name}`, ''];
  const dims = r.space.dimensions.map(d => `${d.name} {${d.values.join(', ')}}`).join(' x ');
  lines.push(`- space \`${r.space.name}\`: ${dims} (${r.space.gridSize} configurations)`);
  lines.push(`- search: ${r.search.kind === 'grid' ? 'the whole grid' : `random, ${r.search.configurations} of the grid drawn with search seed ${r.search.seed}`}; ` +
    `each configuration trained once (seed ${r.search.seed}); selection on validation Recall@20 of the fused model only`);
  const t = r.protocol.train;
  lines.push(`- protocol: the \`${r.protocol.preset}\` preset's: validation every ${t.evalEvery} epochs, patience ${t.patience} validations, at most ${t.epochs} epochs, batch ${t.batchSize}`);
  if (r.rates) {
    const teachers = r.rates.teachers ? `; teachers: text ${r.rates.teachers.text}, visual ${r.rates.teachers.visual}` : '';
    lines.push(`- learning rates: student ${r.rates.student}${teachers} (${r.rates.selectedOnValidation ? 'selected on validation by the protocol\'s walk' : 'as given or the protocol\'s'})`);
  }
  lines.push(`- final: the selected and the default configuration${r.method !== 'plain' ? ', and the plain backbone,' : ''} on seeds ${r.seeds.join(', ')}`);
  lines.push(`- data set ${r.dataset.name} (fingerprint ${r.dataset.fingerprint}); ${r.cells.finished} of ${r.cells.planned} planned cells finished` +
    `${r.cells.reused ? ` (${r.cells.reused} of them read from another results folder, --reuse: the same cells, by key)` : ''}` +
    `${r.waiting ? `; more join the plan after ${r.waiting}` : ''}`, '');
  lines.push(renderMarkdown(searchTable(r)));
  const cmp = comparisonTable(r);
  if (cmp) lines.push(renderMarkdown(cmp));
  else if (r.selected) lines.push(`Selected: **${r.selected.label}** (validation Recall@20 ${formatCell(r.selected.valRecall20, 'metric')}); the comparison on test follows when its seeds have run.`, '');
  return lines.join('\n');
}

/** Writes tune.json and tune.md into `dir`; returns their paths. */
export function writeTuneReport(dir: string, r: TuneReport): { json: string; md: string } {
  const json = path.join(dir, 'tune.json');
  const md = path.join(dir, 'tune.md');
  fs.mkdirSync(dir, { recursive: true });
  const text = (s: string) => (fd: number) => fs.writeSync(fd, s);
  writeFileAtomic(json, text(JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n'), { what: 'the tune report' });
  writeFileAtomic(md, text(renderTuneMarkdown(r)), { what: 'the tune report' });
  return { json, md };
}
