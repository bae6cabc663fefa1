/** The one in-memory shape every loader produces and everything downstream consumes. */

export type Modality = 'visual' | 'text';
export const MODALITIES: readonly Modality[] = ['visual', 'text'];

/** Row-major float32 matrix: row i is item i's feature vector. */
export interface FeatureMatrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

/**
 * Interactions of one split grouped by user, CSR style: the items of user u are
 * items[indptr[u] .. indptr[u+1]), sorted ascending, without duplicates.
 */
export interface UserItemLists {
  indptr: Int32Array; // length numUsers + 1
  items: Int32Array;
}

export interface Dataset {
  /** Short name, e.g. "default" or "baby". */
  name: string;
  /** Where it was read from (a folder), or "<memory>". */
  source: string;
  numUsers: number;
  numItems: number;
  train: UserItemLists;
  val: UserItemLists;
  test: UserItemLists;
  features: Record<Modality, FeatureMatrix>;
  /** Optional item category ids (DeepStyle); absent when the data set has none. */
  itemCategories?: Int32Array;
}

export type SplitName = 'train' | 'val' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'val', 'test'];

export function interactionCount(lists: UserItemLists): number {
  return lists.items.length;
}

export function itemsOf(lists: UserItemLists, user: number): Int32Array {
  return lists.items.subarray(lists.indptr[user], lists.indptr[user + 1]);
}

/** Builds CSR lists from per-user arrays (each sorted and de-duplicated here). */
export function listsFromArrays(perUser: ArrayLike<number>[][] | number[][], numUsers: number): UserItemLists {
  const indptr = new Int32Array(numUsers + 1);
  const sorted: Int32Array[] = [];
  for (let u = 0; u < numUsers; u++) {
    const raw = (perUser[u] ?? []) as ArrayLike<number>;
    const arr = Int32Array.from(raw as ArrayLike<number>).sort();
    let n = 0;
    for (let k = 0; k < arr.length; k++) if (k === 0 || arr[k] !== arr[k - 1]) arr[n++] = arr[k];
    sorted.push(arr.subarray(0, n));
    indptr[u + 1] = indptr[u] + n;
  }
  const items = new Int32Array(indptr[numUsers]);
  for (let u = 0; u < numUsers; u++) items.set(sorted[u], indptr[u]);
  return { indptr, items };
}
