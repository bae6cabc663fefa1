import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../engine/random';

/** Seeded parameter initialisers shared by the backbones. */

export type Matrix = tf.Variable<tf.Rank.R2>;
export type Vector = tf.Variable<tf.Rank.R1>;

/** Xavier (Glorot) uniform, as torch.nn.init.xavier_uniform_ on a (rows x cols) weight. */
export function xavierUniform(rng: Rng, rows: number, cols: number): Matrix {
  const limit = Math.sqrt(6 / (rows + cols));
  return owned(uniform(rng, rows, cols, limit));
}

/** torch.nn.Linear's default: weight and bias uniform in +-1/sqrt(fan_in). Weight stored (in x out). */
export function linearWeight(rng: Rng, fanIn: number, fanOut: number): Matrix {
  return owned(uniform(rng, fanIn, fanOut, 1 / Math.sqrt(fanIn)));
}

export function linearBias(rng: Rng, fanIn: number, fanOut: number): Vector {
  return owned(tf.tensor1d(uniformArray(rng, fanOut, 1 / Math.sqrt(fanIn))));
}

/** A trainable variable holding `init`'s values; `init` itself is released (tf.variable keeps a second handle). */
function owned<R extends tf.Rank>(init: tf.Tensor<R>): tf.Variable<R> {
  const v = tf.variable(init, true);
  init.dispose();
  return v;
}

function uniform(rng: Rng, rows: number, cols: number, limit: number): tf.Tensor2D {
  return tf.tensor2d(uniformArray(rng, rows * cols, limit), [rows, cols]);
}

/** Drawn from our own Rng (not tfjs's) so that values do not depend on the backend. */
function uniformArray(rng: Rng, n: number, limit: number): Float32Array {
  const a = new Float32Array(n);
  for (let k = 0; k < n; k++) a[k] = (rng.next() * 2 - 1) * limit;
  return a;
}

/**
 * A (1 x d) row repeated n times. Written as an add to zeros: tfjs-backend-wasm's gradient of
 * broadcastTo takes ~0.6 s for a 1024 x 64 output, the add's gradient (a column sum) ~0.
 */
export function repeatRow(row: tf.Tensor2D, n: number): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.zeros([n, row.shape[1]]), row) as tf.Tensor2D);
}
