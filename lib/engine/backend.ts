import * as tf from '@tensorflow/tfjs-core';
import { defaultGemmThreads } from './fixed-gemm';
import { defaultGraphThreads } from './graph-threads';
import { shareIdentityBuffers } from './shared-identity';
import { CkdError } from '../errors';
import { describeWebGpuAdapter, registerWebGpuBackend } from './webgpu-backend';

/**
 * Choice of the tfjs backend, made once per process at run time:
 *   'tensorflow'  TensorFlow's native library through @tensorflow/tfjs-node-gpu or -node, when one
 *                 is installed (optional: its install script needs a download) and registers into
 *                 this package's copy of @tensorflow/tfjs-core;
 *   'wasm'        @tensorflow/tfjs-backend-wasm, single-threaded SIMD build, with the project's
 *                 graph kernels (on threads of their own, graph-threads.ts; the default here);
 *   'cpu'         @tensorflow/tfjs-backend-cpu (plain JavaScript; slow dense products);
 *   'webgpu'      @tensorflow/tfjs-backend-webgpu on a GPU through Dawn's Node binding (the npm
 *                 package 'webgpu', installed separately); only when asked for, never chosen
 *                 automatically, because it cannot read tensors synchronously (webgpu-backend.ts).
 * CKD_BACKEND or opts.backend forces one of them.
 */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu' | 'webgpu';

export interface EngineOptions {
  backend?: BackendName;
  /** Do not print the line naming the backend. */
  quiet?: boolean;
}

const NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu', 'webgpu'];
/** Tried in this order when no backend is requested. */
const AUTOMATIC: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];
const UNION_PACKAGE = '@tensorflow/tfjs';

let initialised = false;
let queue: Promise<unknown> = Promise.resolve();

export function initEngine(opts: EngineOptions = {}): Promise<BackendName> {
  // Calls are serialised: a second call waits for the first and then usually has nothing to do.
  const result = queue.then(() => init(opts));
  queue = result.catch(() => undefined);
  return result;
}

async function init(opts: EngineOptions): Promise<BackendName> {
  if (opts.backend !== undefined && !NAMES.includes(opts.backend)) {
    throw new CkdError(`unknown backend '${String(opts.backend)}': use one of ${NAMES.join(', ')}`);
  }
  const requested = opts.backend ?? requestedByEnvironment();
  if (initialised && (requested === undefined || requested === tf.getBackend())) return currentBackend();

  registerBundledBackends();
  const gradientNote = registerCoreGradients();
  let chosen: BackendName | undefined;
  const notes: string[] = [];
  if (requested !== undefined) {
    const why = await tryBackend(requested);
    if (why !== null) {
      const source = opts.backend !== undefined ? 'requested' : 'requested by CKD_BACKEND';
      throw new CkdError(`backend '${requested}' ${source} but unavailable: ${why}`);
    }
    chosen = requested;
  } else {
    for (const name of AUTOMATIC) {
      const why = await tryBackend(name);
      if (why === null) { chosen = name; break; }
      notes.push(`${name}: ${why}`);
    }
    if (chosen === undefined) throw new CkdError(`no tfjs backend could be initialised (${notes.join('; ')})`);
  }
  initialised = true;
  const note = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  if (!opts.quiet) process.stderr.write(`ckd engine: tfjs backend '${chosen}'${await describe(chosen)}${note}${gradientNote}\n`);
  return chosen;
}

/** The backend in use, for result records. */
export function currentBackend(): BackendName {
  if (!initialised) throw new CkdError('the engine is not initialised: call initEngine() first');
  const name = tf.getBackend();
  if (!NAMES.includes(name as BackendName)) throw new CkdError(`tfjs backend '${name}' is not one of ${NAMES.join(', ')}`);
  return name as BackendName;
}

function requestedByEnvironment(): BackendName | undefined {
  const raw = (process.env.CKD_BACKEND ?? '').trim();
  if (raw === '' || raw === 'auto') return undefined;
  if (!NAMES.includes(raw as BackendName)) {
    throw new CkdError(`CKD_BACKEND='${raw}' is not a backend: use one of ${NAMES.join(', ')}, or leave it unset`);
  }
  return raw as BackendName;
}

let bundledRegistered = false;
function registerBundledBackends(): void {
  if (bundledRegistered) return;
  // Both packages register their backend factory on import; tfjs initialises it on setBackend.
  require('@tensorflow/tfjs-backend-cpu');
  require('@tensorflow/tfjs-backend-wasm');
  // The threaded wasm build does not run in Node: make sure the single-threaded (SIMD) one loads.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  shareIdentityBuffers();
  bundledRegistered = true;
}

/**
 * tfjs-core's Node bundle carries no gradients for its own ops (the @tensorflow/tfjs bundle
 * registers them, into the registry that every copy of tfjs-core shares). Without them only the
 * project's ops and custom gradients can be differentiated.
 */
function registerCoreGradients(): string {
  if (coreGradientsRegistered()) return '';
  try {
    require(UNION_PACKAGE);
  } catch (e) {
    return `; WARNING: tfjs-core ops have no gradients (${UNION_PACKAGE} 4.22.0 is not installed: ${firstLine(e)})`;
  }
  return coreGradientsRegistered() ? '' : `; WARNING: ${UNION_PACKAGE} loaded but tfjs-core ops still have no gradients`;
}

/** Whether autodiff through tfjs-core's ops (matMul, add, ...) is available. */
export function coreGradientsRegistered(): boolean {
  return tf.getGradient('Sum') != null && tf.getGradient('BatchMatMul') != null;
}

/** Activates `name`; returns null on success, else why not (one line). */
async function tryBackend(name: BackendName): Promise<string | null> {
  if (name === 'tensorflow' && tf.findBackendFactory('tensorflow') == null) {
    const why = loadNativePackage();
    if (why !== null) return why;
  }
  if (name === 'webgpu' && tf.findBackendFactory('webgpu') == null) {
    const why = registerWebGpuBackend();
    if (why !== null) return why;
  }
  try {
    const ok = await silenced(() => tf.setBackend(name));
    return ok ? null : `tfjs could not initialise it`;
  } catch (e) {
    return firstLine(e);
  }
}

function loadNativePackage(): string | null {
  const problems: string[] = [];
  for (const pkg of NATIVE_PACKAGES) {
    if (isAlias(pkg)) {
      problems.push(`${pkg} not installed`);
      continue;
    }
    try {
      // A variable name keeps bundlers and tsc from treating it as a dependency.
      require(pkg);
    } catch (e) {
      const code = (e as { code?: string }).code;
      problems.push(code === 'MODULE_NOT_FOUND' && firstLine(e).includes(`'${pkg}'`) ? `${pkg} not installed` : `${pkg}: ${firstLine(e)}`);
      continue;
    }
    if (tf.findBackendFactory('tensorflow') != null) return null;
    problems.push(`${pkg} loaded but registered into another copy of @tensorflow/tfjs-core (check 'npm ls @tensorflow/tfjs-core')`);
  }
  return problems.join('; ');
}

/**
 * danfojs-node depends on @tensorflow/tfjs-node; our npm override installs plain
 * @tensorflow/tfjs under that name (the real one downloads libtensorflow at install time).
 * Such an alias is not the native backend.
 */
function isAlias(pkg: string): boolean {
  try {
    return require(`${pkg}/package.json`).name !== pkg;
  } catch {
    return false;
  }
}

async function describe(name: BackendName): Promise<string> {
  if (name === 'wasm') {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    return ` (${simd ? 'SIMD' : 'no SIMD'}; project kernels: graph ops on ${threads(defaultGraphThreads())}, Adam, dense products, fixed-feature products on ${threads(defaultGemmThreads())})`;
  }
  if (name === 'cpu') return ` (plain JavaScript; project kernels: graph ops on ${threads(defaultGraphThreads())}, fixed-feature products on ${threads(defaultGemmThreads())})`;
  if (name === 'webgpu') return ` (${describeWebGpuAdapter()}; project graph kernels in WGSL, tfjs's own dense kernels)`;
  return ' (native TensorFlow)';
}

function threads(n: number): string {
  return `${n} thread${n === 1 ? '' : 's'}`;
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : typeof e === 'object' && e !== null && 'message' in e ? String((e as { message: unknown }).message) : String(e);
  return msg.split('\n')[0];
}

/** tfjs logs its own warnings about failed backends to the console; ours is one line on stderr. */
async function silenced<T>(f: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  const log = console.log;
  console.warn = () => undefined;
  console.log = () => undefined;
  try { return await f(); } finally { console.warn = warn; console.log = log; }
}
