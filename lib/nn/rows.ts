/**
 * Row and column bookkeeping of a layer:
 *   gatherRows(X, idx)       Y[k] = X[idx[k]]           (gradient: a scatter-add of dY's rows)
 *   repeatRow(r, n)          n copies of the (1 x d) row r
 *   concatColumns([A, B..])  [A | B | ...], row by row
 *   rowsOf(X, rows)          rows of X: given indices, or a block {begin, size}
 *   rowsOfConcatenated(parts, rows)   rows of [A | B | ...]
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

/** Rows to take: explicit indices, or the block [begin, begin + size). */
export type Rows = Int32Array | { begin: number; size: number };

function blockIndices(begin: number, size: number): Int32Array {
  const idx = new Int32Array(size);
  for (let k = 0; k < size; k++) idx[k] = begin + k;
  return idx;
}

/**
 * The rows of X. A block is taken as a gather of its index range: on wasm slightly cheaper than
 * tf.slice forward and backward (tf.slice with CKD_KERNELS=stock).
 */
export function rowsOf(x: tf.Tensor2D, rows: Rows): tf.Tensor2D {
  if (rows instanceof Int32Array) return gatherRows(x, rows);
  if (stockOps()) return tf.slice(x, [rows.begin, 0], [rows.size, -1]);
  return gatherRows(x, blockIndices(rows.begin, rows.size));
}

/**
 * The rows of [A | B | ...] (the parts side by side). Each part's rows are taken first and then
 * concatenated: the same values as concatenating first, but the gradient of a column concat of
 * every node (a split of an N x 192 matrix) costs more on wasm than the gathers.
 */
export function rowsOfConcatenated(parts: tf.Tensor2D[], rows: Rows): tf.Tensor2D {
  return concatColumns(parts.map(p => rowsOf(p, rows)));
}
