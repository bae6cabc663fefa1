import { UserItemLists } from '../data/dataset';
import { CkdError } from '../errors';

/** What full ranking reads: score(u, i) = userEmb[u] . itemEmb[i]; `exclude` items are never ranked. */
export interface RankingInput {
  /** numUsers x dim, row-major. */
  userEmb: Float32Array;
  /** numItems x dim, row-major. */
  itemEmb: Float32Array;
  dim: number;
  /** Per user, the items it may not be recommended (its train items), sorted ascending. */
  exclude: UserItemLists;
}

/** Per ranked user, its best `k` items, best first. */
export interface TopKLists {
  k: number;
  /** The ranked users, in the order their rows appear below. */
  users: Int32Array;
  /** users.length x k item ids; -1 where the user had fewer than k candidates. */
  items: Int32Array;
  /** users.length x k scores matching `items`; -Infinity in unfilled slots. */
  scores: Float32Array;
}

export function numUsersOf(input: RankingInput): number { return input.userEmb.length / input.dim; }
export function numItemsOf(input: RankingInput): number { return input.itemEmb.length / input.dim; }

/**
 * Rejects what would make ranking silently wrong: shapes that do not divide, lists for another
 * number of users, unsorted or out-of-range exclusions, and non-finite embeddings (a NaN score
 * compares false with everything, so the item would quietly never be ranked).
 */
export function checkRankingInput(input: RankingInput, users: Int32Array, k: number): void {
  const { userEmb, itemEmb, dim, exclude } = input;
  if (!Number.isInteger(dim) || dim < 1) throw new CkdError(`ranking: dim must be a positive integer, got ${dim}`);
  if (userEmb.length % dim !== 0) throw new CkdError(`ranking: userEmb length ${userEmb.length} is not a multiple of dim ${dim}`);
  if (itemEmb.length % dim !== 0) throw new CkdError(`ranking: itemEmb length ${itemEmb.length} is not a multiple of dim ${dim}`);
  if (!Number.isInteger(k) || k < 1) throw new CkdError(`ranking: k must be a positive integer, got ${k}`);
  const numUsers = numUsersOf(input);
  const numItems = numItemsOf(input);
  if (numItems < 1) throw new CkdError('ranking: there are no items');
  checkLists(exclude, numUsers, numItems, 'exclude');
  for (let r = 0; r < users.length; r++) {
    const u = users[r];
    if (u < 0 || u >= numUsers) throw new CkdError(`ranking: user ${u} is out of range [0, ${numUsers})`);
  }
  if (!allFinite(itemEmb)) throw new CkdError('ranking: itemEmb contains NaN or infinite values');
  for (let r = 0; r < users.length; r++) {
    if (!allFinite(userEmb, users[r] * dim, dim)) throw new CkdError(`ranking: userEmb row ${users[r]} contains NaN or infinite values`);
  }
}

export function checkLists(lists: UserItemLists, numUsers: number, numItems: number, what: string): void {
  const { indptr, items } = lists;
  if (indptr.length !== numUsers + 1) {
    throw new CkdError(`ranking: ${what} lists cover ${indptr.length - 1} users, the embeddings ${numUsers}`);
  }
  if (indptr[0] !== 0 || indptr[numUsers] !== items.length) throw new CkdError(`ranking: ${what} indptr is inconsistent with its items`);
  for (let u = 0; u < numUsers; u++) {
    const end = indptr[u + 1];
    if (end < indptr[u]) throw new CkdError(`ranking: ${what} indptr decreases at user ${u}`);
    for (let e = indptr[u]; e < end; e++) {
      const it = items[e];
      if (it < 0 || it >= numItems) throw new CkdError(`ranking: ${what} item ${it} of user ${u} is out of range [0, ${numItems})`);
      if (e > indptr[u] && it <= items[e - 1]) throw new CkdError(`ranking: ${what} items of user ${u} are not sorted and unique`);
    }
  }
}

function allFinite(a: Float32Array, start = 0, length = a.length): boolean {
  for (let i = start, end = start + length; i < end; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}
