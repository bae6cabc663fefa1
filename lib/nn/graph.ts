/**
 * Products over a fixed sparse matrix A (a graph: CSR rows are target nodes, columns source
 * nodes; edge k is the k-th entry in CSR order):
 *   spmm(A, X)                 Y = A X                 (message passing with A's edge values)
 *   spmmWeighted(A, w, X)      Y = A_w X, A_w with A's structure and edge values w (attention)
 *   sddmm(A, P, Q)             s_k = <P[row k], Q[col k]> for every edge k (attention logits)
 *   segmentSoftmax(A, s)       softmax of s over the edges of each row of A (each target's in-edges)
 *   segmentSum(X, seg, n)      Y[seg[i]] += X[i]
 * all differentiable w.r.t. their tensor arguments. With the default kernels they run the
 * project's graph kernels (kernels/graph.c on wasm and cpu, WGSL on webgpu: O(edges x columns),
 * gradients expressed through one another), and on backends without them tfjs's gather and
 * unsortedSegmentSum (engine/graph-ops); with CKD_KERNELS=stock, products with one-hot selection
 * matrices (./stock).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as kernels from '../engine/graph-ops';
import type { SparseMatrix } from '../engine/sparse-matrix';
import { stockOps } from './kernel-choice';
import * as stock from './stock';

export type { CsrMatrix } from '../engine/csr';
export { SparseMatrix } from '../engine/sparse-matrix';

const ops = () => (stockOps() ? stock : kernels);

/** Y = A X (or A^T X with transposeA); differentiable w.r.t. X. */
export function spmm(A: SparseMatrix, X: tf.Tensor2D, transposeA = false): tf.Tensor2D {
  return ops().spmm(A, X, transposeA);
}

/** Y = A_w X, A_w with A's structure and the edge values w (CSR order); differentiable w.r.t. w and X. */
export function spmmWeighted(A: SparseMatrix, edgeWeights: tf.Tensor1D, X: tf.Tensor2D, transposeA = false): tf.Tensor2D {
  return ops().spmmWeighted(A, edgeWeights, X, transposeA);
}

/** s_k = <P[row k], Q[col k]> for every edge k of A. */
export function sddmm(A: SparseMatrix, P: tf.Tensor2D, Q: tf.Tensor2D): tf.Tensor1D {
  return ops().sddmm(A, P, Q);
}

/** Softmax of per-edge logits over the edges of each row of A. */
export function segmentSoftmax(A: SparseMatrix, logits: tf.Tensor1D): tf.Tensor1D {
  return ops().segmentSoftmax(A, logits);
}

/** Y (numSegments rows), Y[s] = sum of X[i] over segmentIds[i] = s. */
export function segmentSum(X: tf.Tensor2D, segmentIds: Int32Array | tf.Tensor1D, numSegments: number): tf.Tensor2D {
  return ops().segmentSum(X, segmentIds, numSegments);
}
