/**
 * The data Gradient Blending measures overfitting on (docs/method.md, "Gradient Blending"): a held-out part of the
 * train interactions (so the validation split stays for early stopping), and fixed, pre-sampled
 * triples on both parts, so that losses at the start and the end of an estimation window are
 * measured on the same triples.
 */
import { UserItemLists } from '../../data/dataset';
import { sampleNegative } from '../../data/samplers';
import { CkdError } from '../../errors';
import { Rng } from '../../engine/random';
import { TripleBatch } from '../../models/backbone';

export interface HoldOutSplit {
  /** What the model trains on. */
  train: UserItemLists;
  /** Held-out interactions (the OGR's validation set V). */
  heldOut: UserItemLists;
}

/**
 * Holds out about `fraction` of every user's train interactions: k = floor(fraction * n + U[0,1))
 * items (stochastic rounding, so small users contribute in expectation too), never a user's last
 * one. Seeded; lists stay sorted.
 */
export function holdOutInteractions(lists: UserItemLists, fraction: number, rng: Rng): HoldOutSplit {
  if (!(fraction > 0 && fraction < 1)) throw new CkdError(`the held-out fraction must be in (0, 1) (got ${fraction})`);
  const numUsers = lists.indptr.length - 1;
  const keepPtr = new Int32Array(numUsers + 1);
  const outPtr = new Int32Array(numUsers + 1);
  const keep: number[] = [];
  const out: number[] = [];
  for (let u = 0; u < numUsers; u++) {
    const lo = lists.indptr[u];
    const n = lists.indptr[u + 1] - lo;
    const k = Math.min(Math.floor(fraction * n + rng.next()), Math.max(n - 1, 0));
    const idx = Int32Array.from({ length: n }, (_, t) => t);
    for (let t = 0; t < k; t++) {
      const r = t + rng.int(n - t);
      const x = idx[t]; idx[t] = idx[r]; idx[r] = x;
    }
    const held = new Uint8Array(n);
    for (let t = 0; t < k; t++) held[idx[t]] = 1;
    for (let t = 0; t < n; t++) (held[t] ? out : keep).push(lists.items[lo + t]);
    keepPtr[u + 1] = keep.length;
    outPtr[u + 1] = out.length;
  }
  return {
    train: { indptr: keepPtr, items: Int32Array.from(keep) },
    heldOut: { indptr: outPtr, items: Int32Array.from(out) },
  };
}

/**
 * Fixed triples over the interactions of `lists`: every interaction (u, i), or `max` of them
 * drawn without replacement, each with one negative uniform over the items outside `exclude[u]`
 * (the user's full train list, so a held-out positive is never a negative).
 */
export function fixedTriples(lists: UserItemLists, exclude: UserItemLists, numItems: number, max: number, rng: Rng): TripleBatch {
  const total = lists.items.length;
  const owner = new Int32Array(total);
  for (let u = 0; u + 1 < lists.indptr.length; u++) owner.fill(u, lists.indptr[u], lists.indptr[u + 1]);
  let picks: Int32Array = Int32Array.from({ length: total }, (_, t) => t);
  if (total > max) {
    for (let t = 0; t < max; t++) {
      const r = t + rng.int(total - t);
      const x = picks[t]; picks[t] = picks[r]; picks[r] = x;
    }
    picks = picks.slice(0, max).sort();
  }
  const n = picks.length;
  const users = new Int32Array(n);
  const pos = new Int32Array(n);
  const neg = new Int32Array(n);
  for (let t = 0; t < n; t++) {
    const e = picks[t];
    const u = owner[e];
    users[t] = u;
    pos[t] = lists.items[e];
    neg[t] = sampleNegative(exclude.items, exclude.indptr[u], exclude.indptr[u + 1], numItems, rng, u);
  }
  return { users, pos, neg };
}
