import * as fs from 'fs';
import { DataError } from '../errors';
import { MASKS, ModalityMask } from '../models/backbone';
import * as path from 'path';
import { ResultRecord, ResultStore } from './result-store';
import { STORE_FILE, openResultsStore } from './results-folder';
import { RunCell, RunCellResult, ckdVariant } from './run-cell';
import { PairedTest, pairedTTestOverSeeds, summarize } from './summary';

/** The parts of a run's record that a comparison reads. */
export interface RunMetrics {
  file: string;
  seed: number;
  label: string;
  test: Record<ModalityMask, Record<'recall' | 'ndcg' | 'precision', Record<string, number>>>;
}

/**
 * A `ckd train` record: a run cell's record (a result-store line, what ckd train writes), or the
 * earlier standalone shape (config.seed, result.test with metrics per K) of committed records.
 */
export function readRunMetrics(file: string): RunMetrics {
  let rec: { key?: unknown; config?: { kind?: string; seed?: number; model?: string; method?: string }; result?: { test?: RunMetrics['test'] } };
  try {
    rec = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DataError(file, `cannot read a run record (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (typeof rec.key === 'string' && rec.config?.kind === 'run') {
    const [cell] = new ResultStore<RunCell, RunCellResult>(file).records();
    if (!cell) throw new DataError(file, 'not a valid run cell record');
    return cellMetrics(cell, file);
  }
  const seed = rec.config?.seed;
  const test = rec.result?.test;
  if (typeof seed !== 'number' || !test || !MASKS.every(m => test[m]?.recall?.['20'] !== undefined)) {
    throw new DataError(file, 'not a ckd train record (needs config.seed and result.test under all three masks at K=20)');
  }
  return { file, seed, test, label: `${rec.config?.model ?? '?'}+${rec.config?.method ?? 'plain'}` };
}

export interface ComparisonRow {
  metric: string;
  a: { mean: number; sd: number };
  b: { mean: number; sd: number };
  test: PairedTest;
}

const ROWS: [string, ModalityMask, 'recall' | 'ndcg' | 'precision'][] = [
  ['Recall@20', 'all', 'recall'], ['NDCG@20', 'all', 'ndcg'], ['Precision@20', 'all', 'precision'],
  ['Recall@20 text channel', 'text', 'recall'], ['Recall@20 visual channel', 'visual', 'recall'],
];

/** A against B, paired by seed: means, standard deviations and a two-sided paired t-test per metric. */
export function compareRuns(a: RunMetrics[], b: RunMetrics[]): ComparisonRow[] {
  return ROWS.map(([metric, mask, name]) => {
    const va = a.map(r => ({ seed: r.seed, value: r.test[mask][name]['20'] }));
    const vb = b.map(r => ({ seed: r.seed, value: r.test[mask][name]['20'] }));
    const sa = summarize(va.map(v => v.value));
    const sb = summarize(vb.map(v => v.value));
    return { metric, a: { mean: sa.mean, sd: sa.sd }, b: { mean: sb.mean, sd: sb.sd }, test: pairedTTestOverSeeds(va, vb) };
  });
}

export function comparisonMarkdown(labelA: string, labelB: string, rows: ComparisonRow[]): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : 'n/a');
  const lines = [
    `| metric (test) | ${labelA} mean ± sd | ${labelB} mean ± sd | difference | paired t over seeds: n, p |`,
    '|---|---|---|---|---|',
    ...rows.map(r => `| ${r.metric} | ${f(r.a.mean)} ± ${f(r.a.sd)} | ${f(r.b.mean)} ± ${f(r.b.sd)} | ${r.test.meanDiff >= 0 ? '+' : ''}${f(r.test.meanDiff)} | ${r.test.n}, ${Number.isFinite(r.test.p) ? r.test.p.toPrecision(2) : 'n/a'} |`),
  ];
  return lines.join('\n') + '\n';
}

/**
 * The runs of a result store that match a selector such as
 * `model=vbpr,method=ckd` (mode defaults to multimodal; a CKD selector matches full CKD unless
 * it names a variant, e.g. variant=without_generic; lr=X keeps the runs at that learning rate, where
 * a store holds several), one RunMetrics per seed. `file` is a results
 * folder of ckd reproduce, or its store.jsonl: both read every store file of the folder merged
 * (store.jsonl and the shards' store.shard-K-of-N.jsonl); any other file is read alone.
 */
export function readStoreMetrics(file: string, selector: string): RunMetrics[] {
  const want: Record<string, string> = { mode: 'multimodal' };
  for (const part of selector.split(',').filter(Boolean)) {
    const [k, v] = part.split('=');
    if (!['model', 'method', 'mode', 'variant', 'lr'].includes(k) || v === undefined || (k === 'lr' && !(Number(v) > 0))) {
      throw new DataError(file, `selector '${selector}': expected model=NAME,method=NAME[,mode=MODE][,variant=NAME][,lr=X]`);
    }
    want[k] = v;
  }
  if (!want.model || !want.method) throw new DataError(file, `selector '${selector}' needs model= and method=`);
  if (want.method === 'ckd' && !want.variant) want.variant = 'ckd';
  const folder = isFolder(file) ? file : path.basename(file) === STORE_FILE ? path.dirname(file) : undefined;
  const store = folder !== undefined ? openResultsStore(folder) : new ResultStore<RunCell, RunCellResult>(file);
  const out: RunMetrics[] = [];
  for (const r of store.records()) {
    const c = r.config;
    if (c?.kind !== 'run' || c.model !== want.model || c.method !== want.method || c.mode !== want.mode) continue;
    if ((ckdVariant(c) ?? undefined) !== want.variant) continue;
    if (want.lr !== undefined && c.train.lr !== Number(want.lr)) continue;
    out.push(cellMetrics(r, `${file}#${r.key}`));
  }
  if (out.length === 0) throw new DataError(file, `no finished run matches '${selector}'`);
  return out;
}

/** A run cell's record as RunMetrics: its seed, its test metrics at K=20, a label naming any CKD variant. */
function cellMetrics(r: ResultRecord<RunCell, RunCellResult>, file: string): RunMetrics {
  const c = r.config;
  const test = {} as RunMetrics['test'];
  for (const m of MASKS) {
    const t = r.result.test[m];
    test[m] = { recall: { 20: t.recall20 }, ndcg: { 20: t.ndcg20 }, precision: { 20: t.precision20 } };
  }
  const v = ckdVariant(c);
  return { file, seed: c.train.seed, test, label: `${c.model}+${v && v !== 'ckd' ? `ckd/${v}` : c.method}` };
}

function isFolder(file: string): boolean {
  try { return fs.statSync(file).isDirectory(); } catch { return false; }
}

/** A compare argument: a run record file, or STORE.jsonl#SELECTOR (several runs). */
export function readArm(spec: string): RunMetrics[] {
  const at = spec.indexOf('#');
  return at >= 0 ? readStoreMetrics(spec.slice(0, at), spec.slice(at + 1)) : [readRunMetrics(spec)];
}
