/**
 * The regularisation of GRCN and EgoGCN as their reference code writes it, on the raw tables (not
 * the representations), with the reference's batch layout (each user counted once with its
 * positive and once with its negative):
 *   lambda ((2 |E_u|^2 + |E_pos|^2 + |E_neg|^2) / (2 B d) + sum_m |P_m,u|^2 / (B d))
 * summed over the batch rows, E the (users then items) ID table and P_m the user preference tables.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Modality, MODALITIES } from '../data/dataset';
import { gatherRows } from '../nn/rows';
import type { TripleBatch } from './backbone';

export function idPrefRegularization(
  idEmb: tf.Tensor2D, pref: Record<Modality, tf.Tensor2D>, batch: TripleBatch, numUsers: number, dim: number, lambda: number,
): tf.Scalar {
  return tf.tidy(() => {
    const U = numUsers;
    const B = batch.users.length;
    const d = dim;
    const items = new Int32Array(2 * B);
    for (let k = 0; k < B; k++) { items[k] = batch.pos[k] + U; items[B + k] = batch.neg[k] + U; }
    const sq = (t: tf.Tensor2D) => tf.sum(tf.square(t));
    const emb = tf.div(tf.add(tf.mul(sq(gatherRows(idEmb, batch.users)), 2), sq(gatherRows(idEmb, items))), 2 * B * d);
    let total: tf.Tensor = emb;
    for (const m of MODALITIES) total = tf.add(total, tf.div(sq(gatherRows(pref[m], batch.users)), B * d));
    return tf.mul(total, lambda) as tf.Scalar;
  });
}
