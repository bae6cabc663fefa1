/**
 * Row and column bookkeeping of a layer:
 *   gatherRows(X, idx)       Y[k] = X[idx[k]]           (gradient: a scatter-add of dY's rows)
 *   repeatRow(r, n)          n copies of the (1 x d) row r
 *   concatColumns([A, B..])  [A | B | ...], row by row
 * With the default kernels gatherRows and the gradient of concatColumns run in the project's
 * kernels (lib/engine); with CKD_KERNELS=stock they are a product with a one-hot selection
 * matrix (./stock), tf.tile and tf.concat.
 */
import * as tf from '@tensorflow/tfjs-core';
import { concatColumns as concatColumnsKernel } from '../engine/dense-kernels';
import { gatherRows as gatherRowsKernel } from '../engine/graph-ops';
import { stockOps } from './kernel-choice';
import * as stock from './stock';

/** Y[k] = X[indices[k]]; differentiable w.r.t. X. */
export function gatherRows(x: tf.Tensor2D, indices: Int32Array | tf.Tensor1D): tf.Tensor2D {
  return stockOps() ? stock.gatherRows(x, indices) : gatherRowsKernel(x, indices);
}

/**
 * The (1 x d) row repeated n times. Written as an add to zeros: tfjs-backend-wasm's gradient of
 * broadcastTo (and tile) takes ~0.6 s for a 1024 x 64 output, the add's gradient (a column sum) ~0.
 */
export function repeatRow(row: tf.Tensor2D, n: number): tf.Tensor2D {
  if (stockOps()) return tf.tile(row, [n, 1]);
  return tf.tidy(() => tf.add(tf.zeros([n, row.shape[1]]), row) as tf.Tensor2D);
}

/**
 * [A | B | ...]: the matrices side by side (equal row counts). Its gradient, a split of dY into
 * column blocks, takes each block with the project's column-copy kernel: tfjs's SplitV runs as
 * column slices on wasm (~5 ms for a 7,050 x 192 matrix; ~1 ms here).
 */
export function concatColumns(parts: tf.Tensor2D[]): tf.Tensor2D {
  return stockOps() ? tf.concat(parts, 1) : concatColumnsKernel(parts);
}
