/** Summary statistics of a Dataset for `ckd data inspect` (the CLI renders text or --json). */
import { Dataset, Modality, MODALITIES, SplitName, SPLITS } from './dataset';

export interface DatasetDescription {
  name: string;
  source: string;
  users: number;
  items: number;
  interactions: Record<SplitName, number> & { total: number };
  /** Users with at least one interaction in each split. */
  activeUsers: Record<SplitName, number>;
  /** Items with at least one train interaction; the rest can only be reached through features. */
  itemsWithTrain: number;
  features: Record<Modality, { rows: number; dims: number }>;
  /** total interactions / (users x items). */
  density: number;
  /** 1 - density. */
  sparsity: number;
  meanInteractionsPerUser: Record<SplitName, number> & { total: number };
  /** Train interactions per user: smallest, median, largest (over all users). */
  trainPerUser: { min: number; median: number; max: number };
  /** Distinct item categories when the data set has a category file, else null. */
  categories: number | null;
}

export function describeDataset(ds: Dataset): DatasetDescription {
  const interactions = { train: 0, val: 0, test: 0, total: 0 };
  const activeUsers = { train: 0, val: 0, test: 0 };
  for (const s of SPLITS) {
    interactions[s] = ds[s].items.length;
    interactions.total += ds[s].items.length;
    const p = ds[s].indptr;
    for (let u = 0; u < ds.numUsers; u++) if (p[u + 1] > p[u]) activeUsers[s]++;
  }
  const seen = new Uint8Array(ds.numItems);
  for (const it of ds.train.items) seen[it] = 1;
  let itemsWithTrain = 0;
  for (let i = 0; i < ds.numItems; i++) itemsWithTrain += seen[i];
  const per = new Int32Array(ds.numUsers);
  for (let u = 0; u < ds.numUsers; u++) per[u] = ds.train.indptr[u + 1] - ds.train.indptr[u];
  per.sort();
  const n = ds.numUsers;
  const cells = ds.numUsers * ds.numItems;
  const density = cells > 0 ? interactions.total / cells : 0;
  const mean = (x: number) => (n > 0 ? x / n : 0);
  const features = {} as Record<Modality, { rows: number; dims: number }>;
  for (const m of MODALITIES) features[m] = { rows: ds.features[m].rows, dims: ds.features[m].cols };
  return {
    name: ds.name,
    source: ds.source,
    users: ds.numUsers,
    items: ds.numItems,
    interactions,
    activeUsers,
    itemsWithTrain,
    features,
    density,
    sparsity: 1 - density,
    meanInteractionsPerUser: {
      train: mean(interactions.train), val: mean(interactions.val), test: mean(interactions.test), total: mean(interactions.total),
    },
    trainPerUser: n > 0
      ? { min: per[0], median: n % 2 ? per[(n - 1) / 2] : (per[n / 2 - 1] + per[n / 2]) / 2, max: per[n - 1] }
      : { min: 0, median: 0, max: 0 },
    categories: ds.itemCategories ? new Set(ds.itemCategories).size : null,
  };
}

/** A plain-text rendering, one fact per line. */
export function formatDescription(d: DatasetDescription): string {
  const int = (x: number) => x.toLocaleString('en-US');
  const fix = (x: number, k = 2) => x.toFixed(k);
  const lines = [
    `data set      ${d.name} (${d.source})`,
    `users         ${int(d.users)}`,
    `items         ${int(d.items)} (${int(d.itemsWithTrain)} with train interactions)`,
    `interactions  ${int(d.interactions.total)} total: train ${int(d.interactions.train)}, val ${int(d.interactions.val)}, test ${int(d.interactions.test)}`,
    `active users  train ${int(d.activeUsers.train)}, val ${int(d.activeUsers.val)}, test ${int(d.activeUsers.test)}`,
    `per user      ${fix(d.meanInteractionsPerUser.total)} mean (train ${fix(d.meanInteractionsPerUser.train)}, val ${fix(d.meanInteractionsPerUser.val)}, test ${fix(d.meanInteractionsPerUser.test)}); train min ${d.trainPerUser.min}, median ${d.trainPerUser.median}, max ${d.trainPerUser.max}`,
    `density       ${d.density.toExponential(3)} (sparsity ${(100 * d.sparsity).toFixed(3)}%)`,
    `features      visual ${int(d.features.visual.rows)} x ${d.features.visual.dims}, text ${int(d.features.text.rows)} x ${d.features.text.dims}`,
    `categories    ${d.categories === null ? 'none (no item_category.npy)' : int(d.categories)}`,
  ];
  return lines.join('\n');
}

/**
 * The q-quantile of ascending-sorted values, interpolating linearly between the two nearest
 * ranks (numpy.percentile's default): position (n - 1) q. NaN for no values.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * Math.min(Math.max(q, 0), 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Gini coefficient of non-negative values: 0 when all are equal, towards 1 when one holds
 * everything. sum_i (2i - n - 1) x_(i) / (n sum x) over the ascending order, i = 1..n; 0 for
 * no values or an all-zero list.
 */
export function gini(values: ArrayLike<number>): number {
  const x = Float64Array.from(values as ArrayLike<number>).sort();
  const n = x.length;
  let total = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) { total += x[i]; weighted += (2 * (i + 1) - n - 1) * x[i]; }
  return n > 0 && total > 0 ? weighted / (n * total) : 0;
}

/** Mean, median, 90th percentile and maximum of counts. */
export interface CountSummary { mean: number; median: number; p90: number; max: number }

export function summarizeCounts(counts: ArrayLike<number>): CountSummary {
  const x = Float64Array.from(counts as ArrayLike<number>).sort();
  let sum = 0;
  for (let k = 0; k < x.length; k++) sum += x[k];
  return {
    mean: x.length ? sum / x.length : NaN,
    median: quantileSorted(x, 0.5),
    p90: quantileSorted(x, 0.9),
    max: x.length ? x[x.length - 1] : NaN,
  };
}

/** Interactions per user over all splits, and train interactions per item (every item counted, zeros too). */
export function degreeCounts(ds: Dataset): { perUser: Int32Array; perItemTrain: Int32Array } {
  const perUser = new Int32Array(ds.numUsers);
  for (const s of SPLITS) for (let u = 0; u < ds.numUsers; u++) perUser[u] += ds[s].indptr[u + 1] - ds[s].indptr[u];
  const perItemTrain = new Int32Array(ds.numItems);
  for (const i of ds.train.items) perItemTrain[i]++;
  return { perUser, perItemTrain };
}
