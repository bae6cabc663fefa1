/**
 * Tensor values read back to the host, for methods that compute with numbers in the middle of a
 * step (CKD's re-weighting, OGM-GE's modulation) or after it (GB's estimates, the gradient probe).
 * The CPU backends read synchronously; webgpu can only read asynchronously.
 */
import * as tf from '@tensorflow/tfjs-core';
import { requireSyncReads, syncReadsAvailable } from '../engine/host-read';

export { readScalars, requireSyncReads, syncReadsAvailable } from '../engine/host-read';

/** A copy of a tensor's values, read synchronously (refused with a clear error where reads are asynchronous). */
export function hostValues(t: tf.Tensor): Float32Array {
  requireSyncReads('A synchronous read of tensor values');
  return Float32Array.from(t.dataSync() as Float32Array);
}
