import * as tf from '@tensorflow/tfjs-core';
import { FeatureMatrix } from '../data/dataset';
import { FixedLinear } from '../engine/fixed-linear';

/**
 * A constant item-feature matrix that models project with a trained linear layer.
 * Keeps the mean feature row for mean ablation.
 */
export class FixedFeatures {
  readonly rows: number;
  readonly cols: number;
  private readonly matrix: tf.Tensor2D;
  private readonly mean: tf.Tensor2D;
  private readonly linear: FixedLinear;

  constructor(m: FeatureMatrix) {
    this.rows = m.rows;
    this.cols = m.cols;
    this.matrix = tf.tensor2d(m.data, [m.rows, m.cols]);
    this.linear = new FixedLinear(this.matrix);
    const mean = new Float64Array(m.cols);
    for (let i = 0; i < m.rows; i++) for (let c = 0; c < m.cols; c++) mean[c] += m.data[i * m.cols + c];
    this.mean = tf.tensor2d(Float32Array.from(mean, x => x / Math.max(m.rows, 1)), [1, m.cols]);
  }

  /** F[rows] W + b (all rows when omitted; no bias when b is null). */
  project(w: tf.Tensor2D, b: tf.Tensor1D | null, rows?: Int32Array): tf.Tensor2D {
    return this.linear.apply(w, b, rows);
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
    this.matrix.dispose();
    this.mean.dispose();
  }
}
