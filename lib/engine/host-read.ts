import * as tf from '@tensorflow/tfjs-core';
import { CkdError } from '../errors';

/**
 * Reading tensors back to the host. The CPU backends (and TensorFlow's) read synchronously; the
 * webgpu backend can only read asynchronously, so code on the training path that runs there reads
 * through here.
 */
export function syncReadsAvailable(): boolean {
  return tf.getBackend() !== 'webgpu';
}

/** Throws a clear error where `what` needs synchronous reads and the backend has none. */
export function requireSyncReads(what: string): void {
  if (!syncReadsAvailable()) {
    throw new CkdError(`${what} reads tensors on the host synchronously, which the '${tf.getBackend()}' backend cannot do: use the wasm or cpu backend`);
  }
}

/** The values of named scalar tensors: read one by one where reads are synchronous, else packed. */
export async function readScalars(scalars: Record<string, tf.Tensor>): Promise<Record<string, number>> {
  if (!syncReadsAvailable()) return readScalarsPacked(scalars);
  const out: Record<string, number> = {};
  for (const k of Object.keys(scalars)) out[k] = scalars[k].dataSync()[0];
  return out;
}

/** The values of named scalar tensors, stacked on the backend and read in one asynchronous transfer. */
export async function readScalarsPacked(scalars: Record<string, tf.Tensor>): Promise<Record<string, number>> {
  const names = Object.keys(scalars);
  const out: Record<string, number> = {};
  const packed = tf.tidy(() => tf.stack(names.map(k => tf.reshape(scalars[k], [])) as tf.Scalar[]));
  try {
    const values = await packed.data();
    names.forEach((k, i) => { out[k] = values[i]; });
  } finally {
    packed.dispose();
  }
  return out;
}
