/**
 * Dense products for MGCN (lib/models/mgcn.ts) whose gradients avoid tfjs-backend-wasm's
 * transposed matMul variants, which run 5-20x slower than the plain product (measured here:
 * A^T B with A 2048 x 2048 and B 2048 x 64, 1.9 s against 90 ms for A B; A B^T with both
 * 2048 x 64, 0.5 s against 90 ms with B transposed first). Every product below is a plain
 * A B, with the transposes made explicitly: by the project's gatherTranspose kernel for big
 * operands, tf.transpose for small ones. On backends without the project kernels ('tensorflow')
 * the stock ops are used.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gatherTranspose, matMulKernel } from '../engine/dense-kernels';
import { projectKernelsActive } from '../engine/kernel-heap';

const fast = projectKernelsActive;

/** X^T, by the project kernel (fast on wasm for any size). */
const t = (x: tf.Tensor2D): tf.Tensor2D => gatherTranspose(x);

const matMulOp = tf.customGrad((...args: unknown[]) => {
  const [a, b] = args as [tf.Tensor2D, tf.Tensor2D];
  const save = args[2] as tf.GradSaveFunc;
  save([a, b]);
  return {
    value: matMulKernel(a, b),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const g = dy as tf.Tensor2D;
      const [as, bs] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [matMulKernel(g, t(bs)), matMulKernel(t(as), g)];
    },
  };
});

/** A B, differentiable w.r.t. both (dA = dY B^T, dB = A^T dY, as plain products). */
export function matMulFast(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (!fast()) return tf.matMul(a, b);
  return matMulOp(a, b) as tf.Tensor2D;
}

const matMulBtOp = tf.customGrad((...args: unknown[]) => {
  const [a, b] = args as [tf.Tensor2D, tf.Tensor2D];
  const save = args[2] as tf.GradSaveFunc;
  save([a, b]);
  return {
    value: matMulKernel(a, t(b)),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const g = dy as tf.Tensor2D;
      const [as, bs] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [matMulKernel(g, bs), matMulKernel(t(g), as)];
    },
  };
});

/** A B^T, differentiable w.r.t. both (dA = dY B, dB = dY^T A, as plain products). */
export function matMulTransBFast(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (!fast()) return tf.matMul(a, b, false, true);
  return matMulBtOp(a, b) as tf.Tensor2D;
}
