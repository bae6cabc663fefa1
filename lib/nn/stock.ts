/**
 * The reference formulations that lib/nn runs with CKD_KERNELS=stock: tfjs's own ops only
 * (tf.oneHot, tf.matMul, tf.mul, tf.exp, ...), differentiated by tfjs's own gradients, on every
 * backend. The row gathers and scatter-adds of the graph operations are written as products
 * with one-hot selection matrices, which is their mathematics:
 *   S = onehot(idx, n)  (k x n, S[t, idx[t]] = 1)
 *   gatherRows(X, idx)        = S X
 *   segmentSum(X, seg, n)     = S^T X
 *   A_w X for a sparse A with edge k = (row r_k, column c_k) and edge values w:
 *                             = R^T (w * (C X)),   R = onehot(r, rows), C = onehot(c, cols)
 *   sddmm: s_k = <P[r_k], Q[c_k]> = rowsum((R P) * (C Q))
 *   segment softmax over each row's edges: e = exp(s - max), e / R (R^T e)
 * (tf.gather's own gradient needs UnsortedSegmentSum, which tfjs-backend-wasm lacks and
 * tfjs-backend-cpu runs one segment at a time.) The selection matrices take k x n floats: fine
 * for the small data sets one teaches or checks with (the tiny and default presets), not for Baby.
 * One difference in kind: a dense product touches every row, so an infinite gradient in a row
 * that no edge reads becomes NaN everywhere (0 * Inf), where the project's kernels never read that
 * row. EgoGCN makes one at a node without edges (an item no train interaction has): four
 * normalisations of its zero row multiply the gradient by 1e12 each (torch's F.normalize does the
 * same). With EgoGCN, use 'stock' on data where every node has an edge.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SparseMatrix } from '../engine/sparse-matrix';

/** onehot(idx, n) as a float32 matrix. */
function selection(idx: Int32Array | tf.Tensor1D, n: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(idx instanceof Int32Array ? tf.tensor1d(idx, 'int32') : idx, n), 'float32') as tf.Tensor2D);
}

export function gatherRows(x: tf.Tensor2D, indices: Int32Array | tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(selection(indices, x.shape[0]), x));
}

export function segmentSum(x: tf.Tensor2D, segmentIds: Int32Array | tf.Tensor1D, numSegments: number): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(selection(segmentIds, numSegments), x, true, false));
}

interface EdgeSelections { rows: tf.Tensor2D; cols: tf.Tensor2D; values: tf.Tensor1D }
const edgeSelections = new WeakMap<SparseMatrix, EdgeSelections>();

/** R, C and A's own edge values, made once per matrix and released with it. */
function edgesOf(A: SparseMatrix): EdgeSelections {
  let e = edgeSelections.get(A);
  if (!e) {
    const made = tf.tidy(() => ({
      rows: selection(A.rowOfEdge(), A.numRows),
      cols: selection(A.csr.indices, A.numCols),
      values: tf.tensor1d(A.csr.values),
    }));
    const kept: EdgeSelections = { rows: tf.keep(made.rows), cols: tf.keep(made.cols), values: tf.keep(made.values) };
    A.onDispose(() => {
      tf.dispose([kept.rows, kept.cols, kept.values]);
      edgeSelections.delete(A);
    });
    edgeSelections.set(A, e = kept);
  }
  return e;
}

export function spmmWeighted(A: SparseMatrix, w: tf.Tensor1D, x: tf.Tensor2D, transposeA = false): tf.Tensor2D {
  const e = edgesOf(A);
  const [to, from] = transposeA ? [e.cols, e.rows] : [e.rows, e.cols];
  return tf.tidy(() => tf.matMul(to, tf.mul(tf.matMul(from, x), tf.expandDims(w, 1)), true, false));
}

export function spmm(A: SparseMatrix, x: tf.Tensor2D, transposeA = false): tf.Tensor2D {
  return spmmWeighted(A, edgesOf(A).values, x, transposeA);
}

export function sddmm(A: SparseMatrix, p: tf.Tensor2D, q: tf.Tensor2D): tf.Tensor1D {
  const e = edgesOf(A);
  return tf.tidy(() => tf.sum(tf.mul(tf.matMul(e.rows, p), tf.matMul(e.cols, q)), 1));
}

export function segmentSoftmax(A: SparseMatrix, logits: tf.Tensor1D): tf.Tensor1D {
  const e = edgesOf(A);
  // Per-row maxima as a constant: softmax does not depend on the shift, so no gradient is lost.
  const values = logits.dataSync();
  const shift = new Float32Array(A.nnz);
  const p = A.csr.indptr;
  for (let r = 0; r < A.numRows; r++) {
    let m = -Infinity;
    for (let k = p[r]; k < p[r + 1]; k++) m = Math.max(m, values[k]);
    shift.fill(m, p[r], p[r + 1]);
  }
  return tf.tidy(() => {
    const ex = tf.expandDims(tf.exp(tf.sub(logits, tf.tensor1d(shift))), 1);
    const perEdgeSum = tf.matMul(e.rows, tf.matMul(e.rows, ex, true, false));
    return tf.reshape(tf.div(ex, perEdgeSum), [A.nnz]) as tf.Tensor1D;
  });
}
