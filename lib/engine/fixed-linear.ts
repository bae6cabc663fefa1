import * as tf from '@tensorflow/tfjs-core';
import { FixedGemm } from './fixed-gemm';
import { projectKernelsActive } from './kernel-heap';

/**
 * A float32 tensor's values for reading at once: a view of the wasm heap (no copy; valid until
 * tfjs allocates again), or dataSync's array elsewhere.
 */
function valuesView(t: tf.Tensor): Float32Array {
  const b = tf.backend() as unknown as { typedArrayFromHeap?: (t: tf.TensorInfo) => Float32Array };
  if (tf.getBackend() === 'wasm' && b.typedArrayFromHeap) return b.typedArrayFromHeap(t);
  return t.dataSync() as Float32Array;
}

/** A fixed matrix on the host: `rows` x `cols` floats, row-major. */
export interface HostMatrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/**
 * A linear layer over a fixed feature matrix F (n x D, never trained): Y = F[rows] W + b, with
 * gradients for W and b only.
 *
 * On 'wasm' and 'cpu' both products run in the project's kernels on several threads (FixedGemm:
 * kernels/gemm.c), bit for bit what tf.matMul(F[rows], W) and tf.matMul(F[rows]^T, dY) give,
 * about 2x tfjs-backend-wasm's single-threaded matMul on 2 cores, and without tfjs's transposed
 * product, which that backend runs ~40x slower than the forward one. F then lives in the
 * kernels' memory, not in tfjs's heap. Other backends ('tensorflow') use tfjs's own ops.
 */
export class FixedLinear {
  readonly numRows: number;
  readonly inDim: number;
  private gemm: FixedGemm | null = null;
  private tensor: tf.Tensor2D | null = null;
  private disposed = false;

  /** F is referenced, not copied, until first use: do not change it. */
  constructor(private readonly features: HostMatrix) {
    if (features.data.length !== features.rows * features.cols) {
      throw new Error(`FixedLinear: ${features.data.length} values for a ${features.rows} x ${features.cols} matrix`);
    }
    this.numRows = features.rows;
    this.inDim = features.cols;
  }

  /** Y = F[rows] W + b (all rows when `rows` is omitted); W is D x d, b has d entries. */
  apply(W: tf.Tensor2D, b?: tf.Tensor1D | null, rows?: Int32Array | tf.Tensor1D): tf.Tensor2D {
    if (this.disposed) throw new Error('FixedLinear used after dispose()');
    if (W.shape[0] !== this.inDim) throw new Error(`FixedLinear: W has ${W.shape[0]} rows, features have ${this.inDim} columns`);
    const d = W.shape[1];
    if (!projectKernelsActive() || d % 4 !== 0) return this.stockApply(W, b ?? null, rows);
    const idx = rows === undefined ? undefined : rows instanceof Int32Array ? rows : Int32Array.from(rows.dataSync());
    return this.kernelOp(idx, b != null)(...(b ? [W, b] : [W])) as tf.Tensor2D;
  }

  dispose(): void {
    this.disposed = true;
    this.gemm?.dispose();
    this.gemm = null;
    this.tensor?.dispose();
    this.tensor = null;
  }

  private kernels(): FixedGemm {
    return this.gemm ??= new FixedGemm(this.features.data, this.numRows, this.inDim);
  }

  private kernelOp(idx: Int32Array | undefined, withBias: boolean) {
    const gemm = this.kernels();
    return tf.customGrad((...args: unknown[]) => {
      const W = args[0] as tf.Tensor2D;
      const b = withBias ? (args[1] as tf.Tensor1D) : null;
      const d = W.shape[1];
      const k = idx ? idx.length : this.numRows;
      // tensor2d copies into the wasm heap; tfjs-backend-cpu keeps the array itself: no reuse there.
      const reuse = tf.getBackend() === 'wasm';
      const XW = tf.tensor2d(gemm.forward(valuesView(W), d, idx, reuse), [k, d]);
      const value = b ? tf.add(XW, b) : XW;
      return {
        value,
        gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
          const g = dy as tf.Tensor2D;
          const dW = tf.tensor2d(gemm.weightGrad(valuesView(g), d, idx, reuse), [this.inDim, d]);
          return b ? [dW, tf.sum(g, 0)] : [dW];
        },
      };
    });
  }

  /** The same product by tfjs's own ops (gather, matMul, add), F kept as a tensor: what other backends run. */
  stockApply(W: tf.Tensor2D, b: tf.Tensor1D | null, rows?: Int32Array | tf.Tensor1D): tf.Tensor2D {
    if (this.disposed) throw new Error('FixedLinear used after dispose()');
    const F = this.tensor ??= tf.keep(tf.tensor2d(this.features.data, [this.numRows, this.inDim]));
    return tf.tidy((): tf.Tensor2D => {
      const X = rows === undefined ? F : tf.gather(F, rows instanceof Int32Array ? tf.tensor1d(rows, 'int32') : rows);
      const Y = tf.matMul(X, W) as tf.Tensor2D;
      return b ? tf.add(Y, b) : Y;
    });
  }
}
