/**
 * How close a data set's statistics come to Amazon Baby's (`ckd data calibrate`). Only data
 * statistics and the popularity baseline (MostPop) enter: nothing here trains a model.
 */
import { Dataset } from '../data/dataset';
import { degreeCounts, gini, summarizeCounts } from '../data/describe';
import { popularityBaseline } from '../eval/popularity';

export interface CalibrationStats {
  users: number;
  items: number;
  interactions: number;
  train: number;
  val: number;
  test: number;
  /** Interactions per user over all three splits. */
  perUserMean: number;
  perUserMedian: number;
  perUserP90: number;
  /** Train interactions per item (items without any counted as 0). */
  perItemTrainMean: number;
  perItemTrainMedian: number;
  perItemTrainP90: number;
  perItemTrainMax: number;
  /** Gini coefficient of the train interactions per item. */
  gini: number;
  /** MostPop test Recall@20, each user's train items excluded from the ranking. */
  mostPopRecall20: number;
}

export type CalibrationKey = keyof CalibrationStats;

/** Row labels of the table, in order. */
export const CALIBRATION_ROWS: { key: CalibrationKey; label: string }[] = [
  { key: 'users', label: 'users' },
  { key: 'items', label: 'items' },
  { key: 'interactions', label: 'interactions' },
  { key: 'train', label: '  train' },
  { key: 'val', label: '  val' },
  { key: 'test', label: '  test' },
  { key: 'perUserMean', label: 'per user: mean' },
  { key: 'perUserMedian', label: 'per user: median' },
  { key: 'perUserP90', label: 'per user: p90' },
  { key: 'perItemTrainMean', label: 'per item (train): mean' },
  { key: 'perItemTrainMedian', label: 'per item (train): median' },
  { key: 'perItemTrainP90', label: 'per item (train): p90' },
  { key: 'perItemTrainMax', label: 'per item (train): max' },
  { key: 'gini', label: 'Gini (train per item)' },
  { key: 'mostPopRecall20', label: 'MostPop test Recall@20' },
];

/**
 * The public Amazon Baby 5-core split in the LATTICE layout (the files the CKD code reads):
 * its counts, per-user and per-item statistics, Gini and MostPop Recall@20 as the project
 * measured them. `ckd data calibrate --data DIR` on a copy of that folder measures them again
 * with the definitions above (percentiles interpolate linearly).
 */
export const BABY_TARGETS: CalibrationStats = {
  users: 19445,
  items: 7050,
  interactions: 160792,
  train: 119674,
  val: 20559,
  test: 20559,
  perUserMean: 8.27,
  perUserMedian: 6,
  perUserP90: 13,
  perItemTrainMean: 17.0,
  perItemTrainMedian: 8,
  perItemTrainP90: 37,
  perItemTrainMax: 575,
  gini: 0.555,
  mostPopRecall20: 0.052,
};

export async function calibrationStats(ds: Dataset): Promise<CalibrationStats> {
  const { perUser, perItemTrain } = degreeCounts(ds);
  const u = summarizeCounts(perUser);
  const i = summarizeCounts(perItemTrain);
  const pop = await popularityBaseline(ds, 'test', [20]);
  const train = ds.train.items.length;
  const val = ds.val.items.length;
  const test = ds.test.items.length;
  return {
    users: ds.numUsers,
    items: ds.numItems,
    interactions: train + val + test,
    train, val, test,
    perUserMean: u.mean,
    perUserMedian: u.median,
    perUserP90: u.p90,
    perItemTrainMean: i.mean,
    perItemTrainMedian: i.median,
    perItemTrainP90: i.p90,
    perItemTrainMax: i.max,
    gini: gini(perItemTrain),
    mostPopRecall20: pop.recall[20],
  };
}

export interface CalibrationRow {
  key: CalibrationKey;
  label: string;
  target: number;
  ours: number;
  /** (ours - target) / target. */
  relDiff: number;
}

export function calibrationRows(ours: CalibrationStats, target: CalibrationStats = BABY_TARGETS): CalibrationRow[] {
  return CALIBRATION_ROWS.map(({ key, label }) => ({
    key, label, target: target[key], ours: ours[key], relDiff: (ours[key] - target[key]) / target[key],
  }));
}

function formatValue(key: CalibrationKey, x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (key === 'gini' || key === 'mostPopRecall20') return x.toFixed(3);
  if (key.startsWith('per') && key !== 'perItemTrainMax') return x.toFixed(2);
  return x.toLocaleString('en-US');
}

const pct = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%` : String(x));

/** A plain-text table: statistic, Baby target, ours, relative difference. */
export function formatCalibration(rows: CalibrationRow[], oursName = 'ours'): string {
  const cells = [['statistic', 'Baby', oursName, 'rel. diff'],
    ...rows.map(r => [r.label, formatValue(r.key, r.target), formatValue(r.key, r.ours), pct(r.relDiff)])];
  const width = [0, 1, 2, 3].map(c => Math.max(...cells.map(row => row[c].length)));
  return cells.map(row => row.map((cell, c) => (c === 0 ? cell.padEnd(width[c]) : cell.padStart(width[c]))).join('  ')).join('\n');
}

/** The same table in Markdown (for results/ and docs/). */
export function calibrationMarkdown(rows: CalibrationRow[], oursName = 'ours'): string {
  return [`| statistic | Baby | ${oursName} | rel. diff |`, '|---|--:|--:|--:|',
    ...rows.map(r => `| ${r.label.trim()} | ${formatValue(r.key, r.target)} | ${formatValue(r.key, r.ours)} | ${pct(r.relDiff)} |`)].join('\n');
}
