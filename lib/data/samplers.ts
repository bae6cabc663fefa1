/**
 * Training triples, all drawn from an Rng passed in (same Rng state -> identical batches).
 *
 * BPR triples (u, i, j): i a train positive of u, j uniform over the items u has no train
 * interaction with (rejection sampling against the user's sorted train items with a binary
 * search; for a user holding more than half of all items, the j-th missing item is computed
 * directly instead, so the cost stays bounded; same distribution either way).
 * Two epoch schemes:
 *  - 'ckd' (default): the CKD code's Data.sample() (codes/utility/load_data.py): an epoch is
 *    n_train // batch_size + 1 batches; each batch draws batch_size distinct users uniformly
 *    from the users with train items (with replacement only if batch_size exceeds their number,
 *    as random.sample / random.choice there), then one uniform train positive and one negative
 *    per user. Users, not interactions, are uniform: heavy users are seen less often per
 *    interaction, and an epoch need not visit every interaction.
 *  - 'interactions': every train interaction exactly once per epoch in a shuffled order, one
 *    negative each (MMRec / RecBole style), last batch partial.
 *
 * Universal triples (u, j, k) for CKD's generic distillation: the CKD code's Data.kd_sample():
 * `count` users drawn like a 'ckd' batch (distinct when count <= number of train users), j and
 * k independent uniform items over all items (they may coincide or be positives, as there).
 */
import { CkdError } from '../errors';
import { Rng } from '../engine/random';
import { UserItemLists } from './dataset';

export interface BprBatch {
  users: Int32Array;
  pos: Int32Array;
  neg: Int32Array;
}

export interface UniversalTriples {
  users: Int32Array;
  j: Int32Array;
  k: Int32Array;
}

export type BprSampling = 'ckd' | 'interactions';

/** The users with at least one train item, ascending. */
export function usersWithItems(lists: UserItemLists): Int32Array {
  const numUsers = lists.indptr.length - 1;
  let n = 0;
  for (let u = 0; u < numUsers; u++) if (lists.indptr[u + 1] > lists.indptr[u]) n++;
  const out = new Int32Array(n);
  n = 0;
  for (let u = 0; u < numUsers; u++) if (lists.indptr[u + 1] > lists.indptr[u]) out[n++] = u;
  return out;
}

/**
 * A uniform item in [0, numItems) outside items[lo, hi) (sorted ascending, distinct, within range).
 * Throws when the user holds every item.
 */
export function sampleNegative(items: Int32Array, lo: number, hi: number, numItems: number, rng: Rng, user = -1): number {
  const cnt = hi - lo;
  if (cnt >= numItems) {
    throw new CkdError(`user ${user} has a train interaction with every one of the ${numItems} items: no negative item exists`);
  }
  if (2 * cnt <= numItems) {
    for (;;) {
      const j = rng.int(numItems);
      if (!contains(items, lo, hi, j)) return j;
    }
  }
  // The r-th (0-based) missing item: the smallest p with items[lo + p] - p > r gives r + p.
  const r = rng.int(numItems - cnt);
  let a = 0;
  let b = cnt;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (items[lo + mid] - mid > r) b = mid; else a = mid + 1;
  }
  return r + a;
}

function contains(items: Int32Array, lo: number, hi: number, x: number): boolean {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = items[mid];
    if (v === x) return true;
    if (v < x) lo = mid + 1; else hi = mid;
  }
  return false;
}

/** Samples BPR triples and universal triples over one train split. Holds no random state. */
export class TripleSampler {
  readonly train: UserItemLists;
  readonly numItems: number;
  readonly numUsers: number;
  /** Users with train items, ascending (the CKD code's exist_users). */
  readonly trainUsers: Int32Array;
  readonly numTrain: number;
  private readonly scratch: Int32Array;

  constructor(train: UserItemLists, numItems: number) {
    if (!(numItems > 0)) throw new CkdError(`a sampler needs at least one item (got ${numItems})`);
    this.train = train;
    this.numItems = numItems;
    this.numUsers = train.indptr.length - 1;
    this.trainUsers = usersWithItems(train);
    this.numTrain = train.items.length;
    if (this.trainUsers.length === 0) throw new CkdError('a sampler needs at least one user with train items');
    this.scratch = new Int32Array(this.trainUsers.length);
  }

  /** Batches in one epoch: n_train // batchSize + 1 for 'ckd', ceil(n_train / batchSize) for 'interactions'. */
  batchesPerEpoch(batchSize: number, mode: BprSampling = 'ckd'): number {
    checkSize(batchSize);
    return mode === 'ckd' ? Math.floor(this.numTrain / batchSize) + 1 : Math.ceil(this.numTrain / batchSize);
  }

  /** `count` train users: distinct when count <= number of train users, else with replacement. */
  drawUsers(count: number, rng: Rng): Int32Array {
    const out = new Int32Array(count);
    const n = this.trainUsers.length;
    if (count <= n) {
      const a = this.scratch;
      a.set(this.trainUsers);
      for (let k = 0; k < count; k++) {
        const r = k + rng.int(n - k);
        const t = a[k]; a[k] = a[r]; a[r] = t;
        out[k] = a[k];
      }
    } else {
      for (let k = 0; k < count; k++) out[k] = this.trainUsers[rng.int(n)];
    }
    return out;
  }

  /** A uniform train positive of user u (u must have train items). */
  samplePositive(u: number, rng: Rng): number {
    const lo = this.train.indptr[u];
    const n = this.train.indptr[u + 1] - lo;
    if (n === 0) throw new CkdError(`user ${u} has no train items to draw a positive from`);
    return this.train.items[lo + rng.int(n)];
  }

  /** A uniform item user u has no train interaction with. */
  sampleNegative(u: number, rng: Rng): number {
    return sampleNegative(this.train.items, this.train.indptr[u], this.train.indptr[u + 1], this.numItems, rng, u);
  }

  /** One batch the way the CKD code's Data.sample() draws it. */
  ckdBatch(batchSize: number, rng: Rng): BprBatch {
    checkSize(batchSize);
    const users = this.drawUsers(batchSize, rng);
    const pos = new Int32Array(batchSize);
    const neg = new Int32Array(batchSize);
    for (let k = 0; k < batchSize; k++) {
      pos[k] = this.samplePositive(users[k], rng);
      neg[k] = this.sampleNegative(users[k], rng);
    }
    return { users, pos, neg };
  }

  /** All batches of one epoch. */
  epoch(batchSize: number, rng: Rng, mode: BprSampling = 'ckd'): BprBatch[] {
    checkSize(batchSize);
    if (mode === 'ckd') {
      const n = this.batchesPerEpoch(batchSize, mode);
      const out: BprBatch[] = [];
      for (let b = 0; b < n; b++) out.push(this.ckdBatch(batchSize, rng));
      return out;
    }
    if (mode !== 'interactions') throw new CkdError(`unknown BPR sampling scheme ${JSON.stringify(mode)} (expected 'ckd' or 'interactions')`);
    const order = new Int32Array(this.numTrain);
    for (let k = 0; k < order.length; k++) order[k] = k;
    rng.shuffle(order);
    const owner = new Int32Array(this.numTrain);
    for (let u = 0; u < this.numUsers; u++) owner.fill(u, this.train.indptr[u], this.train.indptr[u + 1]);
    const out: BprBatch[] = [];
    for (let start = 0; start < order.length; start += batchSize) {
      const len = Math.min(batchSize, order.length - start);
      const users = new Int32Array(len);
      const pos = new Int32Array(len);
      const neg = new Int32Array(len);
      for (let k = 0; k < len; k++) {
        const e = order[start + k];
        users[k] = owner[e];
        pos[k] = this.train.items[e];
        neg[k] = this.sampleNegative(users[k], rng);
      }
      out.push({ users, pos, neg });
    }
    return out;
  }

  /** Universal triples for generic distillation (the CKD code draws 5,000 per step). */
  universal(count: number, rng: Rng): UniversalTriples {
    checkSize(count);
    const users = this.drawUsers(count, rng);
    const j = new Int32Array(count);
    const k = new Int32Array(count);
    for (let t = 0; t < count; t++) j[t] = rng.int(this.numItems);
    for (let t = 0; t < count; t++) k[t] = rng.int(this.numItems);
    return { users, j, k };
  }
}

/** Convenience: the batches of one BPR epoch. */
export function bprEpoch(train: UserItemLists, numItems: number, batchSize: number, rng: Rng, mode: BprSampling = 'ckd'): BprBatch[] {
  return new TripleSampler(train, numItems).epoch(batchSize, rng, mode);
}

/** Convenience: `count` universal triples (u, j, k). */
export function universalTriples(train: UserItemLists, numItems: number, count: number, rng: Rng): UniversalTriples {
  return new TripleSampler(train, numItems).universal(count, rng);
}

function checkSize(n: number): void {
  if (!Number.isInteger(n) || n <= 0) throw new CkdError(`batch size / count must be a positive integer (got ${n})`);
}
