import * as fs from 'fs';
import { DataError } from '../errors';
import { MASKS, ModalityMask } from '../models/backbone';
import { PairedTest, pairedTTestOverSeeds, summarize } from './summary';

/** The parts of a `ckd train` run record that a comparison reads. */
export interface RunMetrics {
  file: string;
  seed: number;
  label: string;
  test: Record<ModalityMask, Record<'recall' | 'ndcg' | 'precision', Record<string, number>>>;
}

export function readRunMetrics(file: string): RunMetrics {
  let rec: { config?: { seed?: number; model?: string; method?: string }; result?: { test?: RunMetrics['test'] } };
  try {
    rec = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DataError(file, `cannot read a run record (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
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
