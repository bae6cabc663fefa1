import * as fs from 'fs';
import * as path from 'path';
import { CkdError } from '../errors';
import { coresUpToTwo, KernelThread, threadsFromEnv, validThreads } from './kernel-thread';
import type { GraphRequest } from './graph-worker';
import { WasmHeap } from './wasm-heap';

/**
 * The graph kernels (graph-kernels.ts) on several threads. Their outputs are rows (or the edges
 * of rows) of a CSR structure: Y = A X writes row r from row r's edges, SDDMM and the segment
 * softmax write the edges of row r. The rows are split into contiguous ranges, one per thread,
 * and every output element is computed whole by one thread by the same kernel code
 * (kernels/graph.c) in the same order as on one thread, so results are the same bits for any
 * number of threads and any split.
 *
 * tfjs's wasm heap, where tensors live, cannot be shared with other threads. The workers
 * therefore run graph-shared.wasm (graph.c built for a shared memory) over one shared
 * WebAssembly.Memory: the calling thread keeps a copy of each graph structure there (made once),
 * copies a call's dense inputs in, computes the first range of rows itself in place on the tfjs
 * heap, and copies the workers' rows of the result back. It blocks (Atomics.wait) until they are
 * done, so callers stay synchronous.
 *
 * Small calls stay on the calling thread: below `minimumWork` multiply-adds the copies and the
 * hand-over cost more than the second core gains (the split does not change results either way).
 * Threads: CKD_GRAPH_THREADS, else CKD_GEMM_THREADS (so `ckd reproduce --jobs N` shares the cores
 * the same way), else min(2, cores).
 */

type HostArray = Int32Array | Float32Array;

/** Threads the graph kernels use when not told: CKD_GRAPH_THREADS, else CKD_GEMM_THREADS, else min(2, cores). */
export function defaultGraphThreads(): number {
  return threadsFromEnv('CKD_GRAPH_THREADS', () => threadsFromEnv('CKD_GEMM_THREADS', coresUpToTwo));
}

/**
 * Work (about multiply-adds) below which a call stays on one thread. Y = A X on two threads was
 * measured to pay from about 4M (60k edges x 64 columns) up: Amazon Baby's graph (479k edges x 64,
 * 31M) splits; the 'default' preset's (35k x 64, 2.3M) does not.
 */
export const DEFAULT_MINIMUM_WORK = 1 << 22;

let threadSetting: number | undefined;
let defaultThreads: number | undefined;
let minimumWork = DEFAULT_MINIMUM_WORK;

/** Threads for the graph kernels from now on (undefined: the default). */
export function setGraphThreads(n: number | undefined): void {
  if (n !== undefined && !validThreads(n)) throw new CkdError(`graph threads must be an integer from 1 to 16 (got ${n})`);
  threadSetting = n;
}

/** Minimum work of a call run on several threads (undefined: DEFAULT_MINIMUM_WORK); 0 splits every call. */
export function setGraphMinimumWork(n: number | undefined): void {
  if (n !== undefined && !(Number.isInteger(n) && n >= 0)) throw new CkdError(`minimum work must be a non-negative integer (got ${n})`);
  minimumWork = n ?? DEFAULT_MINIMUM_WORK;
}

/** The thread count in force (the setting, else the default, read once from the environment). */
export function graphThreads(): number {
  if (threadSetting !== undefined) return threadSetting;
  defaultThreads ??= defaultGraphThreads();
  return defaultThreads;
}

/**
 * The calling thread does the copies besides its rows; it takes this fraction of an equal share
 * (measured at Baby's sizes on two cores; any value gives the same results).
 */
const CALLER_SHARE = 0.85;

/**
 * Row bounds [0, b_1, ..., nrows] splitting rows 0..nrows of a CSR structure over `threads`
 * threads (thread t takes rows b_t .. b_{t+1}), balancing edges plus rows, the calling thread
 * (t = 0) taking `callerShare` of an equal share. Ranges may be empty.
 */
export function splitRows(indptr: Int32Array, nrows: number, threads: number, callerShare = CALLER_SHARE): number[] {
  const cost = (r: number) => indptr[r] + r;
  const total = cost(nrows);
  const first = callerShare / (callerShare + threads - 1);
  const bounds = [0];
  for (let t = 1; t < threads; t++) {
    const target = total * (first + (t - 1) * (1 - first) / (threads - 1));
    let lo = bounds[t - 1], hi = nrows; // smallest r in [lo, hi] with cost(r) >= target
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cost(mid) >= target) hi = mid; else lo = mid + 1;
    }
    bounds.push(lo);
  }
  bounds.push(nrows);
  return bounds;
}

/** The row split for a call of this much work, or null to run it on the calling thread alone. */
export function planRows(indptr: Int32Array, nrows: number, work: number): number[] | null {
  const threads = graphThreads();
  if (threads <= 1 || work < minimumWork || nrows < 2 || !fs.existsSync(WORKER_SCRIPT)) return null;
  return splitRows(indptr, nrows, Math.min(threads, nrows));
}

const WORKER_SCRIPT = path.join(__dirname, 'graph-worker.js');

/** The shared memory, its allocator, the resident structures and the workers (one per process). */
class SharedGraphMemory {
  readonly memory = new WebAssembly.Memory({ initial: 32, maximum: 65536, shared: true });
  readonly heap = new WasmHeap(this.memory, 1 << 20);
  private readonly resident = new Map<HostArray, number>();
  private readonly workers: KernelThread<GraphRequest>[] = [];

  /** Pointer to the shared copy of a constant host array (made on first use, kept until `release`). */
  constant(a: HostArray): number {
    let p = this.resident.get(a);
    if (p === undefined) {
      p = this.heap.alloc(Math.max(a.byteLength, 4));
      new Uint8Array(this.memory.buffer, p, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      this.resident.set(a, p);
    }
    return p;
  }

  release(arrays: HostArray[]): void {
    for (const a of arrays) {
      const p = this.resident.get(a);
      if (p === undefined) continue;
      this.resident.delete(a);
      this.heap.release(p);
    }
  }

  threads(n: number): KernelThread<GraphRequest>[] {
    while (this.workers.length < n) this.workers.push(new KernelThread<GraphRequest>(WORKER_SCRIPT, 'graph kernel worker', { memory: this.memory }));
    return this.workers.slice(0, n);
  }
}

let shared: SharedGraphMemory | undefined;

/** Frees the shared copies of these arrays (SparseMatrix.dispose). */
export function releaseSharedConstants(arrays: HostArray[]): void {
  shared?.release(arrays);
}

/** Bytes of the shared memory in use (resident structures; scratch is freed after each call). */
export function sharedGraphBytes(): number {
  return shared ? shared.heap.inUse() : 0;
}

/**
 * One split call: pointers into the shared memory for the workers, scratch freed by `finish`.
 * Views must be taken after the last `alloc` (growing the memory replaces its buffer).
 */
export class SplitCall {
  private readonly s = (shared ??= new SharedGraphMemory());
  private readonly scratch: number[] = [];

  constructor(readonly bounds: number[]) {}

  /** Pointer to the shared copy of a constant array (a graph structure). */
  constant(a: HostArray): number { return this.s.constant(a); }

  /** Scratch for `floats` float32 values. */
  alloc(floats: number): number {
    const p = this.s.heap.alloc(Math.max(floats, 1) * 4);
    this.scratch.push(p);
    return p;
  }

  /** Scratch holding a copy of `values` (from index `from` on; the rest is left unwritten). */
  copyIn(values: Float32Array, from = 0): number {
    const p = this.alloc(values.length);
    this.f32(p, values.length).set(values.subarray(from), from);
    return p;
  }

  f32(ptr: number, length: number): Float32Array { return new Float32Array(this.s.memory.buffer, ptr, length); }

  /**
   * Runs thread t's rows bounds[t] .. bounds[t + 1]: posts `worker(lo, hi)` to each worker with
   * rows, runs `caller(lo, hi)` for thread 0 here, and waits for all of them.
   */
  run(worker: (lo: number, hi: number) => GraphRequest, caller: (lo: number, hi: number) => void): void {
    const b = this.bounds;
    const busy = this.s.threads(b.length - 2).filter((w, i) => {
      if (b[i + 2] <= b[i + 1]) return false;
      w.post(worker(b[i + 1], b[i + 2]));
      return true;
    });
    let error: unknown;
    try {
      if (b[1] > b[0]) caller(b[0], b[1]);
    } catch (e) { error = e; }
    for (const w of busy) {
      try { w.wait(); } catch (e) { error ??= e; }
    }
    if (error) throw error;
  }

  finish(): void {
    for (const p of this.scratch.splice(0).reverse()) this.s.heap.release(p);
  }
}

/** Runs `f` with a SplitCall over these row bounds, freeing its scratch afterwards. */
export function withSplitCall<T>(bounds: number[], f: (call: SplitCall) => T): T {
  const call = new SplitCall(bounds);
  try { return f(call); } finally { call.finish(); }
}
