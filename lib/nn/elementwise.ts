/**
 * Element-wise arithmetic of a layer:
 *   add(a, b)      a + b, tensors of one shape
 *   scale(x, c)    c x for a constant c
 *   mean(a, b)     (a + b) / 2
 *   maximum(a, b)  max(a, b) element-wise
 *
 * Why not tf.add and tf.mul: their gradients save both inputs for the backward pass (Add only to
 * read their shapes for broadcasting), so every sum of two N x d activations in a graph backbone
 * would hold both until the backward pass: in MMGCN at Baby scale that was 26 tensors of
 * 26,495 x 64 (176 MB) per forward pass, which made CKD's three passes exhaust the wasm
 * backend's 4 GiB heap. add and scale keep nothing (engine/lean-ops); values and gradients are
 * the same bits as tf.add and tf.mul (the same kernels run). maximum is written
 * b + relu(a - b): tfjs-wasm's Maximum kernel is slow. With CKD_KERNELS=stock they are tfjs's
 * tf.add, tf.mul and tf.maximum.
 */
import * as tf from '@tensorflow/tfjs-core';
import { addSameShape, scale as leanScale } from '../engine/lean-ops';
import { stockOps } from './kernel-choice';

/** a + b for tensors of one shape (no broadcasting). */
export function add<T extends tf.Tensor>(a: T, b: T): T {
  if (!stockOps()) return addSameShape(a, b);
  if (!tf.util.arraysEqual(a.shape, b.shape)) throw new Error(`add: shapes [${a.shape}] and [${b.shape}] differ`);
  return tf.add(a, b);
}

/** c x for a constant c. */
export function scale<T extends tf.Tensor>(x: T, c: number): T {
  return stockOps() ? tf.mul(x, c) : leanScale(x, c);
}

/** (a + b) / 2, element-wise, for tensors of one shape. */
export function mean<T extends tf.Tensor>(a: T, b: T): T {
  return scale(add(a, b), 0.5);
}

/** max(a, b) element-wise (same shapes or broadcastable as tf.maximum). */
export function maximum<T extends tf.Tensor>(a: T, b: T): T {
  if (stockOps()) return tf.maximum(a, b);
  return tf.add(b, tf.relu(tf.sub(a, b)));
}
