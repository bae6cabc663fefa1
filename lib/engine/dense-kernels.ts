import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { CkdError } from '../errors';
import { withKernelCall } from './kernel-heap';

/**
 * CkdGatherTranspose {x, indices?}: Y = (X[indices])^T, or X^T without indices, by
 * kernels/dense.c on 'wasm' and 'cpu'. tfjs's own Transpose on wasm takes ~1.5 s for a
 * 7050 x 4096 matrix; this takes a few tens of ms. No gradient (used inside gradients only).
 */
export const GATHER_TRANSPOSE = 'CkdGatherTranspose';
const BACKENDS = ['wasm', 'cpu'];

let registered = false;

function registerDenseKernels(): void {
  if (registered) return;
  for (const backendName of BACKENDS) {
    if (tf.getKernel(GATHER_TRANSPOSE, backendName)) continue;
    tf.registerKernel({
      kernelName: GATHER_TRANSPOSE,
      backendName,
      kernelFunc: ({ inputs, backend }) => withKernelCall('dense', backend, (c): TensorInfo => {
        const x = inputs.x!;
        const indices = inputs.indices;
        if (x.shape.length !== 2 || x.dtype !== 'float32') throw new Error('gatherTranspose: x must be a float32 matrix');
        const [n, D] = x.shape;
        const k = indices ? indices.shape[0] : n;
        const idx = indices ? c.input(indices) : 0;
        if (indices) {
          const bad = c.exports.count_out_of_range(idx, k, n);
          if (bad > 0) throw new CkdError(`row index out of range [0, ${n}) in ${bad} of ${k} entries`);
        }
        const out = c.output([D, k], 'float32');
        c.exports.gather_transpose(c.input(x), idx, out.ptr, k, D, D);
        return out.info;
      }),
    });
  }
  registered = true;
}

/** (X[indices])^T, or X^T; not differentiable. */
export function gatherTranspose(X: tf.Tensor2D, indices?: tf.Tensor1D): tf.Tensor2D {
  registerDenseKernels();
  if (!BACKENDS.includes(tf.getBackend())) return tf.tidy(() => tf.transpose(indices ? tf.gather(X, indices) : X));
  const inputs: Record<string, tf.Tensor> = { x: X };
  if (indices) inputs.indices = indices;
  return tf.engine().runKernel(GATHER_TRANSPOSE, inputs, {} as NamedAttrMap) as tf.Tensor2D;
}
