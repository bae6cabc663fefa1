/**
 * The paper's tables next to ours: Table 1 (Recall/NDCG/Precision@20 of model x method), Table 2
 * (Recall@20 of each model's text-only and visual-only channel) and Table 3 (CKD's ablations).
 *
 * Each builder returns a plain `ResultTable` (columns, rows, per-column formats, notes); `toDataFrame`
 * turns one into a danfojs-node DataFrame (`table1Frame` etc. do both), and `renderMarkdown` /
 * `renderText` print either for the README and the CLI. danfojs-node is loaded on first use only
 * (it loads all of @tensorflow/tfjs, a few seconds).
 *
 * "ours" is the mean over seeds of the runs given, "sd" their sample standard deviation, "Δ%" the
 * relative change of ours against the paper's printed number, "gain%" the relative change against
 * the same model's backbone row (the paper's and ours), and "p" a two-sided paired t-test over
 * seeds of the row's method against the backbone (Tables 1-2) or against full CKD (Table 3), on
 * Recall@20; `significance: 'users'` switches to the paired test over users (summary.ts).
 */
import type { DataFrame } from 'danfojs-node';
import { EvaluationResult } from '../eval/evaluate';
import { CkdError } from '../errors';
import { ModalityMask, TrainMode } from '../models/backbone';
import { TrainResult } from '../train/trainer';
import {
  PAPER_MODELS, PaperDataset, TABLE1_METHODS, TABLE1_METRICS, TABLE2_METHODS, TABLE3_LABELS, TABLE3_MODELS,
  TABLE3_VARIANTS, Table1Metric, paperDatasetName, paperMethodName, paperModelName, paperTable1, paperTable2,
  paperTable3, suspectCell,
} from './paper';
import { PairedTest, pairedTTestOverSeeds, pairedTestOverUsers, summarize } from './summary';

/** One finished run, reduced to what the tables need. */
export interface RunOutcome {
  /** Backbone, CLI or paper spelling ('vbpr' or 'VBPR'). */
  model: string;
  /** 'plain' (the paper's backbone), 'ckd', 'gb', 'ogm'. */
  method: string;
  dataset: string;
  seed: number;
  /** How it was trained; default 'multimodal'. Uni-modal runs of method 'plain' (or 'teacher') are Table 2's teachers. */
  mode?: TrainMode;
  /** CKD ablation (Table 3: 'without_generic', ...); CKD runs without one are 'ckd'. */
  variant?: string;
  /** Test metrics under each mask (TrainResult.test); per-user arrays enable the users test. */
  test: Partial<Record<ModalityMask, EvaluationResult>>;
  /** false when the run stopped at its epoch cap still improving (flagged in the tables); absent: not known. */
  converged?: boolean;
}

/** '' when every run converged (or it is not known), else how many did not: the tables' flag. */
export function convergenceFlag(runs: readonly RunOutcome[]): string {
  const k = runs.filter(r => r.converged === false).length;
  return k === 0 ? '' : `NOT CONVERGED: ${k} of ${runs.length} runs`;
}

/** A RunOutcome from a TrainResult and what the run was. */
export function runOutcome(meta: Omit<RunOutcome, 'test'>, result: Pick<TrainResult, 'test'>): RunOutcome {
  return { ...meta, test: result.test };
}

export type CellValue = string | number;
/** text as is; metric 4 decimals; percent signed, 1 decimal; p 3 decimals (<0.001); int. */
export type ColumnFormat = 'text' | 'metric' | 'percent' | 'p' | 'int';

export interface ResultTable {
  title: string;
  columns: string[];
  formats: ColumnFormat[];
  rows: CellValue[][];
  /** Footnotes: what the columns mean, which test, which paper cells look misprinted. */
  notes: string[];
}

export type Significance = 'seeds' | 'users';

export interface TableOptions {
  /** Our data set: only runs on it are used. Default: the only data set among the runs. */
  dataset?: string;
  /** The paper's column to compare with; default the paper's data set of that name, if any. */
  paperDataset?: PaperDataset | 'none';
  /** Rows for these models (default: those among the runs, or all of the paper's when none). */
  models?: string[];
  significance?: Significance;
  /** Table 1 only: use the likely value of a suspect paper cell instead of the printed one. */
  correctedPaper?: boolean;
  /** Table 1 only: rows of content-free baselines above the backbones (e.g. MostPop, BPR-MF), not in the paper. */
  baselines?: { label: string; runs: RunOutcome[] }[];
  /**
   * Tables 1 and 2: rows for these methods only (any spelling; the backbone and Table 2's teachers
   * always stay), e.g. a preset's methods. Default: all of the paper's.
   */
  methods?: readonly string[];
}

/** The table's methods that `opts.methods` keeps (the backbone and the teachers always). */
function methodRows<M extends string>(all: readonly M[], opts: TableOptions): M[] {
  if (!opts.methods) return [...all];
  const kept = new Set(opts.methods.map(m => paperMethodName(m) ?? m));
  return all.filter(m => m === 'backbone' || m === 'teacher' || kept.has(m));
}

const SHORT: Record<Table1Metric, string> = { 'recall@20': 'R@20', 'ndcg@20': 'N@20', 'precision@20': 'P@20' };

// ---------------------------------------------------------------------------------------------
// Selection helpers

interface Context {
  runs: RunOutcome[];
  dataset: string;
  paperDs: PaperDataset | undefined;
  models: string[];
  significance: Significance;
  notes: string[];
}

function context(allRuns: readonly RunOutcome[], opts: TableOptions, defaultModels: readonly string[]): Context {
  const datasets = [...new Set(allRuns.map(r => r.dataset))];
  let dataset = opts.dataset;
  if (dataset === undefined) {
    if (datasets.length > 1) throw new CkdError(`the runs cover several data sets (${datasets.join(', ')}): pass the dataset option`);
    dataset = datasets[0] ?? opts.paperDataset ?? 'none';
  }
  const runs = allRuns.filter(r => r.dataset === dataset);
  const paperDs = opts.paperDataset === 'none' ? undefined : opts.paperDataset ?? paperDatasetName(dataset);
  const seen: string[] = [];
  for (const r of runs) {
    const name = paperModelName(r.model) ?? r.model;
    if (!seen.includes(name)) seen.push(name);
  }
  const order = (m: string) => { const i = PAPER_MODELS.indexOf(m as never); return i < 0 ? PAPER_MODELS.length : i; };
  const models = opts.models?.map(m => paperModelName(m) ?? m)
    ?? (seen.length > 0 ? seen.sort((a, b) => order(a) - order(b)) : [...defaultModels]);
  const notes: string[] = [];
  notes.push(paperDs === undefined
    ? `paper: no comparable column (our data set '${dataset}' is not one of the paper's; pass paperDataset to pick one)`
    : `paper: Amazon ${paperDs} as printed${paperDs !== paperDatasetName(dataset) ? `, compared with our '${dataset}'` : ''}`);
  return { runs, dataset, paperDs, models, significance: opts.significance ?? 'seeds', notes };
}

function sameModel(r: RunOutcome, model: string): boolean {
  return (paperModelName(r.model) ?? r.model).toLowerCase() === model.toLowerCase();
}

function modeOf(r: RunOutcome): TrainMode {
  return r.mode ?? 'multimodal';
}

/** The multimodal runs of model+method (paper method names: 'backbone' = 'plain'). */
function runsOf(ctx: Context, model: string, method: string, variant?: string): RunOutcome[] {
  return ctx.runs.filter(r => sameModel(r, model) && modeOf(r) === 'multimodal' && paperMethodName(r.method) === method
    && (variant === undefined || (r.variant ?? 'ckd') === variant)
    && (variant !== undefined || method !== 'ckd' || (r.variant ?? 'ckd') === 'ckd'));
}

function metricOf(e: EvaluationResult | undefined, metric: Table1Metric): number {
  if (!e) return NaN;
  const K = 20;
  const by = metric === 'recall@20' ? e.recall : metric === 'ndcg@20' ? e.ndcg : e.precision;
  return by[K] ?? NaN;
}

function values(runs: readonly RunOutcome[], mask: ModalityMask, metric: Table1Metric) {
  return runs.map(r => ({ seed: r.seed, value: metricOf(r.test[mask], metric) })).filter(v => !Number.isNaN(v.value));
}

/**
 * The two arms restricted to the seeds both have (each whole while they share none): a grid under
 * way may have a backbone seed whose CKD run is still to come, and a mean over other seeds would
 * move a gain by the seeds' spread, not by the method.
 */
export function onSharedSeeds<T extends { seed: number }>(a: readonly T[], b: readonly T[]): { a: T[]; b: T[] } {
  const shared = new Set(a.map(r => r.seed).filter(seed => b.some(r => r.seed === seed)));
  return shared.size === 0
    ? { a: [...a], b: [...b] }
    : { a: a.filter(r => shared.has(r.seed)), b: b.filter(r => shared.has(r.seed)) };
}

/** Relative change (%) of A's mean Recall@20 against B's, over the seeds both have. */
function pairedGain(a: readonly RunOutcome[], b: readonly RunOutcome[]): number {
  const s = onSharedSeeds(a, b);
  const mean = (runs: RunOutcome[]) => summarize(values(runs, 'all', 'recall@20').map(v => v.value)).mean;
  return relChange(mean(s.a), mean(s.b));
}

function relChange(ours: number, ref: number): number {
  return ref === 0 || Number.isNaN(ref) || Number.isNaN(ours) ? NaN : 100 * (ours - ref) / ref;
}

function paperOr(f: () => number): number {
  try { return f(); } catch { return NaN; }
}

/** p of A vs B on Recall@20 under `mask`, by the context's test; NaN when it cannot be computed. */
function significance(ctx: Context, a: RunOutcome[], b: RunOutcome[], mask: ModalityMask): number {
  if (a.length === 0 || b.length === 0) return NaN;
  let t: PairedTest;
  if (ctx.significance === 'users') {
    const s = onSharedSeeds(a, b);
    const ea = s.a.map(r => r.test[mask]).filter((e): e is EvaluationResult => e?.perUser !== undefined);
    const eb = s.b.map(r => r.test[mask]).filter((e): e is EvaluationResult => e?.perUser !== undefined);
    if (ea.length === 0 || eb.length === 0) return NaN;
    t = pairedTestOverUsers(ea, eb, 'recall', 20);
  } else {
    t = pairedTTestOverSeeds(values(a, mask, 'recall@20'), values(b, mask, 'recall@20'));
  }
  return t.p;
}

function testNote(ctx: Context, against: string): string {
  return ctx.significance === 'users'
    ? `p: two-sided paired t-test over test users (each user's Recall@20 averaged over seeds) against ${against}; '-' where per-user metrics are missing`
    : `p: two-sided paired t-test over seeds (runs paired by seed) on Recall@20 against ${against}; '-' with fewer than 2 paired seeds`;
}

// ---------------------------------------------------------------------------------------------
// Table 1

/** Table 1: test Recall/NDCG/Precision@20 of every model x method, paper and ours side by side. */
export function table1(runs: readonly RunOutcome[], opts: TableOptions = {}): ResultTable {
  const ctx = context(runs, opts, PAPER_MODELS);
  const columns = ['model', 'method'];
  const formats: ColumnFormat[] = ['text', 'text'];
  for (const m of TABLE1_METRICS) {
    columns.push(`${SHORT[m]} paper`, `${SHORT[m]} ours`, `${SHORT[m]} sd`, `${SHORT[m]} Δ%`);
    formats.push('metric', 'metric', 'metric', 'percent');
  }
  columns.push('gain% paper', 'gain% ours', 'n', 'p', 'note');
  formats.push('percent', 'percent', 'int', 'p', 'text');
  const rows: CellValue[][] = [];
  const suspects: string[] = [];
  for (const b of opts.baselines ?? []) {
    const row: CellValue[] = [b.label, 'baseline'];
    for (const m of TABLE1_METRICS) {
      const s = summarize(values(b.runs, 'all', m).map(v => v.value));
      row.push(NaN, s.mean, s.sd, NaN);
    }
    row.push(NaN, NaN, b.runs.length, NaN, convergenceFlag(b.runs));
    rows.push(row);
  }
  for (const model of ctx.models) {
    const base = runsOf(ctx, model, 'backbone');
    const basePaper = ctx.paperDs ? paperOr(() => paperTable1(model, 'backbone', ctx.paperDs!, 'recall@20', { corrected: opts.correctedPaper })) : NaN;
    for (const method of methodRows(TABLE1_METHODS, opts)) {
      const mine = runsOf(ctx, model, method);
      const row: CellValue[] = [model, method];
      const marks: string[] = [];
      for (const m of TABLE1_METRICS) {
        const paper = ctx.paperDs ? paperOr(() => paperTable1(model, method, ctx.paperDs!, m, { corrected: opts.correctedPaper })) : NaN;
        const s = summarize(values(mine, 'all', m).map(v => v.value));
        row.push(paper, s.mean, s.sd, relChange(s.mean, paper));
        const sus = ctx.paperDs ? suspectCell(model, method, ctx.paperDs, m) : undefined;
        if (sus) {
          marks.push(`${SHORT[m]} printed ${sus.printed}${sus.likely !== undefined ? ` (likely ${sus.likely})` : ''}`);
          suspects.push(sus.note);
        }
      }
      const paperR = row[2] as number;
      row.push(
        method === 'backbone' ? NaN : relChange(paperR, basePaper),
        method === 'backbone' ? NaN : pairedGain(mine, base),
        mine.length,
        method === 'backbone' ? NaN : significance(ctx, mine, base, 'all'),
        [marks.length > 0 ? `suspect: ${marks.join('; ')}` : '', convergenceFlag(mine)].filter(Boolean).join('; '),
      );
      rows.push(row);
    }
  }
  const notes = [
    ...ctx.notes,
    'ours: mean over seeds of test metrics under the multimodal mask; sd: sample standard deviation; n: seeds',
    'Δ%: ours against the paper; gain%: Recall@20 against the same model\'s backbone row (ours: over the seeds both rows have)',
    testNote(ctx, 'the backbone'),
    ...(opts.baselines?.length ? [`baseline rows (not in the paper): ${opts.baselines.map(b => b.label).join(', ')}; MostPop ranks items by train popularity`] : []),
  ];
  if (suspects.length > 0) {
    notes.push(`suspect paper cells (${opts.correctedPaper ? 'replaced by their likely values' : 'shown as printed'}): ${suspects.join('; ')}`);
  }
  return { title: `Table 1: Recall/NDCG/Precision@20 on ${ctx.dataset}`, columns, formats, rows, notes };
}

// ---------------------------------------------------------------------------------------------
// Table 2

const CHANNELS: { mask: 'text' | 'visual'; mode: TrainMode }[] = [
  { mask: 'text', mode: 'text-only' }, { mask: 'visual', mode: 'visual-only' },
];

/**
 * Table 2: Recall@20 of each model's text-only and visual-only channel (the multimodal model
 * evaluated under the 'text' and 'visual' masks); the 'teacher' row is the uni-modal model trained
 * on that modality alone (plain runs with mode text-only / visual-only).
 */
export function table2(runs: readonly RunOutcome[], opts: TableOptions = {}): ResultTable {
  const ctx = context(runs, opts, PAPER_MODELS);
  const columns = ['model', 'method'];
  const formats: ColumnFormat[] = ['text', 'text'];
  for (const c of CHANNELS) {
    columns.push(`${c.mask} paper`, `${c.mask} ours`, `${c.mask} sd`, `${c.mask} Δ%`, `${c.mask} p`);
    formats.push('metric', 'metric', 'metric', 'percent', 'p');
  }
  columns.push('n', 'note');
  formats.push('int', 'text');
  const rows: CellValue[][] = [];
  for (const model of ctx.models) {
    const base = runsOf(ctx, model, 'backbone');
    for (const method of methodRows(TABLE2_METHODS, opts)) {
      const row: CellValue[] = [model, method];
      const used: RunOutcome[] = [];
      let n = Infinity;
      for (const c of CHANNELS) {
        const mine = method === 'teacher'
          ? ctx.runs.filter(r => sameModel(r, model) && modeOf(r) === c.mode && isTeacherMethod(r.method))
          : runsOf(ctx, model, method);
        const paper = ctx.paperDs ? paperOr(() => paperTable2(model, method, ctx.paperDs!, c.mask)) : NaN;
        const s = summarize(values(mine, c.mask, 'recall@20').map(v => v.value));
        const p = method === 'backbone' ? NaN : significance(ctx, mine, base, c.mask);
        row.push(paper, s.mean, s.sd, relChange(s.mean, paper), p);
        n = Math.min(n, mine.length);
        used.push(...mine.filter(r => !used.includes(r)));
      }
      row.push(n, convergenceFlag(used));
      rows.push(row);
    }
  }
  const notes = [
    ...ctx.notes,
    'text / visual: test Recall@20 with the other modality replaced by its mean; teacher: the model trained on that modality alone',
    'ours: mean over seeds; sd: sample standard deviation; Δ%: ours against the paper; n: seeds (the smaller count of the two channels)',
    testNote(ctx, 'the backbone, per channel'),
  ];
  return { title: `Table 2: uni-modal channel Recall@20 on ${ctx.dataset}`, columns, formats, rows, notes };
}

/** A uni-modal run counts as a teacher when its method is 'plain' (or is called 'teacher'). */
function isTeacherMethod(method: string): boolean {
  const m = paperMethodName(method);
  return m === 'backbone' || m === 'teacher';
}

// ---------------------------------------------------------------------------------------------
// Table 3

/** Table 3: Recall@20 of full CKD and its ablations (RunOutcome.variant) for each model. */
export function table3(runs: readonly RunOutcome[], opts: TableOptions = {}): ResultTable {
  const ctx = context(runs.filter(r => paperMethodName(r.method) === 'ckd'), { ...opts, dataset: opts.dataset ?? onlyDataset(runs) }, TABLE3_MODELS);
  const columns = ['model', 'variant', 'R@20 paper', 'R@20 ours', 'R@20 sd', 'R@20 Δ%', 'drop% paper', 'drop% ours', 'n', 'p', 'note'];
  const formats: ColumnFormat[] = ['text', 'text', 'metric', 'metric', 'metric', 'percent', 'percent', 'percent', 'int', 'p', 'text'];
  const rows: CellValue[][] = [];
  for (const model of ctx.models) {
    const full = runsOf(ctx, model, 'ckd', 'ckd');
    const fullPaper = ctx.paperDs ? paperOr(() => paperTable3(model, 'ckd', ctx.paperDs!)) : NaN;
    for (const variant of TABLE3_VARIANTS) {
      const mine = runsOf(ctx, model, 'ckd', variant);
      const paper = ctx.paperDs ? paperOr(() => paperTable3(model, variant, ctx.paperDs!)) : NaN;
      const s = summarize(values(mine, 'all', 'recall@20').map(v => v.value));
      const isFull = variant === 'ckd';
      rows.push([
        model, TABLE3_LABELS[variant], paper, s.mean, s.sd, relChange(s.mean, paper),
        isFull ? NaN : relChange(paper, fullPaper), isFull ? NaN : pairedGain(mine, full),
        mine.length, isFull ? NaN : significance(ctx, mine, full, 'all'), convergenceFlag(mine),
      ]);
    }
  }
  const notes = [
    ...ctx.notes,
    'ours: mean over seeds of test Recall@20; Δ%: ours against the paper; drop%: against full CKD (the paper\'s and ours; ours over the seeds both rows have)',
    testNote(ctx, 'full CKD'),
  ];
  return { title: `Table 3: CKD ablations, Recall@20 on ${ctx.dataset}`, columns, formats, rows, notes };
}

function onlyDataset(runs: readonly RunOutcome[]): string | undefined {
  const ds = [...new Set(runs.map(r => r.dataset))];
  return ds.length === 1 ? ds[0] : undefined;
}

// ---------------------------------------------------------------------------------------------
// DataFrames

type Danfo = typeof import('danfojs-node');
let danfo: Danfo | undefined;

/** danfojs-node, loaded on first use. */
export function loadDanfo(): Danfo {
  if (!danfo) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      danfo = require('danfojs-node') as Danfo;
    } catch (e) {
      throw new CkdError(`danfojs-node could not be loaded (${(e as Error).message.split('\n')[0]}); ` +
        `it needs the package.json overrides for xlsx and @tensorflow/tfjs-node: run npm ci`);
    }
  }
  return danfo;
}

/** The table as a danfojs-node DataFrame (numbers stay numbers; NaN where there is no value). */
export function toDataFrame(t: ResultTable): DataFrame {
  const dfd = loadDanfo();
  return new dfd.DataFrame(t.rows.map(r => r.slice()), { columns: t.columns.slice() });
}

export function table1Frame(runs: readonly RunOutcome[], opts: TableOptions = {}): DataFrame {
  return toDataFrame(table1(runs, opts));
}
export function table2Frame(runs: readonly RunOutcome[], opts: TableOptions = {}): DataFrame {
  return toDataFrame(table2(runs, opts));
}
export function table3Frame(runs: readonly RunOutcome[], opts: TableOptions = {}): DataFrame {
  return toDataFrame(table3(runs, opts));
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** One cell as text by its column's format ('-' for NaN and empty numbers). */
export function formatCell(v: CellValue | undefined, format: ColumnFormat): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (Number.isNaN(v)) return '-';
  switch (format) {
    case 'metric': return v.toFixed(4);
    case 'percent': return `${v > 0 ? '+' : ''}${v.toFixed(1)}`;
    case 'p': return v < 0.001 ? '<0.001' : v.toFixed(3);
    case 'int': return String(Math.round(v));
    default: return String(v);
  }
}

/** A percentage with its sign, for prose and verdicts: +1.2%, -0.4%, '-' for NaN. */
export function signedPercent(x: number): string {
  return Number.isNaN(x) ? '-' : `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`;
}

function isDataFrame(x: ResultTable | DataFrame): x is DataFrame {
  return !('rows' in x && 'formats' in x);
}

/** Columns, formatted rows and notes of a ResultTable, or of any DataFrame (formats guessed). */
function cells(t: ResultTable | DataFrame): { title?: string; columns: string[]; rows: string[][]; right: boolean[]; notes: string[] } {
  if (isDataFrame(t)) {
    const columns = t.columns.map(String);
    const raw = t.values as unknown as CellValue[][];
    const numeric = columns.map((_, j) => raw.every(r => typeof r[j] === 'number'));
    const rows = raw.map(r => r.map((v, j) => numeric[j] ? formatCell(v, guessFormat(columns[j], raw.map(x => x[j] as number))) : String(v ?? '')));
    return { columns, rows, right: numeric, notes: [] };
  }
  const rows = t.rows.map(r => r.map((v, j) => formatCell(v, t.formats[j])));
  return { title: t.title, columns: t.columns, rows, right: t.formats.map(f => f !== 'text'), notes: t.notes };
}

function guessFormat(column: string, vals: number[]): ColumnFormat {
  if (column.includes('%')) return 'percent';
  if (column === 'p' || column.endsWith(' p') || column.startsWith('p ')) return 'p'; // 'p', 'paired p', 'p users'
  if (vals.every(v => Number.isNaN(v) || Number.isInteger(v))) return 'int';
  return 'metric';
}

/** GitHub-flavoured markdown: an optional bold title, the table, then the notes as a list. */
export function renderMarkdown(t: ResultTable | DataFrame): string {
  const c = cells(t);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines: string[] = [];
  if (c.title) lines.push(`**${esc(c.title)}**`, '');
  lines.push(`| ${c.columns.map(esc).join(' | ')} |`);
  lines.push(`|${c.right.map(r => (r ? ' ---: ' : ' --- ')).join('|')}|`);
  for (const r of c.rows) lines.push(`| ${r.map(esc).join(' | ')} |`);
  if (c.notes.length > 0) lines.push('', ...c.notes.map(n => `- ${n}`));
  return lines.join('\n') + '\n';
}

/** Plain text with aligned columns (numbers right-aligned), for the terminal. */
export function renderText(t: ResultTable | DataFrame): string {
  const c = cells(t);
  const width = c.columns.map((h, j) => Math.max(h.length, ...c.rows.map(r => r[j].length)));
  const pad = (s: string, j: number) => (c.right[j] ? s.padStart(width[j]) : s.padEnd(width[j]));
  const lines: string[] = [];
  if (c.title) lines.push(c.title);
  lines.push(c.columns.map(pad).join('  ').trimEnd());
  lines.push(width.map(w => '-'.repeat(w)).join('  '));
  for (const r of c.rows) lines.push(r.map(pad).join('  ').trimEnd());
  for (const n of c.notes) lines.push(`  ${n}`);
  return lines.join('\n') + '\n';
}

/** An HTML <table> (with caption and notes) for reports; text is escaped. */
export function renderHtmlTable(t: ResultTable | DataFrame): string {
  const c = cells(t);
  const h = escapeHtml;
  const head = c.columns.map((col, j) => `<th${c.right[j] ? ' class="num"' : ''}>${h(col)}</th>`).join('');
  const body = c.rows.map(r => `<tr>${r.map((v, j) => `<td${c.right[j] ? ' class="num"' : ''}>${h(v)}</td>`).join('')}</tr>`).join('\n');
  const caption = c.title ? `<caption>${h(c.title)}</caption>` : '';
  const notes = c.notes.length > 0 ? `\n<ul class="notes">${c.notes.map(n => `<li>${h(n)}</li>`).join('')}</ul>` : '';
  return `<table>${caption}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>${notes}\n`;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
