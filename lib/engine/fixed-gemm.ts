import * as fs from 'fs';
import * as path from 'path';
import { CkdError } from '../errors';
import { GemmRequest, GemmStore } from './gemm-store';
import { coresUpToTwo, KernelThread, threadsFromEnv, validThreads } from './kernel-thread';

/**
 * Products of a fixed matrix F (rows x cols, e.g. 7,050 items x 4,096 visual features) with a
 * narrow matrix, on several threads: the forward product F[rows] W and the weight gradient
 * F[rows]^T G of a linear layer over fixed features (lib/engine/fixed-linear.ts).
 *
 * Every thread (the calling one and `threads - 1` workers) holds a copy of F and one slice of
 * the columns of F^T. A forward product splits its output rows over the threads, a weight
 * gradient its output rows (F's columns); each output element is computed whole by one thread,
 * as one float32 sum in the order tfjs's matMul uses, so results are the same bits for any
 * number of threads, and the same as tf.matMul(F[rows], W) and tf.matMul(F[rows]^T, G).
 * The calling thread blocks (Atomics.wait) until its workers are done: callers stay synchronous.
 */

/** Threads FixedGemm uses when not told: CKD_GEMM_THREADS, or min(2, cores). */
export function defaultGemmThreads(): number {
  return threadsFromEnv('CKD_GEMM_THREADS', coresUpToTwo);
}

let threadSetting: number | undefined;
/** Threads for FixedGemm instances created from now on (undefined: the default). */
export function setGemmThreads(n: number | undefined): void {
  if (n !== undefined && !validThreads(n)) throw new CkdError(`gemm threads must be an integer from 1 to 16 (got ${n})`);
  threadSetting = n;
}

const WORKER_SCRIPT = path.join(__dirname, 'gemm-worker.js');
type GemmThread = KernelThread<GemmRequest>;

let flopCount = 0;
/** FLOPs of every FixedGemm product so far in this process (2 k D d each); the bench's check reads it. */
export function fixedGemmFlops(): number { return flopCount; }

let mainStore: GemmStore | undefined;
const pool: GemmThread[] = [];
let nextId = 1;

function threadPool(n: number): GemmThread[] {
  while (pool.length < n) pool.push(new KernelThread<GemmRequest>(WORKER_SCRIPT, 'fixed-feature product worker'));
  return pool.slice(0, n);
}

/**
 * Operands and results shared with the workers, reused from call to call (growing when needed):
 * per-call ArrayBuffers of megabytes kept V8's garbage collector busy on the second core.
 */
class Exchange {
  input = new Float32Array(new SharedArrayBuffer(0));
  output = new Float32Array(new SharedArrayBuffer(0));
  rows = new Int32Array(new SharedArrayBuffer(0));

  ensure(input: number, output: number, rows: number): void {
    if (this.input.length < input) this.input = new Float32Array(new SharedArrayBuffer(input * 4));
    if (this.output.length < output) this.output = new Float32Array(new SharedArrayBuffer(output * 4));
    if (this.rows.length < rows) this.rows = new Int32Array(new SharedArrayBuffer(rows * 4));
  }
}

/** [floor(t n / T), floor((t + 1) n / T)) for t < T. */
function split(n: number, parts: number): number[] {
  return Array.from({ length: parts + 1 }, (_, t) => Math.floor((t * n) / parts));
}

export class FixedGemm {
  readonly threads: number;
  private readonly id = nextId++;
  private readonly workers: GemmThread[];
  private readonly store: GemmStore;
  /** Column slices of F^T: thread t holds [kSplit[t], kSplit[t + 1]). */
  private readonly kSplit: number[];
  private readonly exchange = new Exchange();
  private disposed = false;

  /** F is copied (row-major, rows x cols); `threads` defaults to setGemmThreads / defaultGemmThreads. */
  constructor(data: Float32Array, readonly rows: number, readonly cols: number, threads?: number) {
    if (data.length !== rows * cols) throw new CkdError(`FixedGemm: ${data.length} values for a ${rows} x ${cols} matrix`);
    let t = threads ?? threadSetting ?? defaultGemmThreads();
    if (!fs.existsSync(WORKER_SCRIPT)) t = 1; // running from .ts sources: no compiled worker
    this.threads = t;
    this.kSplit = split(cols, t);
    this.store = mainStore ??= new GemmStore();
    this.workers = threadPool(t - 1);
    try {
      this.everywhere(k => ({ op: 'load', id: this.id, data, rows, cols, kLo: this.kSplit[k], kHi: this.kSplit[k + 1] }));
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /**
   * F[rows] W (F W when rows is omitted): W is cols x d, row-major; the result k x d. With
   * `reuse` the result is a view of a buffer the next call overwrites (copy it first).
   */
  forward(w: Float32Array, d: number, rows?: Int32Array, reuse = false): Float32Array {
    this.check(d, w.length, this.cols, 'W', rows);
    const k = rows ? rows.length : this.rows;
    const ex = this.operands(w, this.cols * d, k * d, rows);
    const idx = rows ? ex.rows.subarray(0, k) : null;
    const at = split(k, this.threads);
    this.everywhere(t => ({ op: 'forward', id: this.id, w: ex.input.subarray(0, w.length), d, idx, lo: at[t], hi: at[t + 1], into: ex.output.subarray(at[t] * d, at[t + 1] * d) }));
    flopCount += 2 * k * this.cols * d;
    const out = ex.output.subarray(0, k * d);
    return reuse ? out : out.slice();
  }

  /** F[rows]^T G (F^T G when rows is omitted): G is k x d, row-major; the result cols x d (`reuse` as for forward). */
  weightGrad(g: Float32Array, d: number, rows?: Int32Array, reuse = false): Float32Array {
    const k = rows ? rows.length : this.rows;
    this.check(d, g.length, k, 'G', rows);
    const ex = this.operands(g, k * d, this.cols * d, rows);
    const idx = rows ? ex.rows.subarray(0, k) : null;
    this.everywhere(t => ({ op: 'weightGrad', id: this.id, g: ex.input.subarray(0, g.length), d, idx, into: ex.output.subarray(this.kSplit[t] * d, this.kSplit[t + 1] * d) }));
    flopCount += 2 * k * this.cols * d;
    const out = ex.output.subarray(0, this.cols * d);
    return reuse ? out : out.slice();
  }

  /** The exchange buffers, large enough, holding the operand and the row indices. */
  private operands(x: Float32Array, inputLength: number, outputLength: number, rows?: Int32Array): Exchange {
    const ex = this.exchange;
    ex.ensure(inputLength, outputLength, rows ? rows.length : 0);
    ex.input.set(x);
    if (rows) ex.rows.set(rows);
    return ex;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.store.free(this.id);
    for (const w of this.workers) w.send({ op: 'free', id: this.id });
  }

  /** Posts thread t's request to each worker, runs thread 0's here, then waits for them all. */
  private everywhere(request: (t: number) => GemmRequest): void {
    this.workers.forEach((w, i) => w.post(request(i + 1)));
    let error: unknown;
    try {
      this.store.run(request(0));
    } catch (e) { error = e; }
    for (const w of this.workers) {
      try { w.wait(); } catch (e) { error ??= e; }
    }
    if (error) throw error;
  }

  private check(d: number, length: number, rowsOfOperand: number, name: string, rows?: Int32Array): void {
    if (this.disposed) throw new CkdError('FixedGemm used after dispose()');
    if (!(Number.isInteger(d) && d > 0 && d % 4 === 0)) throw new CkdError(`FixedGemm: width ${d} must be a positive multiple of 4`);
    if (length !== rowsOfOperand * d) throw new CkdError(`FixedGemm: ${name} has ${length} values, expected ${rowsOfOperand} x ${d}`);
    if (rows) {
      let bad = 0;
      for (let i = 0; i < rows.length; i++) bad += (rows[i] >>> 0) >= this.rows ? 1 : 0;
      if (bad > 0) throw new CkdError(`row index out of range [0, ${this.rows}) in ${bad} of ${rows.length} entries`);
    }
  }
}
