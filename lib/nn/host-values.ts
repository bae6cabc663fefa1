/**
 * Tensor values read back to the host, for methods that compute with numbers in the middle of a
 * step (CKD's re-weighting, OGM-GE's modulation) or after it (GB's estimates, the gradient probe).
 * The CPU backends read synchronously; webgpu can only read asynchronously.
 *
 * withHostValues(tensors, then) is written once for both: it reads the tensors and returns
 * then(values) at once where reads are synchronous (wasm, cpu: the step stays one synchronous
 * computation, the same bits as ever), and a Promise of it where they are not (the trainer then
 * awaits the loss inside the step's gradient tape). setAsyncHostReads(true) takes the
 * asynchronous way on any backend, so that tests exercise webgpu's path on wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { requireSyncReads, syncReadsAvailable } from '../engine/host-read';

export { readScalars, requireSyncReads, syncReadsAvailable } from '../engine/host-read';

let forceAsync = false;

/** Read asynchronously even where synchronous reads exist (tests); false restores the default. */
export function setAsyncHostReads(on: boolean): void {
  forceAsync = on;
}

/** True when withHostValues answers at once (the default on wasm, cpu and tensorflow). */
export function hostReadsSync(): boolean {
  return !forceAsync && syncReadsAvailable();
}

/** then(values of the tensors, as host copies): at once where reads are synchronous, else a Promise. */
export function withHostValues<K extends string, T>(
  tensors: Record<K, tf.Tensor>, then: (values: Record<K, Float32Array>) => T,
): T | Promise<T> {
  const names = Object.keys(tensors) as K[];
  if (hostReadsSync()) {
    const values = {} as Record<K, Float32Array>;
    for (const k of names) values[k] = Float32Array.from(tensors[k].dataSync() as Float32Array);
    return then(values);
  }
  return Promise.all(names.map(k => tensors[k].data() as Promise<Float32Array>)).then(arrays => {
    const values = {} as Record<K, Float32Array>;
    names.forEach((k, i) => { values[k] = arrays[i]; });
    return then(values);
  });
}

/** A copy of a tensor's values, read synchronously (refused with a clear error where reads are asynchronous). */
export function hostValues(t: tf.Tensor): Float32Array {
  requireSyncReads('A synchronous read of tensor values');
  return Float32Array.from(t.dataSync() as Float32Array);
}
