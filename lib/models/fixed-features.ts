import * as tf from '@tensorflow/tfjs-core';
import { FeatureMatrix } from '../data/dataset';
import { FixedLinear } from '../engine/fixed-linear';
import { gatherRows } from '../engine/graph-ops';

/** All-row projections made while sharedProjections runs, by features and (W, b). */
interface Shared { w: tf.Tensor2D; b: tf.Tensor1D | null; all: tf.Tensor2D }
let shared: Map<FixedFeatures, Shared[]> | null = null;

/**
 * Runs `f` with each feature matrix projected at most once per (W, b): the first projection
 * computes every row, later ones (other masks' forward passes, row subsets) reuse it, and the
 * gradient of W is one product over all rows. Worth it where `f` needs every row anyway (CKD's
 * and GB's ablated passes over thousands of triples, every graph backbone); a subset alone is
 * cheaper outside. Same values as projecting each time; W's gradient may differ in rounding.
 * With `enabled` false, `f` just runs.
 */
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

/**
 * A constant item-feature matrix that models project with a trained linear layer.
 * Keeps the mean feature row for mean ablation.
 */
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
    if (!shared) return this.linear.apply(w, b, rows);
    let list = shared.get(this);
    if (!list) shared.set(this, list = []);
    let e = list.find(x => x.w === w && x.b === b);
    if (!e) list.push(e = { w, b, all: tf.keep(this.linear.apply(w, b)) });
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
}
