import * as tf from '@tensorflow/tfjs-core';
import { gatherTranspose } from './dense-kernels';
import { gatherRows } from './graph-ops';

/**
 * A linear layer over a fixed feature matrix F (n x D, never trained): Y = F[rows] W + b, with
 * gradients for W and b only.
 *
 * Why not plain tf.matMul: its gradient for W is F^T dY, a transposed product that tfjs-backend-wasm
 * runs ~40x slower than the forward product. Here dW is a plain product with the transposed rows:
 * all rows use a transposed copy of F built once (on first use, kept until dispose; set
 * keepTransposed: false to rebuild it in each backward pass instead and save n x D floats);
 * a row subset transposes just its gathered rows (a project kernel, a few ms).
 * On backends without the project kernels ('tensorflow') tfjs's own ops and gradients are used.
 */
export class FixedLinear {
  readonly numRows: number;
  readonly inDim: number;
  private transposed: tf.Tensor2D | null = null;
  private disposed = false;

  /** F is referenced, not copied or owned: keep it alive while this layer is used, dispose it yourself. */
  constructor(readonly features: tf.Tensor2D, private readonly opts: { keepTransposed?: boolean } = {}) {
    if (features.rank !== 2 || features.dtype !== 'float32') throw new Error('FixedLinear: features must be a float32 matrix');
    [this.numRows, this.inDim] = features.shape;
  }

  /** Y = F[rows] W + b (all rows when `rows` is omitted); W is D x d, b has d entries. */
  apply(W: tf.Tensor2D, b?: tf.Tensor1D | null, rows?: Int32Array | tf.Tensor1D): tf.Tensor2D {
    if (this.disposed) throw new Error('FixedLinear used after dispose()');
    if (W.shape[0] !== this.inDim) throw new Error(`FixedLinear: W has ${W.shape[0]} rows, features have ${this.inDim} columns`);
    if (!['wasm', 'cpu'].includes(tf.getBackend())) {
      return tf.tidy((): tf.Tensor2D => {
        const X = rows === undefined ? this.features : tf.gather(this.features, rows instanceof Int32Array ? tf.tensor1d(rows, 'int32') : rows);
        const Y = tf.matMul(X, W) as tf.Tensor2D;
        return b ? tf.add(Y, b) : Y;
      });
    }
    const idx = rows instanceof Int32Array ? tf.tensor1d(rows, 'int32') : rows;
    try {
      return this.customOp(idx, b != null)(...(b ? [W, b] : [W])) as tf.Tensor2D;
    } finally {
      if (rows instanceof Int32Array) idx!.dispose();
    }
  }

  dispose(): void {
    this.disposed = true;
    this.transposed?.dispose();
    this.transposed = null;
  }

  private customOp(idx: tf.Tensor1D | undefined, withBias: boolean) {
    return tf.customGrad((...args: unknown[]) => {
      const W = args[0] as tf.Tensor2D;
      const b = withBias ? (args[1] as tf.Tensor1D) : null;
      const save = args[args.length - 1] as tf.GradSaveFunc;
      if (idx) save([idx]);
      const X = idx ? gatherRows(this.features, idx) : this.features;
      const XW = tf.matMul(X, W);
      const value = b ? tf.add(XW, b) : XW;
      return {
        value,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const g = dy as tf.Tensor2D;
          const dW = tf.tidy(() => tf.matMul(this.transposedRows(idx ? saved[0] as tf.Tensor1D : undefined), g));
          return b ? [dW, tf.sum(g, 0)] : [dW];
        },
      };
    });
  }

  /** (F[idx])^T for a subset; F^T (kept unless keepTransposed is false) for all rows. */
  private transposedRows(idx: tf.Tensor1D | undefined): tf.Tensor2D {
    if (idx) return gatherTranspose(this.features, idx);
    if (this.opts.keepTransposed === false) return gatherTranspose(this.features);
    if (!this.transposed) this.transposed = tf.keep(gatherTranspose(this.features));
    return this.transposed;
  }
}
