import * as tf from '@tensorflow/tfjs-core';

/**
 * The GPU path: @tensorflow/tfjs-backend-webgpu (a dependency) running on Dawn's Node binding, the
 * npm package 'webgpu' (not a dependency: 50 MB of prebuilt binaries for every platform; install
 * it with `npm install --no-save webgpu` where a GPU and a Vulkan driver are present).
 *
 * What differs from the CPU backends:
 *   - tensors can only be read asynchronously (tfjs's synchronous read needs OffscreenCanvas,
 *     which Node lacks), so the training path reads through host-read.ts or awaits its reads, and
 *     CKD's and OGM-GE's losses, which read margins through lib/nn's withHostValues, are Promises
 *     that the trainer awaits inside the step's tape (leanVariableGradsAsync);
 *   - the graph kernels are WGSL programs (webgpu-graph-kernels.ts); the other project kernels
 *     (wasm) do not run there, and tfjs's own kernels do that work.
 * CKD_WEBGPU_FLAGS passes Dawn's options (comma-separated, e.g. 'backend=vulkan').
 */
const DAWN_PACKAGE = 'webgpu';

let registered = false;

/** Makes tfjs's 'webgpu' backend available; returns null on success, else why not (one line). */
export function registerWebGpuBackend(): string | null {
  if (registered) return null;
  let dawn: { create: (flags: string[]) => unknown; globals: Record<string, unknown> };
  try {
    // A variable keeps tsc from resolving an optional package.
    const name = DAWN_PACKAGE;
    dawn = require(name);
  } catch (e) {
    const code = (e as { code?: string }).code;
    return code === 'MODULE_NOT_FOUND'
      ? `Dawn's Node binding is not installed (npm install --no-save ${DAWN_PACKAGE})`
      : `${DAWN_PACKAGE}: ${String((e as Error).message ?? e).split('\n')[0]}`;
  }
  Object.assign(globalThis, dawn.globals);
  const g = globalThis as unknown as { navigator?: Record<string, unknown> };
  if (g.navigator === undefined) g.navigator = {};
  const flags = (process.env.CKD_WEBGPU_FLAGS ?? '').split(',').map(f => f.trim()).filter(f => f !== '');
  g.navigator.gpu = dawn.create(flags);
  // The package registers its backend factory on import, when navigator.gpu exists.
  require('@tensorflow/tfjs-backend-webgpu');
  registered = tf.findBackendFactory('webgpu') != null;
  return registered ? null : '@tensorflow/tfjs-backend-webgpu did not register a backend';
}

/** The adapter tfjs's webgpu backend runs on, in words. */
export function describeWebGpuAdapter(): string {
  const device = (tf.backend() as unknown as { device?: { adapterInfo?: Record<string, string> } }).device;
  const info = device?.adapterInfo;
  if (info === undefined) return 'WebGPU';
  const parts = [info.vendor, info.architecture, info.device, info.description].filter(p => p !== undefined && p !== '');
  return `WebGPU on ${parts.join(' ') || 'an unnamed adapter'}`;
}
