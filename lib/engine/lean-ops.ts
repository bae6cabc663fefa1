import * as tf from '@tensorflow/tfjs-core';

/**
 * Element-wise ops that keep nothing for their backward pass. tfjs's Add and Mul gradients save
 * both inputs (Add only to read their shapes for broadcasting), so every sum of two N x d
 * activations in a graph backbone holds both until the backward pass: in MMGCN at Baby scale
 * that was 26 tensors of 26,495 x 64 (176 MB) per forward pass, which made CKD's three passes
 * exhaust the wasm backend's 4 GiB heap. Values and gradients are the same bits as tf.add and
 * tf.mul: the same kernels run.
 */
const addOp = tf.customGrad((...args: unknown[]) => {
  const [a, b] = args as [tf.Tensor, tf.Tensor];
  return { value: tf.add(a, b), gradFunc: (dy: tf.Tensor | tf.Tensor[]) => [dy as tf.Tensor, tf.clone(dy as tf.Tensor)] };
});

/** a + b for tensors of one shape (no broadcasting). */
export function addSameShape<T extends tf.Tensor>(a: T, b: T): T {
  if (!tf.util.arraysEqual(a.shape, b.shape)) throw new Error(`addSameShape: shapes [${a.shape}] and [${b.shape}] differ`);
  return addOp(a, b) as T;
}

const scaleOps = new Map<number, (x: tf.Tensor) => tf.Tensor>();

/** x * c for a constant c. */
export function scale<T extends tf.Tensor>(x: T, c: number): T {
  let op = scaleOps.get(c);
  if (!op) {
    op = tf.customGrad((...args: unknown[]) => {
      const x0 = args[0] as tf.Tensor;
      return { value: tf.mul(x0, c), gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.mul(dy as tf.Tensor, c) };
    }) as (x: tf.Tensor) => tf.Tensor;
    scaleOps.set(c, op);
  }
  return op(x) as T;
}
