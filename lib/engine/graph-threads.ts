import * as fs from 'fs';
import * as path from 'path';
import { CkdError } from '../errors';
import { coresUpToTwo, KernelThread, threadsFromEnv, validThreads } from './kernel-thread';
import type { GraphKernelName, GraphRequest } from './graph-worker';
import { HostArray, ResidentCopies } from './resident-copies';
import { WasmHeap } from './wasm-heap';

/**
 * The graph kernels (graph-kernels.ts) on several threads. Their outputs are rows (or the edges
 * of rows) of a CSR structure: Y = A X writes row r from row r's edges, SDDMM and the segment
 * softmax write the edges of row r. The rows are cut into contiguous chunks of about equal edges;
 * the threads take chunks one at a time from a shared counter until none is left (so a thread
 * that runs faster, or starts earlier, takes more), and every output element is computed whole
 * by one thread by the same kernel code (kernels/graph.c) in the same order as on one thread:
 * results are the same bits for any number of threads and whoever takes which chunk.
 *
 * tfjs's wasm heap, where tensors live, cannot be shared with other threads. The workers
 * therefore run graph-shared.wasm (graph.c built for a shared memory) over one shared
 * WebAssembly.Memory: the calling thread keeps a copy of each graph structure there (made once),
 * copies a call's dense inputs in, computes its chunks itself in place on the tfjs heap, and
 * copies the workers' chunks of the result back. It blocks (Atomics.wait) until they are done,
 * so callers stay synchronous.
 *
 * Small calls stay on the calling thread: below `minimumWork` multiply-adds the copies and the
 * hand-over cost more than the second core gains (the split does not change results either way).
 * Threads: CKD_GRAPH_THREADS, else CKD_GEMM_THREADS (so `ckd reproduce --jobs N` shares the cores
 * the same way), else min(2, cores).
 */

/** Threads the graph kernels use when not told: CKD_GRAPH_THREADS, else CKD_GEMM_THREADS, else min(2, cores). */
export function defaultGraphThreads(): number {
  return threadsFromEnv('CKD_GRAPH_THREADS', () => threadsFromEnv('CKD_GEMM_THREADS', coresUpToTwo));
}

/**
 * Work (edges x columns of Y = A X; graph-kernels.ts weighs the other kernels) below which a call
 * stays on one thread. Measured on the 2-core machine of docs/speed.md: Y = A X over the
 * baby-scale training graph (240k edges x 64 columns, 15M) ran no faster on two threads (the
 * copies to and from the workers cost what the second core gains), over twice as many edges it
 * did; SDDMM and the segment softmax gain from there down.
 */
export const DEFAULT_MINIMUM_WORK = 1 << 24;

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

let callerTakesChunks = true;
/**
 * Whether the calling thread takes chunks too (the default) or leaves them all to the workers
 * (tests: it makes the workers' share certain; results are the same bits either way).
 */
export function setGraphCallerTakesChunks(on: boolean | undefined): void {
  callerTakesChunks = on ?? true;
}

/** The thread count in force (the setting, else the default, read once from the environment). */
export function graphThreads(): number {
  if (threadSetting !== undefined) return threadSetting;
  defaultThreads ??= defaultGraphThreads();
  return defaultThreads;
}

/** Chunks per thread: enough for a thread that runs slower to fall behind by a small share only. */
const CHUNKS_PER_THREAD = 8;
/** At most this many chunks (the size of the control block). */
export const MAX_CHUNKS = 256;

/**
 * Row bounds [0, b_1, ..., nrows] cutting rows 0..nrows of a CSR structure into `parts`
 * contiguous ranges (part t is rows b_t .. b_{t+1}) of about equal edges plus rows. Ranges may
 * be empty.
 */
export function splitRows(indptr: Int32Array, nrows: number, parts: number): number[] {
  const cost = (r: number) => indptr[r] + r;
  const total = cost(nrows);
  const bounds = [0];
  for (let t = 1; t < parts; t++) {
    const target = (total * t) / parts;
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

/** How a call is split: chunk bounds of its rows, and the threads that share them. */
export interface RowPlan { bounds: number[]; threads: number }

/** The split for a call of this much work, or null to run it on the calling thread alone. */
export function planRows(indptr: Int32Array, nrows: number, work: number): RowPlan | null {
  const threads = graphThreads();
  if (threads <= 1 || work < minimumWork || nrows < 2 || !fs.existsSync(WORKER_SCRIPT)) return null;
  return { bounds: splitRows(indptr, nrows, Math.min(MAX_CHUNKS, CHUNKS_PER_THREAD * threads, nrows)), threads };
}

/**
 * A kernel of graph.c over rows lo..hi, its arguments affine in lo: argument i is
 * base[i] + stride[i] * lo, except argument `countAt`, which is hi - lo (the kernels' nrows).
 */
export interface RowKernel { fn: GraphKernelName; base: number[]; stride: number[]; countAt: number }

export function rowArgs(k: RowKernel, lo: number, hi: number): number[] {
  return k.base.map((b, i) => (i === k.countAt ? hi - lo : b + k.stride[i] * lo));
}

/*
 * The control block in the shared memory (int32 slots): the next chunk to take, the thread that
 * took each chunk, and the chunk bounds.
 */
export const CONTROL = { next: 0, owner: 1, bounds: 1 + MAX_CHUNKS, slots: 2 + 2 * MAX_CHUNKS } as const;

const WORKER_SCRIPT = path.join(__dirname, 'graph-worker.js');

/** The shared memory, its allocator, the control block, the resident structures and the workers (one per process). */
class SharedGraphMemory {
  readonly memory = new WebAssembly.Memory({ initial: 32, maximum: 65536, shared: true });
  readonly heap = new WasmHeap(this.memory, 1 << 20);
  /** First in the heap, never moved or freed. */
  readonly control = this.heap.alloc(4 * CONTROL.slots);
  private readonly resident = new ResidentCopies(a => {
    const p = this.heap.alloc(Math.max(a.byteLength, 4));
    new Uint8Array(this.memory.buffer, p, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    return p;
  }, p => this.heap.release(p));
  private readonly workers: KernelThread<GraphRequest>[] = [];

  /** Pointer to the shared copy of a constant host array (made on first use, kept until `release`). */
  constant(a: HostArray): number {
    return this.resident.pointer(a);
  }

  release(arrays: HostArray[]): void {
    this.resident.release(arrays);
  }

  threads(n: number): KernelThread<GraphRequest>[] {
    while (this.workers.length < n) this.workers.push(new KernelThread<GraphRequest>(WORKER_SCRIPT, 'graph kernel worker', { memory: this.memory }));
    return this.workers.slice(0, n);
  }
}

let shared: SharedGraphMemory | undefined;

/** Split calls so far in this process, their chunks, and the chunks the workers took. */
const stats = { calls: 0, chunks: 0, workerChunks: 0 };
export function splitStats(): Readonly<typeof stats> { return { ...stats }; }

/** Frees the shared copies of these arrays (SparseMatrix.dispose). */
export function releaseSharedConstants(arrays: HostArray[]): void {
  shared?.release(arrays);
}

/** Bytes of the shared memory in use (resident structures; scratch is freed after each call). */
export function sharedGraphBytes(): number {
  return shared ? shared.heap.inUse() - 4 * CONTROL.slots : 0;
}

/**
 * One split call: pointers into the shared memory for the workers, scratch freed by `finish`.
 * Views must be taken after the last `alloc` (growing the memory replaces its buffer).
 */
export class SplitCall {
  private readonly s = (shared ??= new SharedGraphMemory());
  private readonly scratch: number[] = [];

  constructor(readonly plan: RowPlan) {}

  /** Pointer to the shared copy of a constant array (a graph structure). */
  constant(a: HostArray): number { return this.s.constant(a); }

  /** Scratch for `floats` float32 values. */
  alloc(floats: number): number {
    const p = this.s.heap.alloc(Math.max(floats, 1) * 4);
    this.scratch.push(p);
    return p;
  }

  /** Scratch holding a copy of `values`. */
  copyIn(values: Float32Array): number {
    const p = this.alloc(values.length);
    this.f32(p, values.length).set(values);
    return p;
  }

  f32(ptr: number, length: number): Float32Array { return new Float32Array(this.s.memory.buffer, ptr, length); }

  /**
   * Runs `shared` (pointers into the shared memory) on the workers and `here(lo, hi)` on this
   * thread over the plan's chunks, each chunk taken by whichever thread comes first, and waits
   * for all of them. Returns the row ranges [lo, hi) the workers computed (adjacent ones merged).
   */
  run(shared: RowKernel, here: (lo: number, hi: number) => void): [number, number][] {
    const { bounds, threads } = this.plan;
    const chunks = bounds.length - 1;
    const ctl = new Int32Array(this.s.memory.buffer, this.s.control, CONTROL.slots);
    ctl.set(bounds, CONTROL.bounds);
    Atomics.store(ctl, CONTROL.next, 0);
    // Every worker that got the request is waited for, whatever fails: none may still be
    // working when the next call rewrites the control block.
    const posted: KernelThread<GraphRequest>[] = [];
    let error: unknown;
    try {
      this.s.threads(threads - 1).forEach((w, i) => {
        w.post({ kernel: shared, control: this.s.control, chunks, id: i + 1 });
        posted.push(w);
      });
      for (let c = callerTakesChunks ? Atomics.add(ctl, CONTROL.next, 1) : chunks; c < chunks; c = Atomics.add(ctl, CONTROL.next, 1)) {
        here(bounds[c], bounds[c + 1]);
        ctl[CONTROL.owner + c] = 0;
      }
    } catch (e) { error = e; }
    for (const w of posted) {
      try { w.wait(); } catch (e) { error ??= e; }
    }
    if (error) throw error;
    const theirs: [number, number][] = [];
    stats.calls++;
    stats.chunks += chunks;
    for (let c = 0; c < chunks; c++) {
      if (ctl[CONTROL.owner + c] === 0) continue;
      stats.workerChunks++;
      if (bounds[c] === bounds[c + 1]) continue;
      const last = theirs[theirs.length - 1];
      if (last && last[1] === bounds[c]) last[1] = bounds[c + 1];
      else theirs.push([bounds[c], bounds[c + 1]]);
    }
    return theirs;
  }

  finish(): void {
    for (const p of this.scratch.splice(0).reverse()) this.s.heap.release(p);
  }
}

/** Runs `f` with a SplitCall for this plan, freeing its scratch afterwards. */
export function withSplitCall<T>(plan: RowPlan, f: (call: SplitCall) => T): T {
  const call = new SplitCall(plan);
  try { return f(call); } finally { call.finish(); }
}
