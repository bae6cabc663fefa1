/**
 * Seeded parameter initialisers, drawn from the project's Rng (not tfjs's random ops) so that
 * initial values do not depend on the backend:
 *   xavierUniform  U(-l, l), l = sqrt(6 / (rows + cols))        torch.nn.init.xavier_uniform_
 *   xavierNormal   N(0, 2 / (rows + cols))                      torch.nn.init.xavier_normal_
 *   linearWeight   U(-1/sqrt(fan_in), 1/sqrt(fan_in))           torch.nn.Linear's weight (stored in x out)
 *   linearBias     the same bound, one value per output         torch.nn.Linear's bias
 * Each returns a trainable variable.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../engine/random';

export type Matrix = tf.Variable<tf.Rank.R2>;
export type Vector = tf.Variable<tf.Rank.R1>;

/** Xavier (Glorot) uniform on a (rows x cols) weight. */
export function xavierUniform(rng: Rng, rows: number, cols: number): Matrix {
  const limit = Math.sqrt(6 / (rows + cols));
  return owned(tf.tensor2d(uniformArray(rng, rows * cols, limit), [rows, cols]));
}

export interface XavierNormalOptions {
  /** Replaces (rows + cols) when the table is one slice of a wider reference table. */
  fan?: number;
  /** Scale every row to unit length after drawing (EgoGCN's preference tables). */
  unitRows?: boolean;
}

/** Xavier (Glorot) normal on a (rows x cols) table: N(0, 2 / fan), fan = rows + cols by default. */
export function xavierNormal(rng: Rng, rows: number, cols: number, o: XavierNormalOptions = {}): Matrix {
  const std = Math.sqrt(2 / (o.fan ?? rows + cols));
  const a = new Float32Array(rows * cols);
  for (let k = 0; k < a.length; k++) a[k] = rng.normal() * std;
  if (o.unitRows) {
    for (let r = 0; r < rows; r++) {
      let ss = 0;
      for (let c = 0; c < cols; c++) ss += a[r * cols + c] ** 2;
      const inv = 1 / Math.max(Math.sqrt(ss), 1e-12);
      for (let c = 0; c < cols; c++) a[r * cols + c] *= inv;
    }
  }
  return owned(tf.tensor2d(a, [rows, cols]));
}

/** torch.nn.Linear's default weight, stored (in x out). */
export function linearWeight(rng: Rng, fanIn: number, fanOut: number): Matrix {
  return owned(tf.tensor2d(uniformArray(rng, fanIn * fanOut, 1 / Math.sqrt(fanIn)), [fanIn, fanOut]));
}

/** torch.nn.Linear's default bias. */
export function linearBias(rng: Rng, fanIn: number, fanOut: number): Vector {
  return owned(tf.tensor1d(uniformArray(rng, fanOut, 1 / Math.sqrt(fanIn))));
}

/** A trainable variable holding `init`'s values; `init` itself is released (tf.variable keeps a second handle). */
function owned<R extends tf.Rank>(init: tf.Tensor<R>): tf.Variable<R> {
  const v = tf.variable(init, true);
  init.dispose();
  return v;
}

function uniformArray(rng: Rng, n: number, limit: number): Float32Array {
  const a = new Float32Array(n);
  for (let k = 0; k < n; k++) a[k] = (rng.next() * 2 - 1) * limit;
  return a;
}
