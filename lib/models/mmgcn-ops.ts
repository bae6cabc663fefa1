/**
 * Small differentiable building blocks of MMGCN and GRCN (lib/models/mmgcn.ts, grcn.ts), written
 * for the speed of tfjs-backend-wasm, measured on a 26,495 x 64 matrix (Baby's node count):
 *  - denseLinear: Y = X W + b with its own gradient. tfjs's matMul gradient runs dY W^T
 *    (transposeB) and X^T dY (transposeA), ~230 ms each on wasm against ~20 ms for the forward
 *    product; here dX = dY (W^T) with the small W transposed explicitly, and dW = (X^T) dY with X
 *    transposed by the project's gatherTranspose kernel: ~25 ms each.
 *  - leakyRelu: tfjs's LeakyReLU kernel on wasm takes ~17 ms forward and ~60 ms forward+backward
 *    (its gradient uses the slow greater/where kernels); written as 0.99 relu(x) + 0.01 x with the
 *    gradient dy (0.01 + 0.99 step(x)): ~3 ms forward, ~20 ms forward+backward. Same values.
 *  - l2NormalizeRows: torch's F.normalize (x / max(|x|, 1e-12) per row) with its gradient written
 *    out (tfjs's gradient of the row sum multiplies by an N x d tensor of ones).
 * On backends without the project kernels ('tensorflow') the stock ops are used.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Modality, MODALITIES } from '../data/dataset';
import { gatherTranspose, matMulKernel } from '../engine/dense-kernels';
import { projectKernelsActive } from '../engine/kernel-heap';
import { gatherRows } from '../engine/graph-ops';
import { Rng } from '../engine/random';
import type { TripleBatch } from './backbone';
import { Matrix } from './init';

const fast = projectKernelsActive;

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
        matMulKernel(gatherTranspose(xs), g),
        // Column sums as a product with a row of ones: tfjs-wasm's Sum over axis 0 transposes first.
        tf.reshape(matMulKernel(tf.ones([1, g.shape[0]]), g), [g.shape[1]]),
      ];
    },
  };
});

/** Y = X W + b (W stored in x out), differentiable w.r.t. X, W and b. */
export function denseLinear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (!fast()) return tf.tidy(() => tf.add(tf.matMul(x, w), b) as tf.Tensor2D);
  return linearOp(x, w, b) as tf.Tensor2D;
}

function leakyOp(alpha: number) {
  return tf.customGrad((...args: unknown[]) => {
    const x = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const y = tf.add(tf.mul(tf.relu(x), 1 - alpha), tf.mul(x, alpha));
    // The output, not the input: with 0 <= alpha < 1, y > 0 exactly where x > 0, so the gradient
    // is the same, and y is usually kept anyway as the next layer's saved input (MMGCN keeps two
    // fewer N x d tensors per graph layer for its backward pass).
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.mul(dy as tf.Tensor, tf.add(tf.mul(tf.step(saved[0]), 1 - alpha), alpha)),
    };
  });
}

const leakyOps = new Map<number, ReturnType<typeof leakyOp>>();

/** LeakyReLU with negative slope alpha, 0 <= alpha < 1 (torch F.leaky_relu, default 0.01). */
export function leakyRelu<T extends tf.Tensor>(x: T, alpha = 0.01): T {
  if (!(alpha >= 0 && alpha < 1)) throw new Error(`leakyRelu: slope ${alpha} outside [0, 1)`);
  if (!fast()) return tf.leakyRelu(x, alpha);
  let op = leakyOps.get(alpha);
  if (!op) leakyOps.set(alpha, (op = leakyOp(alpha)));
  return op(x) as T;
}

const EPS2 = 1e-24;

/**
 * y = x r with r = 1 / max(|x|, 1e-12) per row; the gradient written directly,
 * dx = r (dy - y <dy, y>) (just r dy where the clamp is active), instead of tfjs's gradient of the
 * row sum, which multiplies by an N x d tensor of ones: ~35 % less time forward+backward.
 */
const l2Op = tf.customGrad((...args: unknown[]) => {
  const x = args[0] as tf.Tensor2D;
  const save = args[1] as tf.GradSaveFunc;
  const ss = tf.sum(tf.square(x), 1, true);
  const r = tf.rsqrt(tf.maximum(ss, EPS2));
  const y = tf.mul(x, r);
  save([y, r, ss]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [ys, rs, sss] = saved;
      const g = dy as tf.Tensor;
      const dot = tf.mul(tf.sum(tf.mul(g, ys), 1, true), tf.step(tf.sub(sss, EPS2)));
      return tf.mul(tf.sub(g, tf.mul(ys, dot)), rs);
    },
  };
});

/** x / max(|x|, 1e-12) per row (torch F.normalize); zero rows stay zero, with a finite gradient. */
export function l2NormalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  if (fast()) return l2Op(x) as tf.Tensor2D;
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), 1, true), EPS2))) as tf.Tensor2D);
}

/**
 * torch.nn.init.xavier_normal_ on a (rows x cols) table: N(0, 2 / (rows + cols)), drawn from our
 * Rng. `fan` overrides (rows + cols) when the table is one slice of a wider reference table.
 */
export function xavierNormal(rng: Rng, rows: number, cols: number, fan = rows + cols): Matrix {
  const std = Math.sqrt(2 / fan);
  const a = new Float32Array(rows * cols);
  for (let k = 0; k < a.length; k++) a[k] = rng.normal() * std;
  const init = tf.tensor2d(a, [rows, cols]);
  const v = tf.variable(init, true);
  init.dispose();
  return v;
}

/**
 * The reference regularisation of GRCN and EgoGCN, read from the raw tables (not the
 * representations): lambda ((2 |E_u|^2 + |E_pos|^2 + |E_neg|^2) / (2 B d) + sum_m |P_m,u|^2 / (B d))
 * over the batch rows, with E the (users then items) ID table and P_m the user preference tables.
 */
export function idPrefRegularization(
  idEmb: tf.Tensor2D, pref: Record<Modality, tf.Tensor2D>, batch: TripleBatch, numUsers: number, dim: number, lambda: number,
): tf.Scalar {
  return tf.tidy(() => {
    const U = numUsers;
    const B = batch.users.length;
    const d = dim;
    const items = new Int32Array(2 * B);
    for (let k = 0; k < B; k++) { items[k] = batch.pos[k] + U; items[B + k] = batch.neg[k] + U; }
    const sq = (t: tf.Tensor2D) => tf.sum(tf.square(t));
    const emb = tf.div(tf.add(tf.mul(sq(gatherRows(idEmb, batch.users)), 2), sq(gatherRows(idEmb, items))), 2 * B * d);
    let total: tf.Tensor = emb;
    for (const m of MODALITIES) total = tf.add(total, tf.div(sq(gatherRows(pref[m], batch.users)), B * d));
    return tf.mul(total, lambda) as tf.Scalar;
  });
}
