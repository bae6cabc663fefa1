/**
 * Turns parsed interactions of the three splits plus features into a validated Dataset.
 * Both layout readers parse their files into RawSplits (ids already checked to be integers >= 0)
 * and hand them here, so every rule below holds for both layouts:
 * - item count = feature rows (both modalities agree); an item id >= feature rows is an error.
 *   Items with no interaction at all (rows beyond the largest id) are allowed: they are items
 *   nobody interacted with, still ranked at evaluation. (The CKD code takes max id + 1 and
 *   assumes the feature rows match; the public files do.)
 * - user count = largest user id seen + 1 (ids need not be contiguous; ids without interactions
 *   are users with empty lists). The LATTICE reader also counts keys with empty lists.
 * - duplicate (user, item) pairs within a split are dropped with one warning per split; a pair
 *   already in train that reappears in val/test (or in val and test) is dropped from the later
 *   split with a warning (it would be masked at evaluation and could never be hit).
 * - a split with no interactions is an error; so is a val/test user without train items
 *   (the MMRec toolbox silently drops such users; we refuse: the split should be fixed).
 */
import { DataError } from '../errors';
import { Dataset, FeatureMatrix, Modality, SplitName, SPLITS, UserItemLists } from './dataset';

export interface RawSplit {
  /** The file the split was read from (error messages name it). */
  file: string;
  /** How messages name the split, e.g. "val split" or "val split (x_label 1)". */
  label: string;
  users: Int32Array;
  items: Int32Array;
  /** Where interaction k came from, e.g. "user 12" or "line 57". */
  where(k: number): string;
}

export interface AssembleInput {
  name: string;
  source: string;
  splits: Record<SplitName, RawSplit>;
  /** A lower bound on the user count (e.g. largest JSON key + 1, counting empty lists). */
  minUsers?: number;
  /** Where that bound came from, for the message if it is absurd, e.g. the file and "user 99". */
  minUsersSource?: { file: string; where: string };
  features: Record<Modality, FeatureMatrix>;
  /** Named in messages about item ids beyond the feature rows. */
  featureFile: string;
  itemCategories?: Int32Array;
  warn: (message: string) => void;
}

/** Guard against a stray huge user id allocating gigabytes: ids must be reasonably dense. */
const MAX_SPARE_USERS = 1_000_000;

export function assembleDataset(input: AssembleInput): Dataset {
  const numItems = input.features.visual.rows;
  let total = 0;
  let maxUser = -1;
  let maxUserSplit: RawSplit | undefined;
  let maxUserAt = -1;
  for (const s of SPLITS) {
    const sp = input.splits[s];
    total += sp.users.length;
    for (let k = 0; k < sp.users.length; k++) {
      if (sp.items[k] >= numItems) {
        throw new DataError(sp.file, `${sp.where(k)}: item ${sp.items[k]} is out of range: ${input.featureFile} has ${numItems} rows, so item ids must be below ${numItems}`);
      }
      if (sp.users[k] > maxUser) { maxUser = sp.users[k]; maxUserSplit = sp; maxUserAt = k; }
    }
  }
  const limit = 16 * total + MAX_SPARE_USERS;
  const tooBig = (u: number) => `user id ${u} is out of range for ${total} interactions (user ids must be 0-based and roughly contiguous)`;
  if (maxUserSplit && maxUser + 1 > limit) {
    throw new DataError(maxUserSplit.file, `${maxUserSplit.where(maxUserAt)}: ${tooBig(maxUser)}`);
  }
  const minUsers = input.minUsers ?? 0;
  if (minUsers > limit) {
    const src = input.minUsersSource ?? { file: input.splits.train.file, where: `user ${minUsers - 1}` };
    throw new DataError(src.file, `${src.where}: ${tooBig(minUsers - 1)}`);
  }
  const numUsers = Math.max(maxUser + 1, minUsers);

  const lists = {} as Record<SplitName, UserItemLists>;
  for (const s of SPLITS) {
    const sp = input.splits[s];
    const { lists: l, duplicates, firstDuplicate } = buildLists(sp.users, sp.items, numUsers);
    if (duplicates > 0) {
      input.warn(`${sp.file}: dropped ${duplicates} duplicate interaction(s) in the ${sp.label} (first: ${sp.where(firstDuplicate)}, item ${sp.items[firstDuplicate]})`);
    }
    lists[s] = l;
  }

  // Val/test users need train items.
  for (const s of ['val', 'test'] as SplitName[]) {
    const sp = input.splits[s];
    const tr = lists.train.indptr;
    for (let k = 0; k < sp.users.length; k++) {
      const u = sp.users[k];
      if (tr[u + 1] === tr[u]) {
        throw new DataError(sp.file, `${sp.where(k)}: user ${u} has interactions in the ${sp.label} but no train items`);
      }
    }
  }

  // Pairs repeated across splits: keep the earliest split (train, then val, then test).
  lists.val = dropSeen(lists.val, [lists.train], input.splits.val, input.warn);
  lists.test = dropSeen(lists.test, [lists.train, lists.val], input.splits.test, input.warn);

  for (const s of SPLITS) {
    const sp = input.splits[s];
    if (lists[s].items.length === 0) throw new DataError(sp.file, `the ${sp.label} has no interactions`);
  }

  const ds: Dataset = {
    name: input.name,
    source: input.source,
    numUsers,
    numItems,
    train: lists.train,
    val: lists.val,
    test: lists.test,
    features: input.features,
  };
  if (input.itemCategories) ds.itemCategories = input.itemCategories;
  return ds;
}

/** CSR by user with each user's items sorted and de-duplicated; counts the duplicates dropped. */
export function buildLists(users: Int32Array, items: Int32Array, numUsers: number):
  { lists: UserItemLists; duplicates: number; firstDuplicate: number } {
  const counts = new Int32Array(numUsers + 1);
  for (let k = 0; k < users.length; k++) counts[users[k] + 1]++;
  for (let u = 0; u < numUsers; u++) counts[u + 1] += counts[u];
  const fill = counts.slice(0, numUsers);
  const raw = new Int32Array(users.length);
  for (let k = 0; k < users.length; k++) raw[fill[users[k]]++] = items[k];
  const indptr = new Int32Array(numUsers + 1);
  let n = 0;
  let duplicates = 0;
  for (let u = 0; u < numUsers; u++) {
    const seg = raw.subarray(counts[u], counts[u + 1]).sort();
    for (let k = 0; k < seg.length; k++) {
      if (k > 0 && seg[k] === seg[k - 1]) { duplicates++; continue; }
      raw[n++] = seg[k];
    }
    indptr[u + 1] = n;
  }
  let firstDuplicate = -1;
  if (duplicates > 0) {
    // Report the first duplicate in file order.
    let stride = 1;
    for (let k = 0; k < items.length; k++) if (items[k] >= stride) stride = items[k] + 1;
    const seen = new Set<number>();
    for (let k = 0; k < users.length && firstDuplicate < 0; k++) {
      const key = users[k] * stride + items[k];
      if (seen.has(key)) firstDuplicate = k; else seen.add(key);
    }
  }
  return { lists: { indptr, items: raw.slice(0, n) }, duplicates, firstDuplicate };
}

/** Whether `item` is in the sorted segment items[lo, hi). */
export function sortedContains(items: Int32Array, lo: number, hi: number, item: number): boolean {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = items[mid];
    if (v === item) return true;
    if (v < item) lo = mid + 1; else hi = mid;
  }
  return false;
}

function dropSeen(lists: UserItemLists, earlier: UserItemLists[], sp: RawSplit, warn: (m: string) => void): UserItemLists {
  const numUsers = lists.indptr.length - 1;
  const indptr = new Int32Array(numUsers + 1);
  const out = new Int32Array(lists.items.length);
  let n = 0;
  let dropped = 0;
  let first = '';
  for (let u = 0; u < numUsers; u++) {
    for (let k = lists.indptr[u]; k < lists.indptr[u + 1]; k++) {
      const it = lists.items[k];
      if (earlier.some((e) => sortedContains(e.items, e.indptr[u], e.indptr[u + 1], it))) {
        if (dropped++ === 0) first = `user ${u}, item ${it}`;
        continue;
      }
      out[n++] = it;
    }
    indptr[u + 1] = n;
  }
  if (dropped === 0) return lists;
  warn(`${sp.file}: dropped ${dropped} interaction(s) from the ${sp.label} that already occur in an earlier split (first: ${first})`);
  return { indptr, items: out.slice(0, n) };
}
