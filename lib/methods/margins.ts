/**
 * Pairwise margins s(u, a) - s(u, b) of a backbone under a mask, for one or several sets of
 * triples at once: the one quantity CKD, GB and OGM read from a model. Everything goes through
 * the Backbone interface (forward(mask, rows)), so every backbone works the same way.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Backbone, ModalityMask, TripleBatch } from '../models/backbone';
import { rowDot, tableMargins } from '../nn/row-dot';
import { rowsOf } from '../nn/rows';

/** Triples (u, a, b): the margin is score(u, a) - score(u, b). */
export interface TripleSet {
  users: Int32Array;
  a: Int32Array;
  b: Int32Array;
}

/** A BPR batch as a triple set (a = positive, b = negative). */
export function batchTriples(batch: TripleBatch): TripleSet {
  return { users: batch.users, a: batch.pos, b: batch.neg };
}

/** Numbers of users and items of the data set the model was built on. */
export interface Extent {
  numUsers: number;
  numItems: number;
}

/** Whether tripleMargins computes every item for `triples` triples: when they reach at least half of them. */
export function marginsNeedAllItems(extent: Extent, triples: number): boolean {
  return 2 * triples >= extent.numItems;
}

/**
 * Margins of each triple set under `mask`, from one forward pass. A side (users or items) with
 * at least as many requested rows as the model has is computed in full and then gathered
 * (cheaper than gathering features row by row, e.g. 10,000 universal items of a 7,050-item
 * data set); otherwise only the requested rows are computed. Differentiable.
 */
export function tripleMargins(model: Backbone, extent: Extent, mask: ModalityMask, sets: TripleSet[], training: boolean): tf.Tensor1D[] {
  return tf.tidy(() => {
    for (const t of sets) {
      if (t.a.length !== t.users.length || t.b.length !== t.users.length) {
        throw new Error(`triple set with ${t.users.length} users, ${t.a.length} and ${t.b.length} items`);
      }
    }
    const nu = sets.reduce((s, t) => s + t.users.length, 0);
    const allUsers = nu >= extent.numUsers;
    const allItems = marginsNeedAllItems(extent, nu);
    let users: Int32Array | undefined;
    let items: Int32Array | undefined;
    if (!allUsers) {
      users = new Int32Array(nu);
      let o = 0;
      for (const t of sets) { users.set(t.users, o); o += t.users.length; }
    }
    if (!allItems) {
      items = new Int32Array(2 * nu);
      let o = 0;
      for (const t of sets) { items.set(t.a, o); items.set(t.b, o + t.users.length); o += 2 * t.users.length; }
    }
    const reps = model.forward(mask, { users, items }, training);
    const out: tf.Tensor1D[] = [];
    let ou = 0;
    let oi = 0;
    for (const t of sets) {
      const n = t.users.length;
      const u = rowsOf(reps.users, allUsers ? t.users : { begin: ou, size: n });
      const ia = rowsOf(reps.items, allItems ? t.a : { begin: oi, size: n });
      const ib = rowsOf(reps.items, allItems ? t.b : { begin: oi + n, size: n });
      out.push(rowDot(u, tf.sub(ia, ib) as tf.Tensor2D));
      ou += n;
      oi += 2 * n;
    }
    return out;
  });
}

/** Margins from fixed representation tables (a frozen model's): U[u] . (I[a] - I[b]). No gradient. */
export function marginsFromTables(users: tf.Tensor2D, items: tf.Tensor2D, set: TripleSet): tf.Tensor1D {
  return tableMargins(users, items, set.users, set.a, set.b);
}
