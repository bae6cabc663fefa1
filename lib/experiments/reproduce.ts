/**
 * The reproduction as a whole: run a preset's cells resumably (reproduce-plan.ts, run-cell.ts)
 * and turn the store into the paper's figures and tables (figures.ts, series-figure.ts,
 * tables.ts), written as one HTML report plus markdown tables.
 *
 * A results folder holds:
 *   store.jsonl      one record per finished cell (result-store.ts), and one
 *                    store.shard-K-of-N.jsonl per shard run as a Slurm array task, read merged
 *                    (results-folder.ts)
 *   teachers/        teacher weights of the uni-modal cells (not committed; rebuilt on demand)
 *   report.html      every table and figure, plotly inlined
 *   tables.md        the tables as markdown (for the README)
 *   figure1-<model>.html/.png
 */
import * as fs from 'fs';
import * as path from 'path';
import { Dataset } from '../data/dataset';
import { EvaluationResult } from '../eval/evaluate';
import { paperDatasetName } from './paper';
import { FigureSpec, COLORS, figure1, writeFigureHtml, writeFigurePng, findChromium } from './figures';
import { Provenance } from './provenance';
import { PlannedCell, ReproducePreset, gridCells, planCells, planPreset, plannedCellLabel, shardCells, walkBase } from './reproduce-plan';
import { Report, ReportBlock, writeReport } from './report';
import { RunCell, RunCellMeta, RunCellOptions, RunRecord, RunStore, cellConverged, cellEvaluations, ckdVariant, runOrReuseCell } from './run-cell';
import { configKey } from './result-store';
import { gridVerdictTable, gridVerdicts, teacherRuleTable, teacherRuleVerdicts } from './grid-predictions';
import { headlineTable } from './headline';
import { payoffFigure, payoffState, payoffTable } from './payoff';
import { walkLearningRates, walkSummary } from './lr-search';
import { HistorySeries, historyFigure } from './series-figure';
import { pairedTTestOverSeeds, pairedTestOverUsers, summarize } from './summary';
import { CellValue, ColumnFormat, ResultTable, RunOutcome, convergenceFlag, onSharedSeeds, renderMarkdown, table1, table2, table3 } from './tables';
import { EpochRecord } from '../train/trainer';
import { MethodName } from '../methods/registry';
import { TRAIN_MODES, TrainMode } from '../models/backbone';

export interface RunPlanOptions extends RunCellOptions {
  /** Called before each cell: its 1-based place in the plan and the plan's size. */
  onCell?: (k: number, n: number, cell: RunCell, done: boolean) => void;
}

/** Runs every cell not in the store yet, in order. */
export async function runPlan(data: Dataset, cells: readonly PlannedCell[], o: RunPlanOptions): Promise<void> {
  for (let k = 0; k < cells.length; k++) {
    const { cell } = cells[k];
    o.onCell?.(k + 1, cells.length, cell, o.store.has(configKey(cell)));
    await runOrReuseCell(data, cell, o);
  }
}

export interface PresetRunOptions extends RunPlanOptions {
  models?: string[];
  /** Run only this shard's groups (0-based index of count). */
  shard?: { index: number; count: number };
}

/**
 * Runs a preset's cells until none is left, planning again after each cell: with a learning-rate
 * grid, the cells that need a backbone's rate join the plan once its walk has ended.
 */
export async function runPreset(data: Dataset, preset: ReproducePreset, dataset: string, o: PresetRunOptions): Promise<void> {
  for (;;) {
    const all = planCells(preset, dataset, o.models, o.store);
    const mine = o.shard ? shardCells(all, o.shard.index, o.shard.count) : all;
    const k = mine.findIndex(p => !o.store.has(configKey(p.cell)));
    if (k < 0) return;
    o.onCell?.(k + 1, mine.length, mine[k].cell, false);
    await runOrReuseCell(data, mine[k].cell, o);
  }
}

/** A store record as what the table builders take. */
export function outcomeOf(rec: RunRecord, datasetName: string): RunOutcome {
  const c = rec.config;
  const variant = ckdVariant(c);
  return {
    model: c.model, method: c.method, dataset: datasetName, seed: c.train.seed, mode: c.mode,
    ...(variant ? { variant } : {}), test: cellEvaluations(rec.result), converged: cellConverged(rec),
  };
}

export interface ReproductionView {
  preset: ReproducePreset;
  /** The data set: name (for titles and the paper's column) and fingerprint (for the cells). */
  dataset: { name: string; fingerprint: string };
  store: RunStore;
  /** MostPop's test metrics on the data set (Table 1's popularity row), where the data was at hand. */
  mostPop?: EvaluationResult;
}

/** The finished records among a preset's cells (the store may hold others). */
export function presetRecords(v: ReproductionView, models?: string[]): RunRecord[] {
  return finishedRecords(gridCells(v.preset, v.dataset.fingerprint, models, v.store), v.store);
}

/** The records of those planned cells that have finished, in plan order. */
export function finishedRecords(cells: readonly PlannedCell[], store: RunStore): RunRecord[] {
  return cells.map(p => store.get(configKey(p.cell))).filter((r): r is RunRecord => !!r);
}

/** The paper's column to compare with: the matching Amazon set, else Baby (named as such in the notes). */
export function paperColumn(datasetName: string) {
  return paperDatasetName(datasetName) ?? 'baby';
}

export function reproductionOutcomes(v: ReproductionView): RunOutcome[] {
  return presetRecords(v).map(r => outcomeOf(r, v.dataset.name));
}

export interface ReproductionTables {
  table1: ResultTable;
  table2: ResultTable;
  table3: ResultTable;
  ckdVsPlain: ResultTable;
  /** CKD in the authors' code's form against plain, where the preset runs it. */
  ckdCodeFormVsPlain?: ResultTable;
  /** The verdict beside its prediction, where the preset has one for this data set. */
  headline?: ResultTable;
  /** The prediction's further items (teachers, learning rates, baselines, Table 3, convergence), decided from the records. */
  furtherPredictions?: ResultTable;
  /** The teacher rule's out-of-sample test (docs/prediction-rule.md), decided from the records. */
  teacherRule?: ResultTable;
}

export function reproductionTables(v: ReproductionView): ReproductionTables {
  const outcomes = reproductionOutcomes(v);
  const opts = { dataset: v.dataset.name, paperDataset: paperColumn(v.dataset.name) };
  const baselines = [
    ...(v.mostPop ? [{ label: 'MostPop', runs: [{ model: 'MostPop', method: 'plain', dataset: v.dataset.name, seed: 0, test: { all: v.mostPop } }] }] : []),
    ...(v.preset.idBaseline ? [{ label: 'BPR-MF', runs: outcomes.filter(r => r.model === 'bprmf') }] : []),
  ];
  return {
    table1: table1(outcomes, { ...opts, models: v.preset.tableModels, baselines, methods: v.preset.methods }),
    table2: table2(outcomes, { ...opts, models: v.preset.tableModels, methods: v.preset.methods }),
    table3: table3(outcomes, { ...opts, models: v.preset.ablationModels }),
    ckdVsPlain: ckdAgainstPlain(outcomes, v.preset.tableModels),
    ...(v.preset.ckdCodeForm ? { ckdCodeFormVsPlain: ckdAgainstPlain(outcomes, v.preset.tableModels, 'ckd_code_form') } : {}),
    ...(v.preset.prediction?.dataset === v.dataset.name ? {
      headline: headlineTable(outcomes, v.preset.prediction.rows, v.preset.prediction.document),
      furtherPredictions: gridVerdictTable(gridVerdicts(v, outcomes), v.preset.prediction.document),
      teacherRule: teacherRuleTable(teacherRuleVerdicts(v, outcomes)),
    } : {}),
  };
}

/** CKD against the plain backbone on Recall@20 under each mask, with both paired tests. */
export function ckdAgainstPlain(outcomes: readonly RunOutcome[], models: readonly string[], variant = 'ckd'): ResultTable {
  const columns = ['model', 'mask', 'plain', 'ckd', 'gain%', 'seeds', 'p seeds', 'p users', 'note'];
  const formats: ColumnFormat[] = ['text', 'text', 'metric', 'metric', 'percent', 'int', 'p', 'p', 'text'];
  const rows: CellValue[][] = [];
  const multimodal = (r: RunOutcome) => (r.mode ?? 'multimodal') === 'multimodal';
  for (const model of models) {
    const allPlain = outcomes.filter(r => r.model === model && r.method === 'plain' && multimodal(r));
    const allCkd = outcomes.filter(r => r.model === model && r.method === 'ckd' && r.variant === variant && multimodal(r));
    if (allPlain.length === 0 && allCkd.length === 0) continue;
    const { a: ckd, b: plain } = onSharedSeeds(allCkd, allPlain);
    for (const mask of ['all', 'text', 'visual'] as const) {
      const a = ckd.map(r => ({ seed: r.seed, value: r.test[mask]!.recall[20] }));
      const b = plain.map(r => ({ seed: r.seed, value: r.test[mask]!.recall[20] }));
      const ma = summarize(a.map(x => x.value)).mean;
      const mb = summarize(b.map(x => x.value)).mean;
      const pSeeds = a.length >= 2 && b.length >= 2 ? pairedTTestOverSeeds(a, b).p : NaN;
      const ea = ckd.map(r => r.test[mask]!).filter(e => e.perUser);
      const eb = plain.map(r => r.test[mask]!).filter(e => e.perUser);
      const pUsers = ea.length > 0 && eb.length > 0 ? pairedTestOverUsers(ea, eb, 'recall', 20).p : NaN;
      rows.push([model, mask === 'all' ? 'fused' : `${mask} channel`, mb, ma, mb > 0 ? 100 * (ma - mb) / mb : NaN, Math.min(a.length, b.length), pSeeds, pUsers, convergenceFlag([...plain, ...ckd])]);
    }
  }
  return {
    title: variant === 'ckd' ? 'CKD against the plain backbone: test Recall@20' : `CKD (${variant.replace(/_/g, ' ')}) against the plain backbone: test Recall@20`,
    columns, formats, rows,
    notes: [
      'plain / ckd: mean over the seeds both have (all of each while they share none); fused = all modalities; a channel = the other modality replaced by its mean at inference',
      'p seeds: two-sided paired t-test over seeds (needs 2 or more); p users: two-sided paired t-test over test users, each user\'s Recall@20 averaged over seeds',
    ],
  };
}

function recordOf(v: ReproductionView, model: string, mode: TrainMode, method: MethodName, seed: number): RunRecord | undefined {
  const cell = gridCells(v.preset, v.dataset.fingerprint, [model], v.store).find(p =>
    p.cell.mode === mode && p.cell.method === method && p.cell.train.seed === seed && ckdVariant(p.cell) !== undefined === (method === 'ckd')
    && (method !== 'ckd' || ckdVariant(p.cell) === 'ckd'));
  return cell ? v.store.get(configKey(cell.cell)) : undefined;
}

function historyOf(r: RunRecord | undefined): EpochRecord[] | undefined {
  return (r?.meta as RunCellMeta | undefined)?.history;
}

/** Figure 1 for one backbone (first seed), or undefined until its three plain cells are done. */
export function figure1Of(v: ReproductionView, model: string): FigureSpec | undefined {
  const seed = v.preset.seeds[0];
  const multimodal = historyOf(recordOf(v, model, 'multimodal', 'plain', seed));
  if (!multimodal) return undefined;
  return figure1({
    multimodal,
    textOnly: historyOf(recordOf(v, model, 'text-only', 'plain', seed)),
    visualOnly: historyOf(recordOf(v, model, 'visual-only', 'plain', seed)),
    title: `Figure 1 (${model}, ${v.dataset.name}, seed ${seed}): validation Recall@20 over epochs`,
  });
}

/** The gradient analysis (Section 2.4) of a probed backbone: three figures, those whose runs are done. */
export function gradientFigures(v: ReproductionView, model: string): { norms?: FigureSpec; shared?: FigureSpec; contributions?: FigureSpec } {
  const seed = v.preset.seeds[0];
  const mm = historyOf(recordOf(v, model, 'multimodal', 'plain', seed));
  const ckd = historyOf(recordOf(v, model, 'multimodal', 'ckd', seed));
  const t = historyOf(recordOf(v, model, 'text-only', 'plain', seed));
  const vis = historyOf(recordOf(v, model, 'visual-only', 'plain', seed));
  const s = (name: string, history: EpochRecord[] | undefined, key: string, color: string, dash: HistorySeries['dash']): HistorySeries[] =>
    history ? [{ name, history, field: 'probe', key, color, dash }] : [];
  const out: { norms?: FigureSpec; shared?: FigureSpec; contributions?: FigureSpec } = {};
  const norms = [
    ...s('multimodal: text parameters', mm, 'grad_text', COLORS.text, 'solid'),
    ...s('multimodal: visual parameters', mm, 'grad_visual', COLORS.visual, 'solid'),
    ...s('text-only model: text parameters', t, 'grad_text', COLORS.text, 'dot'),
    ...s('visual-only model: visual parameters', vis, 'grad_visual', COLORS.visual, 'dot'),
    ...s('CKD: text parameters', ckd, 'grad_text', COLORS.text, 'dash'),
    ...s('CKD: visual parameters', ckd, 'grad_visual', COLORS.visual, 'dash'),
  ];
  if (norms.length) out.norms = historyFigure(norms, { title: `${model}: BPR gradient norm per modality's parameters (fixed probe batch)`, yTitle: '||dL_BPR / dθ_m||', logY: true });
  const shared = [
    ...s('multimodal', mm, 'shared', COLORS.all, 'solid'),
    ...s('text-only model', t, 'shared', COLORS.text, 'dot'),
    ...s('visual-only model', vis, 'shared', COLORS.visual, 'dot'),
    ...s('CKD', ckd, 'shared', COLORS.all, 'dash'),
  ];
  if (shared.length) out.shared = historyFigure(shared, { title: `${model}: the shared factor sigmoid(-margin), mean over the probe batch`, yTitle: 'mean sigmoid(-margin)' });
  const contributions = [
    ...s('multimodal: S^text', mm, 'S_text', COLORS.text, 'solid'),
    ...s('multimodal: S^visual', mm, 'S_visual', COLORS.visual, 'solid'),
    ...s('CKD: S^text', ckd, 'S_text', COLORS.text, 'dash'),
    ...s('CKD: S^visual', ckd, 'S_visual', COLORS.visual, 'dash'),
  ];
  if (contributions.length) out.contributions = historyFigure(contributions, { title: `${model}: each modality's part of the margin, S^m = margin - margin with m ablated`, yTitle: 'mean S^m' });
  return out;
}

/** CKD's counterfactual weights lambda_m over epochs (epoch means), first seed. */
export function ckdWeightsFigure(v: ReproductionView, model: string): FigureSpec | undefined {
  const ckd = historyOf(recordOf(v, model, 'multimodal', 'ckd', v.preset.seeds[0]));
  if (!ckd) return undefined;
  return historyFigure([
    { name: 'lambda_text', history: ckd, field: 'diagnostics', key: 'lambda_text', color: COLORS.text },
    { name: 'lambda_visual', history: ckd, field: 'diagnostics', key: 'lambda_visual', color: COLORS.visual },
  ], { title: `${model} + CKD: re-weighting lambda_m (epoch means)`, yTitle: 'lambda_m' });
}

export interface WrittenReport {
  report: string;
  tables: string;
  figures: string[];
  pngs: string[];
}

/** Writes report.html, tables.md and Figure 1 files (PNG where Chromium is installed) into `dir`. */
export async function writeReproductionReport(v: ReproductionView, dir: string, provenance?: Provenance): Promise<WrittenReport> {
  fs.mkdirSync(dir, { recursive: true });
  const plan = planPreset(v.preset, v.dataset.fingerprint, undefined, v.store);
  const planned = plan.cells;
  const done = presetRecords(v);
  const tables = reproductionTables(v);
  // Counted over every planned cell (walks and the payoff experiment's included), as the cells table lists them.
  const finished = finishedRecords(planned, v.store);
  const notConverged = finished.filter(r => !cellConverged(r)).length;
  const teachers = done.filter(r => r.config.mode !== 'multimodal' && r.config.method === 'plain');
  const teachersText = teachers.length
    ? ` Of its ${teachers.length} uni-modal runs (the teachers), ${teachers.filter(r => cellConverged(r)).length} converged; Figure 1 shows their validation curves.`
    : '';
  const blocks: ReportBlock[] = [
    { kind: 'text', text: `Preset ${v.preset.name} on data set '${v.dataset.name}' (fingerprint ${v.dataset.fingerprint}): ${finished.length} of ${planned.length} cells finished${plan.waiting ? `, more waiting for their learning rate to be selected` : ''}; ${notConverged} of the finished cells did not converge (flagged in the cells table).${teachersText} ${protocolText(v.preset)} The paper's numbers are its Amazon ${paperColumn(v.dataset.name)} column${paperDatasetName(v.dataset.name) ? '' : ': a different data set, shown for the shape of the results, not for equality'}.` },
    ...(tables.headline ? [{ kind: 'table' as const, table: tables.headline }] : []),
    ...(tables.furtherPredictions ? [{ kind: 'table' as const, table: tables.furtherPredictions }] : []),
    ...(tables.teacherRule ? [{ kind: 'table' as const, table: tables.teacherRule }] : []),
    { kind: 'heading', text: 'Figure 1: the pilot study' },
  ];
  const figures: string[] = [];
  const pngs: string[] = [];
  const chromium = findChromium();
  for (const model of v.preset.figure1Models) {
    const f = figure1Of(v, model);
    if (!f) { blocks.push({ kind: 'text', text: `${model}: not run yet.` }); continue; }
    blocks.push({ kind: 'figure', figure: f, caption: `${model}: shaded = under-optimisation (uni-modal model above the multimodal model's channel).` });
    const html = writeFigureHtml(f, path.join(dir, `figure1-${model}.html`), `Figure 1, ${model}`);
    figures.push(html);
    if (chromium) {
      const png = await writeFigurePng(html, path.join(dir, `figure1-${model}.png`));
      if (png.file) pngs.push(png.file);
    }
  }
  blocks.push({ kind: 'heading', text: 'Section 2.4: the gradient analysis, measured' });
  for (const model of v.preset.probeModels) {
    const g = gradientFigures(v, model);
    for (const f of [g.shared, g.contributions, g.norms]) if (f) blocks.push({ kind: 'figure', figure: f });
    const w = ckdWeightsFigure(v, model);
    if (w) blocks.push({ kind: 'figure', figure: w });
  }
  blocks.push({ kind: 'heading', text: 'Table 1' }, { kind: 'table', table: tables.table1 });
  blocks.push({ kind: 'heading', text: 'CKD against plain' }, { kind: 'table', table: tables.ckdVsPlain });
  if (tables.ckdCodeFormVsPlain) blocks.push({ kind: 'table', table: tables.ckdCodeFormVsPlain });
  blocks.push({ kind: 'heading', text: 'Table 2' }, { kind: 'table', table: tables.table2 });
  blocks.push({ kind: 'heading', text: 'Table 3' }, { kind: 'table', table: tables.table3 });
  const { points: payoff, missing: payoffMissing } = payoffState(v);
  const payoffFig = payoffFigure(payoff, undefined, payoffMissing);
  if (v.preset.payoff) {
    blocks.push({ kind: 'heading', text: 'When does CKD pay off?' });
    if (payoffFig) blocks.push({ kind: 'figure', figure: payoffFig, caption: 'Each point: CKD with teachers stopped after a budget of epochs (or converged), mean over seeds; bars: 95% t interval over seeds. Other data sets in one figure: ckd payoff.' }, { kind: 'table', table: payoffTable(payoff, payoffMissing) });
    else blocks.push({ kind: 'text', text: 'Not run yet.' });
  }
  const lrTable = lrSelectionTable(v);
  if (lrTable) blocks.push({ kind: 'heading', text: 'Learning rates' }, { kind: 'table', table: lrTable });
  blocks.push({ kind: 'heading', text: 'Cells' }, { kind: 'table', table: cellsTable(v, planned) });
  const report: Report = { title: `CKD reproduction: ${v.dataset.name}, preset ${v.preset.name}`, blocks, provenance: provenanceOf(done, provenance) };
  const reportFile = writeReport(path.join(dir, 'report.html'), report);
  const md = [...(tables.headline ? [tables.headline] : []), ...(tables.furtherPredictions ? [tables.furtherPredictions] : []), ...(tables.teacherRule ? [tables.teacherRule] : []), tables.table1, tables.ckdVsPlain, ...(tables.ckdCodeFormVsPlain ? [tables.ckdCodeFormVsPlain] : []), tables.table2, tables.table3, ...(payoff.length ? [payoffTable(payoff, payoffMissing)] : []), ...(lrTable ? [lrTable] : [])].map(t => renderMarkdown(t)).join('\n');
  const tablesFile = path.join(dir, 'tables.md');
  fs.writeFileSync(tablesFile, `Preset ${v.preset.name} on '${v.dataset.name}' (${finished.length} of ${planned.length} cells finished).\n\n${md}`);
  return { report: reportFile, tables: tablesFile, figures, pngs };
}

/** Every planned cell: done or not, converged or not, and what it cost. */
export function cellsTable(v: ReproductionView, planned = planCells(v.preset, v.dataset.fingerprint, undefined, v.store)): ResultTable {
  const rows = planned.map(p => {
    const cell = p.cell;
    const r = v.store.get(configKey(cell));
    const state = !r ? 'not run' : cellConverged(r) ? 'converged' : 'NOT CONVERGED';
    return [plannedCellLabel(p), cell.train.lr, state, r ? r.result.test.all.recall20 : NaN, r ? r.result.bestEpoch : NaN, r ? r.result.epochsRun : NaN, r ? r.result.secondsPerEpoch : NaN] as CellValue[];
  });
  return {
    title: 'Cells of the preset', columns: ['cell', 'lr', 'state', 'test R@20', 'best epoch', 'epochs', 's/epoch'],
    formats: ['text', 'text', 'text', 'metric', 'int', 'int', 'metric'], rows,
    notes: ['converged: stopped by its patience rule, its best epoch patience x validation interval epochs before its last; NOT CONVERGED: it reached its epoch cap still improving'],
  };
}

/** Each backbone and mode's learning-rate walk: the rates tried with their validation Recall@20, and the one selected. */
export function lrSelectionTable(v: ReproductionView): ResultTable | undefined {
  const grid = v.preset.lrGrid;
  if (!grid) return undefined;
  const rows: CellValue[][] = [];
  const models = [...new Set(planCells(v.preset, v.dataset.fingerprint, undefined, v.store).map(p => p.cell.model))];
  for (const model of models) {
    for (const mode of TRAIN_MODES) {
      const base = walkBase(v.preset, v.dataset.fingerprint, model, mode);
      const walk = walkLearningRates(base, grid, v.store);
      const tried = walkSummary(walk, v.store);
      if (tried.length === 0) continue;
      const best = tried.find(t => t.lr === walk.selected);
      const rec = best ? v.store.get(configKey({ ...base, train: { ...base.train, lr: best.lr } })) : undefined;
      rows.push([model, mode, tried.map(t => `${t.lr}: ${t.val.toFixed(4)}${t.converged ? '' : ' (not converged)'}`).join(', '),
        walk.selected ?? 'walking', rec ? rec.result.bestEpoch : NaN, rec ? rec.result.epochsRun : NaN]);
    }
  }
  return {
    title: 'Learning rates selected on validation (first seed, plain)',
    columns: ['model', 'mode', 'tried (validation Recall@20 under the mode\'s mask)', 'selected', 'best epoch', 'epochs'],
    formats: ['text', 'text', 'text', 'text', 'int', 'int'], rows,
    notes: ['walked from the largest rate down; the walk stops at the first rate that validates worse than the best so far, or does not converge'],
  };
}

/** The preset's training protocol in one or two sentences. */
export function protocolText(p: ReproducePreset): string {
  const t = p.train;
  const lr = p.lrGrid ? `the learning rate of each backbone and mode selected on validation Recall@20 from {${p.lrGrid.join(', ')}}` : `learning rate ${t.lr}`;
  const teachers = p.teachers
    ? ` Teachers (the uni-modal models): learning rate ${Object.entries(p.teachers.lr).map(([m, r]) => `${m} text ${r.text}, visual ${r.visual}`).join('; ')}; ${stopping(p.teachers.train)}.`
    : '';
  return `Seeds ${p.seeds.join(', ')}${p.moreSeeds ? ` (plain and CKD: ${Object.entries(p.moreSeeds).map(([m, n]) => `${m} ${n}`).join(', ')} seeds)` : ''}; ${lr}; batch ${t.batchSize}; ${stopping(t)}.${teachers}`;
}

function stopping(t: { evalEvery: number; patience: number; epochs: number }): string {
  const every = t.evalEvery === 1 ? 'every epoch' : `every ${t.evalEvery} epochs`;
  return `validation ${every}, stopping after ${t.patience} validations without a better Recall@20, at most ${t.epochs} epochs`;
}

function provenanceOf(done: RunRecord[], extra?: Provenance): Provenance[] {
  const seen = new Map<string, Provenance>();
  for (const r of done) {
    const p = (r.meta as RunCellMeta | undefined)?.provenance;
    if (p) seen.set(`${p.gitCommit}:${p.backend}:${p.dataset.fingerprint}`, p);
  }
  if (extra && seen.size === 0) seen.set('extra', extra);
  return [...seen.values()];
}

/** The pilot study in numbers: each backbone's three trained modes under the three inference masks (test Recall@20, first seed). */
export function pilotTable(v: ReproductionView, models: readonly string[]): ResultTable {
  const rows: CellValue[][] = [];
  for (const model of models) {
    for (const mode of ['multimodal', 'text-only', 'visual-only'] as const) {
      const r = recordOf(v, model, mode, 'plain', v.preset.seeds[0]);
      const t = r?.result.test;
      rows.push([model, mode, t?.all.recall20 ?? NaN, t?.text.recall20 ?? NaN, t?.visual.recall20 ?? NaN, r?.result.bestEpoch ?? NaN]);
    }
  }
  return {
    title: `Pilot study: test Recall@20 of each trained model under each inference mask (seed ${v.preset.seeds[0]})`,
    columns: ['model', 'trained', 'all', 'text channel', 'visual channel', 'best epoch'],
    formats: ['text', 'text', 'metric', 'metric', 'metric', 'int'],
    rows,
    notes: ['under-optimisation: the multimodal row\'s text (visual) channel below the text-only (visual-only) row\'s'],
  };
}
