import * as tf from '@tensorflow/tfjs-core';
import { K, kernelsOnActiveBackend, run } from './graph-kernels';
import type { SparseMatrix } from './sparse-matrix';

/**
 * Differentiable graph operations. On 'wasm', 'cpu' and 'webgpu' they run the project kernels
 * (graph-kernels.ts, O(edges x columns)); on 'tensorflow' they are written
 * with tfjs's own gather and unsortedSegmentSum, whose gradients tfjs provides.
 * Edge ids are positions in the matrix's CSR order.
 */

/** Y = A X (or A^T X with transposeA); differentiable w.r.t. X. */
export function spmm(A: SparseMatrix, X: tf.Tensor2D, transposeA = false): tf.Tensor2D {
  if (kernelsOnActiveBackend()) return run(K.spmm, { x: X }, { matrix: A, transpose: transposeA }) as tf.Tensor2D;
  const e = A.nativeEdges();
  return nativeSpmm(A, e.values, X, transposeA);
}

/**
 * Y = A_w X where A_w has A's structure and the edge values `edgeWeights` (one per edge, CSR
 * order); A's own values are ignored. Differentiable w.r.t. X and the weights.
 */
export function spmmWeighted(A: SparseMatrix, edgeWeights: tf.Tensor1D, X: tf.Tensor2D, transposeA = false): tf.Tensor2D {
  if (kernelsOnActiveBackend()) return run(K.spmmWeighted, { w: edgeWeights, x: X }, { matrix: A, transpose: transposeA }) as tf.Tensor2D;
  return nativeSpmm(A, edgeWeights, X, transposeA);
}

/** s_k = <P[row k], Q[col k]> for every edge k of A (SDDMM): attention scores, dL/dw of spmmWeighted. */
export function sddmm(A: SparseMatrix, P: tf.Tensor2D, Q: tf.Tensor2D): tf.Tensor1D {
  if (kernelsOnActiveBackend()) return run(K.sddmm, { p: P, q: Q }, { matrix: A }) as tf.Tensor1D;
  const e = A.nativeEdges();
  return tf.tidy(() => tf.sum(tf.mul(tf.gather(P, e.rows), tf.gather(Q, e.cols)), 1));
}

/** Y[i] = X[indices[i]]; the gradient is segmentSum. */
export function gatherRows(X: tf.Tensor2D, indices: Int32Array | tf.Tensor1D): tf.Tensor2D {
  return withIndexTensor(indices, (idx) => kernelsOnActiveBackend()
    ? run(K.gatherRows, { x: X, indices: idx }, { numRows: X.shape[0] }) as tf.Tensor2D
    : tf.gather(X, idx) as tf.Tensor2D);
}

/** Y (numSegments rows) with Y[s] = sum of X[i] over segmentIds[i] = s; the gradient is gatherRows. */
export function segmentSum(X: tf.Tensor2D, segmentIds: Int32Array | tf.Tensor1D, numSegments: number): tf.Tensor2D {
  return withIndexTensor(segmentIds, (seg) => kernelsOnActiveBackend()
    ? run(K.segmentSum, { x: X, segmentIds: seg }, { numSegments }) as tf.Tensor2D
    : tf.unsortedSegmentSum(X, seg, numSegments) as tf.Tensor2D);
}

/**
 * Softmax of per-edge logits over the edges of each row of A (the edges into one target node
 * when rows are targets), as attention weights for spmmWeighted.
 */
export function segmentSoftmax(A: SparseMatrix, logits: tf.Tensor1D): tf.Tensor1D {
  if (kernelsOnActiveBackend()) return run(K.segmentSoftmax, { logits }, { matrix: A }) as tf.Tensor1D;
  const e = A.nativeEdges();
  // Per-row maxima as a constant: softmax does not depend on the shift, so no gradient is lost.
  const shift = rowMaxima(A, logits.dataSync());
  return tf.tidy(() => {
    const ex = tf.exp(tf.sub(logits, tf.tensor1d(shift)));
    const sums = tf.unsortedSegmentSum(ex, e.rows, A.numRows);
    return tf.div(ex, tf.gather(sums, e.rows));
  });
}

function nativeSpmm(A: SparseMatrix, w: tf.Tensor1D, X: tf.Tensor2D, transposeA: boolean): tf.Tensor2D {
  const e = A.nativeEdges();
  const [src, dst, n] = transposeA ? [e.rows, e.cols, A.numCols] : [e.cols, e.rows, A.numRows];
  return tf.tidy(() => tf.unsortedSegmentSum(tf.mul(tf.gather(X, src), tf.expandDims(w, 1)), dst, n) as tf.Tensor2D);
}

function rowMaxima(A: SparseMatrix, logits: Float32Array | Int32Array | Uint8Array): Float32Array {
  const out = new Float32Array(A.nnz);
  const p = A.csr.indptr;
  for (let r = 0; r < A.numRows; r++) {
    let m = -Infinity;
    for (let k = p[r]; k < p[r + 1]; k++) m = Math.max(m, logits[k]);
    out.fill(m, p[r], p[r + 1]);
  }
  return out;
}

function withIndexTensor<T extends tf.Tensor>(indices: Int32Array | tf.Tensor1D, f: (idx: tf.Tensor1D) => T): T {
  if (!(indices instanceof Int32Array)) {
    if (indices.dtype !== 'int32') throw new Error(`indices must be int32, got ${indices.dtype}`);
    return f(indices);
  }
  // A temporary tensor: when tfjs records the op for autodiff it keeps its own reference.
  const idx = tf.tensor1d(indices, 'int32');
  try { return f(idx); } finally { idx.dispose(); }
}
