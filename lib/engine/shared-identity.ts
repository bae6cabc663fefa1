import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * tfjs-backend-wasm's Identity kernel copies its input, and tfjs runs Identity for every
 * tf.clone and for every tensor a custom gradient saves (engine.customGrad keeps a clone): an
 * EgoGCN CKD step at Baby scale made 575 such copies (~160 ms of ~2.4 s). tfjs tensors are
 * immutable and the wasm backend counts references per buffer (its Reshape shares its input's
 * buffer the same way), so the replacement returns the input's buffer with one more reference.
 * Strings keep the stock kernel.
 */
let installed = false;

export function shareIdentityBuffers(): void {
  if (installed) return;
  const stock = tf.getKernel(tf.Identity, 'wasm');
  if (!stock) return; // the wasm backend is not loaded
  tf.unregisterKernel(tf.Identity, 'wasm');
  const config: KernelConfig = {
    kernelName: tf.Identity,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as TensorInfo;
      if (x.dtype === 'string') return stock.kernelFunc(args);
      (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
    },
  };
  tf.registerKernel(config);
  installed = true;
}
