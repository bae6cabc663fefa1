/**
 * The authors' per-user train/val/test split (CRIPAC-DIG/LATTICE data/build_data.py, which
 * produced the files the CKD code reads), seeded through our Rng:
 *   n < 10 items:  2 distinct random positions are held out;
 *   n >= 10:       int(n * 0.2) distinct random positions are held out (truncation, computed
 *                  in double precision exactly as Python does: n = 15 gives 3, n = 19 gives 3);
 *   of the m held-out positions, in draw order, the first floor(m / 2) go to test and the other
 *   ceil(m / 2) to val (so an odd m gives val one more than test); the rest is train.
 * Deviation (not reachable on 5-core data, where n >= 5): users with fewer than 3 items keep all
 * of them in train (the reference would leave a 2-item user with no train item, or fail for 1).
 * Duplicate items within a user's list are dropped first (first occurrence kept).
 * numpy's generator cannot be reproduced here, so the same seed gives a different split from the
 * authors' files; the rule and the proportions are the same.
 */
import { Rng } from '../engine/random';
import { listsFromArrays, UserItemLists } from './dataset';

export interface PerUserSplit {
  train: UserItemLists;
  val: UserItemLists;
  test: UserItemLists;
}

/** How many of a user's n items are held out (val + test), and how many of those go to test. */
export function heldOutCounts(n: number): { heldOut: number; test: number; val: number } {
  if (n < 3) return { heldOut: 0, test: 0, val: 0 };
  const m = n < 10 ? 2 : Math.trunc(n * 0.2);
  const test = Math.floor(m / 2);
  return { heldOut: m, test, val: m - test };
}

/** Splits each user's interactions (perUser[u] = user u's items) per the rule above. */
export function splitPerUser(perUser: ArrayLike<number>[], rng: Rng): PerUserSplit {
  const numUsers = perUser.length;
  const train: number[][] = new Array(numUsers);
  const val: number[][] = new Array(numUsers);
  const test: number[][] = new Array(numUsers);
  for (let u = 0; u < numUsers; u++) {
    const items = dedupe(perUser[u] ?? []);
    const n = items.length;
    const { heldOut, test: nTest } = heldOutCounts(n);
    // Partial Fisher-Yates: pos[0 .. heldOut) become a uniform draw without replacement, in order.
    const pos = new Int32Array(n);
    for (let k = 0; k < n; k++) pos[k] = k;
    for (let k = 0; k < heldOut; k++) {
      const r = k + rng.int(n - k);
      const t = pos[k]; pos[k] = pos[r]; pos[r] = t;
    }
    const held = new Uint8Array(n);
    test[u] = [];
    val[u] = [];
    for (let k = 0; k < heldOut; k++) {
      held[pos[k]] = 1;
      (k < nTest ? test[u] : val[u]).push(items[pos[k]]);
    }
    train[u] = [];
    for (let k = 0; k < n; k++) if (!held[k]) train[u].push(items[k]);
  }
  return {
    train: listsFromArrays(train, numUsers),
    val: listsFromArrays(val, numUsers),
    test: listsFromArrays(test, numUsers),
  };
}

function dedupe(items: ArrayLike<number>): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  for (let k = 0; k < items.length; k++) {
    const it = items[k];
    if (!seen.has(it)) { seen.add(it); out.push(it); }
  }
  return out;
}
