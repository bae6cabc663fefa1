/**
 * Dense products of a layer:
 *   linear(X, W, b)        Y = X W + b            (W stored in x out)
 *   matMul(A, B)           Y = A B
 *   matMulTransposeB(A, B) Y = A B^T
 * each differentiable with respect to every argument.
 *
 * Why they are not tf.matMul: on tfjs-backend-wasm the transposed variants of matMul, which
 * tfjs's gradient of a product uses (dY W^T, X^T dY), run 5-20x slower than the plain product
 * (measured: A^T B with A 2048 x 2048 and B 2048 x 64, 1.9 s against 90 ms for A B; A B^T with
 * both 2048 x 64, 0.5 s against 90 ms with B transposed first; for the graph backbones' 64 x 64
 * layers over Baby's 26,495 nodes ~230 ms each against ~20 ms for the forward product). Here
 * every product is a plain A B in the project's kernel (CkdMatMul: the same bits as tfjs's
 * matMul), with transposes made explicitly, by the project's gatherTranspose kernel for big
 * operands and tf.transpose for small ones: ~25 ms each. The bias gradient, a column sum, is a
 * product with a row of ones (tfjs-wasm's Sum over axis 0 transposes first).
 * Without the project kernels (another backend, or CKD_KERNELS=stock) they are tf.matMul and tf.add.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gatherTranspose, matMulKernel } from '../engine/dense-kernels';
import { projectKernels } from './kernel-choice';

/** X^T, by the project kernel (fast on wasm for any size). */
const t = (x: tf.Tensor2D): tf.Tensor2D => gatherTranspose(x);

const linearOp = tf.customGrad((...args: unknown[]) => {
  const [x, w, b] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
  const save = args[3] as tf.GradSaveFunc;
  save([x, w]);
  return {
    value: tf.add(matMulKernel(x, w), b),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const g = dy as tf.Tensor2D;
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [
        matMulKernel(g, tf.transpose(ws)),
        matMulKernel(t(xs), g),
        tf.reshape(matMulKernel(tf.ones([1, g.shape[0]]), g), [g.shape[1]]),
      ];
    },
  };
});

/** Y = X W + b (W stored in x out), differentiable w.r.t. X, W and b. */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (!projectKernels()) return tf.tidy(() => tf.add(tf.matMul(x, w), b) as tf.Tensor2D);
  return linearOp(x, w, b) as tf.Tensor2D;
}

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
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (!projectKernels()) return tf.matMul(a, b);
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
export function matMulTransposeB(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (!projectKernels()) return tf.matMul(a, b, false, true);
  return matMulBtOp(a, b) as tf.Tensor2D;
}
