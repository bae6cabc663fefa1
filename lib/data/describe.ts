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
