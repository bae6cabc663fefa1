import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MessageChannel, MessagePort, Worker, receiveMessageOnPort } from 'worker_threads';
import { CkdError } from '../errors';
import { GemmRequest, GemmStore } from './gemm-store';
import type { GemmReply } from './gemm-worker';

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
  const env = process.env.CKD_GEMM_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1 || n > 16) throw new CkdError(`CKD_GEMM_THREADS must be an integer from 1 to 16 (got '${env}')`);
    return n;
  }
  return Math.max(1, Math.min(2, os.availableParallelism()));
}

let threadSetting: number | undefined;
/** Threads for FixedGemm instances created from now on (undefined: the default). */
export function setGemmThreads(n: number | undefined): void {
  if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= 16)) throw new CkdError(`gemm threads must be an integer from 1 to 16 (got ${n})`);
  threadSetting = n;
}

const WORKER_SCRIPT = path.join(__dirname, 'gemm-worker.js');
/** A worker that has not answered in this long is taken for dead. */
const REPLY_TIMEOUT_MS = 10 * 60 * 1000;

class GemmThread {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private dead: string | null = null;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SCRIPT, { workerData: { port: port2, flag: this.flag }, transferList: [port2] });
    this.worker.on('error', e => { this.dead = e.message; });
    this.worker.on('exit', code => { this.dead ??= `exited with code ${code}`; });
    this.worker.unref();
  }

  /** Sends a request; `wait` collects its reply. */
  post(req: GemmRequest): void {
    if (this.dead) throw new CkdError(`fixed-feature product worker failed: ${this.dead}`);
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage(req);
  }

  send(req: GemmRequest): void { this.port.postMessage(req); }

  wait(): Float32Array | null {
    const start = Date.now();
    while (Atomics.load(this.flag, 0) === 0) {
      Atomics.wait(this.flag, 0, 0, 1000);
      if (Date.now() - start > REPLY_TIMEOUT_MS) throw new CkdError('fixed-feature product worker did not answer in 10 minutes');
    }
    let got = receiveMessageOnPort(this.port);
    for (let spin = 0; !got && spin < 1000; spin++) {
      Atomics.wait(this.flag, 0, 1, 1);
      got = receiveMessageOnPort(this.port);
    }
    if (!got) throw new CkdError('fixed-feature product worker raised its flag without a reply');
    const reply = got.message as GemmReply;
    if (!reply.ok) throw new CkdError(`fixed-feature product worker: ${reply.error}`);
    return reply.result;
  }
}

let flopCount = 0;
/** FLOPs of every FixedGemm product so far in this process (2 k D d each); the bench's check reads it. */
export function fixedGemmFlops(): number { return flopCount; }

let mainStore: GemmStore | undefined;
const pool: GemmThread[] = [];
let nextId = 1;

function threadPool(n: number): GemmThread[] {
  while (pool.length < n) pool.push(new GemmThread());
  return pool.slice(0, n);
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
    this.workers.forEach((w, i) => w.post({ op: 'load', id: this.id, data, rows, cols, kLo: this.kSplit[i + 1], kHi: this.kSplit[i + 2] }));
    let error: unknown;
    try {
      this.store.load(this.id, data, rows, cols, this.kSplit[0], this.kSplit[1]);
    } catch (e) { error = e; }
    for (const w of this.workers) {
      try { w.wait(); } catch (e) { error ??= e; }
    }
    if (error) { this.dispose(); throw error; }
  }

  /** F[rows] W (F W when rows is omitted): W is cols x d, row-major; the result k x d. */
  forward(w: Float32Array, d: number, rows?: Int32Array): Float32Array {
    this.check(d, w.length, this.cols, 'W', rows);
    const k = rows ? rows.length : this.rows;
    const idx = rows ?? null;
    const at = split(k, this.threads);
    const blocks = this.everywhere(t => ({ op: 'forward', id: this.id, w, d, idx, lo: at[t], hi: at[t + 1] }));
    flopCount += 2 * k * this.cols * d;
    const out = new Float32Array(k * d);
    blocks.forEach((b, t) => out.set(b, at[t] * d));
    return out;
  }

  /** F[rows]^T G (F^T G when rows is omitted): G is k x d, row-major; the result cols x d. */
  weightGrad(g: Float32Array, d: number, rows?: Int32Array): Float32Array {
    this.check(d, g.length, rows ? rows.length : this.rows, 'G', rows);
    const idx = rows ?? null;
    const blocks = this.everywhere(() => ({ op: 'weightGrad', id: this.id, g, d, idx }));
    flopCount += 2 * (rows ? rows.length : this.rows) * this.cols * d;
    const out = new Float32Array(this.cols * d);
    blocks.forEach((b, t) => out.set(b, this.kSplit[t] * d));
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.store.free(this.id);
    for (const w of this.workers) w.send({ op: 'free', id: this.id });
  }

  /** Posts thread t's request to each worker, runs thread 0's here, then collects in order. */
  private everywhere(request: (t: number) => GemmRequest): Float32Array[] {
    this.workers.forEach((w, i) => w.post(request(i + 1)));
    let error: unknown;
    let mine: Float32Array | undefined;
    try {
      mine = this.store.run(request(0));
    } catch (e) { error = e; }
    const theirs = this.workers.map(w => {
      try { return w.wait(); } catch (e) { error ??= e; return null; }
    });
    if (error) throw error;
    return [mine!, ...theirs.map(r => r ?? new Float32Array(0))];
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
