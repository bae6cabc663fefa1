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
 * Sharing projections within a training step. A step may run several forward passes of one
 * model (CKD: the fused pass and one per modality; GB and OGM-GE: three), each projecting the
 * same features with the same (W, b). Inside sharingProjections(f) (the trainer wraps each
 * step's loss in it) a projection of all rows is computed once and handed out as copies, so W's
 * gradient is one product over the passes' summed output gradients; projections of a subset of
 * rows (a batch, for models that compute only the batch's rows) are computed as asked. With
 * `everyItem` the first projection, subset or not, computes every row and every later one gathers
 * from it: worth it where the step's passes reach most items anyway (CKD's thousands of universal
 * triples), dearer than the batch alone otherwise. Values are those of projecting each time; W's
 * gradient may differ in rounding (it is summed in another order).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FeatureMatrix } from '../data/dataset';
import { FixedLinear } from '../engine/fixed-linear';
import { stockOps } from './kernel-choice';
import { gatherRows } from './rows';
import { inStepScope } from './step-scope';

/** A projection of all rows made during the step, by (W, b). */
interface Shared { w: tf.Tensor2D; b: tf.Tensor1D | null; all: tf.Tensor2D }
interface Step { everyItem: boolean; shared: Map<FixedFeatures, Shared[]> }
let step: Step | null = null;

/**
 * Runs `f` (one training step's forward passes; it may return a Promise) with the feature
 * projections shared as described above; within an enclosing call, `f` just runs.
 */
export function sharingProjections<T>(f: () => T, everyItem = false): T {
  const open = () => {
    if (step) return false;
    step = { everyItem, shared: new Map() };
    return true;
  };
  return inStepScope(open, endStep, f);
}

function endStep(): void {
  for (const list of step?.shared.values() ?? []) for (const e of list) e.all.dispose();
  step = null;
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
    if (!step || (rows && !step.everyItem)) return this.apply(w, b, rows);
    let list = step.shared.get(this);
    if (!list) step.shared.set(this, list = []);
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
