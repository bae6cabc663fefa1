/**
 * A fixed-feature linear layer: a constant item-feature matrix F (n x D, never trained) that a
 * model projects with a trained layer,
 *   project(W, b, rows)   F[rows] W + b       (all rows when omitted; no bias when b is null)
 *   projectMean(W, b)     mean(F) W + b       one row, for mean ablation (the mean row of F is kept)
 * differentiable w.r.t. W and b.
 *
 * Underneath, with the default kernels, F lives in the project's kernel memory and both products
 * (forward, and W's gradient F[rows]^T dY) run on several threads (engine/fixed-linear: the same
 * bits as tf.matMul); with CKD_KERNELS=stock, and on other backends, they are tf.gather and tf.matMul.
 *
 * sharedProjections(f) runs `f` with each feature matrix projected at most once per (W, b): the
 * first projection computes every row, later ones (other masks' forward passes, row subsets)
 * reuse it, and the gradient of W is one product over all rows. Worth it where `f` needs every
 * row anyway (CKD's and GB's ablated passes over thousands of triples, every graph backbone); a
 * subset alone is cheaper outside. Same values as projecting each time; W's gradient may differ
 * in rounding.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FeatureMatrix } from '../data/dataset';
import { FixedLinear } from '../engine/fixed-linear';
import { stockOps } from './kernel-choice';
import { gatherRows } from './rows';

/** All-row projections made while sharedProjections runs, by features and (W, b). */
interface Shared { w: tf.Tensor2D; b: tf.Tensor1D | null; all: tf.Tensor2D }
let shared: Map<FixedFeatures, Shared[]> | null = null;

/** Runs `f` with the projections shared (see above); with `enabled` false, `f` just runs. */
export function sharedProjections<T>(f: () => T, enabled = true): T {
  if (shared || !enabled) return f();
  shared = new Map();
  try {
    return f();
  } finally {
    releaseShared();
  }
}

/** sharedProjections for a computation that awaits in the middle (nothing else may project meanwhile). */
export async function sharedProjectionsAsync<T>(f: () => Promise<T>, enabled = true): Promise<T> {
  if (shared || !enabled) return f();
  shared = new Map();
  try {
    return await f();
  } finally {
    releaseShared();
  }
}

function releaseShared(): void {
  for (const list of shared?.values() ?? []) for (const e of list) e.all.dispose();
  shared = null;
}

export class FixedFeatures {
  readonly rows: number;
  readonly cols: number;
  private readonly mean: tf.Tensor2D;
  private readonly linear: FixedLinear;

  constructor(m: FeatureMatrix) {
    this.rows = m.rows;
    this.cols = m.cols;
    this.linear = new FixedLinear(m);
    const mean = new Float64Array(m.cols);
    for (let i = 0; i < m.rows; i++) for (let c = 0; c < m.cols; c++) mean[c] += m.data[i * m.cols + c];
    this.mean = tf.tensor2d(Float32Array.from(mean, x => x / Math.max(m.rows, 1)), [1, m.cols]);
  }

  /** F[rows] W + b (all rows when omitted; no bias when b is null). */
  project(w: tf.Tensor2D, b: tf.Tensor1D | null, rows?: Int32Array): tf.Tensor2D {
    if (!shared) return this.apply(w, b, rows);
    let list = shared.get(this);
    if (!list) shared.set(this, list = []);
    let e = list.find(x => x.w === w && x.b === b);
    if (!e) list.push(e = { w, b, all: tf.keep(this.apply(w, b)) });
    return rows ? gatherRows(e.all, rows) : tf.clone(e.all);
  }

  /** mean(F) W + b, one row (no bias when b is null). */
  projectMean(w: tf.Tensor2D, b: tf.Tensor1D | null): tf.Tensor2D {
    return tf.tidy(() => {
      const y = tf.matMul(this.mean, w) as tf.Tensor2D;
      return b ? tf.add(y, b) as tf.Tensor2D : y;
    });
  }

  dispose(): void {
    this.linear.dispose();
    this.mean.dispose();
  }

  private apply(w: tf.Tensor2D, b: tf.Tensor1D | null, rows?: Int32Array): tf.Tensor2D {
    return stockOps() ? this.linear.stockApply(w, b, rows) : this.linear.apply(w, b, rows);
  }
}
