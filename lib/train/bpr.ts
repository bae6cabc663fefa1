import * as tf from '@tensorflow/tfjs-core';
import { Backbone, ModalityMask, Representations, TripleBatch } from '../models/backbone';

export interface TripleScores {
  pos: tf.Tensor1D;
  neg: tf.Tensor1D;
  reps: Representations;
}

/** Scores of (u, pos) and (u, neg) for a batch under a mask, from one forward pass. */
export function tripleScores(model: Backbone, mask: ModalityMask, batch: TripleBatch, training = true): TripleScores {
  const result = tf.tidy(() => {
    const b = batch.users.length;
    const items = new Int32Array(2 * b);
    items.set(batch.pos, 0);
    items.set(batch.neg, b);
    const reps = model.forward(mask, { users: batch.users, items }, training);
    const posItems = tf.slice(reps.items, [0, 0], [b, -1]);
    const negItems = tf.slice(reps.items, [b, 0], [b, -1]);
    const pos = tf.sum(tf.mul(reps.users, posItems), 1) as tf.Tensor1D;
    const neg = tf.sum(tf.mul(reps.users, negItems), 1) as tf.Tensor1D;
    return { pos, neg, users: reps.users, items: reps.items, aux: reps.aux ?? {} };
  });
  const reps: Representations = { users: result.users, items: result.items };
  if (Object.keys(result.aux).length) reps.aux = result.aux;
  return { pos: result.pos, neg: result.neg, reps };
}

/**
 * Mean BPR loss -log sigmoid(pos - neg), written as softplus(neg - pos): tfjs 4.22's
 * logSigmoid has a custom gradient that reads a disposed tensor inside minimize().
 */
export function bprLoss(pos: tf.Tensor1D, neg: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.softplus(tf.sub(neg, pos))) as tf.Scalar);
}
