/**
 * Row-wise dot products, the scores of a recommender:
 *   rowDot(A, B)                 y_r = sum_k A[r, k] B[r, k]
 *   tableMargins(U, I, u, a, b)  m_t = U[u_t] . (I[a_t] - I[b_t])   for fixed tables (no gradient)
 *
 * Why rowDot has its own gradient (dA = dy B, dB = dy A, dy broadcast over columns): tfjs's
 * gradient of sum(mul(A, B), 1) goes through a broadcast of ones and costs ~3x more on the wasm
 * backend. tableMargins runs as one project kernel on wasm and cpu, without materialising the
 * gathered rows: the same bits as the gathers, subtraction and rowDot on wasm (tested). With
 * CKD_KERNELS=stock both are tfjs's own ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tripleMarginsKernel } from '../engine/dense-kernels';
import { projectKernels, stockOps } from './kernel-choice';
import { gatherRows } from './rows';

const rowDotOp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.sum(tf.mul(a, b), 1),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const d = tf.reshape(dy, [dy.shape[0], 1]);
      return [tf.mul(d, saved[1]), tf.mul(d, saved[0])];
    },
  };
}) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor1D;

/** sum_k A[r, k] B[r, k] for every row r; differentiable w.r.t. both. */
export function rowDot(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return stockOps() ? tf.sum(tf.mul(a, b), 1) : rowDotOp(a, b);
}

/** U[u[t]] . (I[a[t]] - I[b[t]]) for every t, from fixed tables (no gradient). */
export function tableMargins(users: tf.Tensor2D, items: tf.Tensor2D, u: Int32Array, a: Int32Array, b: Int32Array): tf.Tensor1D {
  if (projectKernels()) return tripleMarginsKernel(users, items, u, a, b);
  return tf.tidy(() => rowDot(gatherRows(users, u), tf.sub(gatherRows(items, a), gatherRows(items, b)) as tf.Tensor2D));
}
