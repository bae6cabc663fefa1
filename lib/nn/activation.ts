/**
 * LeakyReLU with negative slope alpha, 0 <= alpha < 1 (torch F.leaky_relu; default 0.01):
 *   y = x for x > 0, alpha x otherwise.
 *
 * Why not tf.leakyRelu: on tfjs-backend-wasm its kernel takes ~17 ms forward and ~60 ms forward +
 * backward for a 26,495 x 64 matrix (its gradient uses the slow greater/where kernels). Written
 * as (1 - alpha) relu(x) + alpha x with the gradient dy ((1 - alpha) step(y) + alpha): ~3 ms
 * forward, ~20 ms forward + backward; the same values. The gradient reads the output, not the
 * input: with 0 <= alpha < 1, y > 0 exactly where x > 0, and y is usually kept anyway as the next
 * layer's saved input (MMGCN keeps two fewer N x d tensors per graph layer for its backward pass).
 * Without the project kernels (another backend, or CKD_KERNELS=stock) it is tf.leakyRelu.
 */
import * as tf from '@tensorflow/tfjs-core';
import { projectKernels } from './kernel-choice';

function leakyOp(alpha: number) {
  return tf.customGrad((...args: unknown[]) => {
    const x = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const y = tf.add(tf.mul(tf.relu(x), 1 - alpha), tf.mul(x, alpha));
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.mul(dy as tf.Tensor, tf.add(tf.mul(tf.step(saved[0]), 1 - alpha), alpha)),
    };
  });
}

const leakyOps = new Map<number, ReturnType<typeof leakyOp>>();

/** LeakyReLU with negative slope alpha, 0 <= alpha < 1. */
export function leakyRelu<T extends tf.Tensor>(x: T, alpha = 0.01): T {
  if (!(alpha >= 0 && alpha < 1)) throw new Error(`leakyRelu: slope ${alpha} outside [0, 1)`);
  if (!projectKernels()) return tf.leakyRelu(x, alpha);
  let op = leakyOps.get(alpha);
  if (!op) leakyOps.set(alpha, (op = leakyOp(alpha)));
  return op(x) as T;
}
