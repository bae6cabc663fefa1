import * as os from 'os';
import { MessageChannel, MessagePort, Worker, receiveMessageOnPort } from 'worker_threads';
import { CkdError } from '../errors';

/**
 * A worker thread that runs project kernels for a calling thread that stays synchronous: the
 * caller posts a request, does its own share of the work, then blocks (Atomics.wait on a shared
 * flag) until the worker has posted its reply and raised the flag. Used by the fixed-feature
 * products (fixed-gemm.ts, gemm-worker.ts) and the graph kernels (graph-threads.ts,
 * graph-worker.ts). `serveKernelRequests` is the worker's side of the protocol.
 */

export type KernelReply = { ok: true } | { ok: false; error: string };

/** What a worker script finds in workerData: its port and flag, plus the caller's extras. */
export interface KernelThreadSetup { port: MessagePort; flag: Int32Array }

/** A worker that has not answered in this long is taken for dead. */
const REPLY_TIMEOUT_MS = 10 * 60 * 1000;
/** Values of the shared flag: waiting for a reply, reply posted, worker thread exited. */
const WAITING = 0, REPLIED = 1, EXITED = 2;

export const validThreads = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 16;

/**
 * Threads from environment variable `name` (an integer from 1 to 16; anything else is a CkdError
 * naming the variable), or `fallback` when it is unset or empty.
 */
export function threadsFromEnv(name: string, fallback: () => number): number {
  const env = process.env[name];
  if (env !== undefined && env !== '') {
    if (!validThreads(Number(env))) throw new CkdError(`${name} must be an integer from 1 to 16 (got '${env}')`);
    return Number(env);
  }
  return fallback();
}

/** min(2, cores): the default thread count of the project's kernels. */
export const coresUpToTwo = (): number => Math.max(1, Math.min(2, os.availableParallelism()));

export class KernelThread<Request> {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private dead: string | null = null;

  /** `label` names the worker in errors ('fixed-feature product worker'); `extra` joins workerData. */
  constructor(script: string, private readonly label: string, extra: object = {}) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(script, { workerData: { ...extra, port: port2, flag: this.flag }, transferList: [port2] });
    this.worker.on('error', e => { this.dead = e.message; });
    this.worker.on('exit', code => { this.dead ??= `exited with code ${code}`; });
    this.worker.unref();
  }

  /** Sends a request; `wait` collects its reply. */
  post(req: Request): void {
    if (Atomics.load(this.flag, 0) === EXITED) this.dead ??= 'its thread exited';
    if (this.dead) throw new CkdError(`${this.label} failed: ${this.dead}`);
    Atomics.store(this.flag, 0, WAITING);
    this.port.postMessage(req);
  }

  /** Sends a request that gets no reply (the worker must not raise its flag for it). */
  send(req: Request): void { this.port.postMessage(req); }

  wait(): void {
    const start = Date.now();
    while (Atomics.load(this.flag, 0) === WAITING) {
      Atomics.wait(this.flag, 0, WAITING, 1000);
      if (Date.now() - start > REPLY_TIMEOUT_MS) throw new CkdError(`${this.label} did not answer in 10 minutes`);
    }
    // The 'error' and 'exit' events cannot arrive while this thread blocks: the worker says so itself.
    if (Atomics.load(this.flag, 0) === EXITED) {
      this.dead ??= 'its thread exited';
      throw new CkdError(`${this.label} failed: its thread exited`);
    }
    let got = receiveMessageOnPort(this.port);
    for (let spin = 0; !got && spin < 1000; spin++) {
      Atomics.wait(this.flag, 0, REPLIED, 1);
      got = receiveMessageOnPort(this.port);
    }
    if (!got) throw new CkdError(`${this.label} raised its flag without a reply`);
    const reply = got.message as KernelReply;
    if (!reply.ok) throw new CkdError(`${this.label}: ${reply.error}`);
  }
}

/**
 * The worker's side: runs each request that arrives on the port, posts the reply, then raises the
 * flag (in that order: the caller reads the reply as soon as it sees the flag). Requests for which
 * `noReply` is true are fire-and-forget. If the thread exits (an uncaught error), the flag says so.
 */
export function serveKernelRequests<Request>(setup: KernelThreadSetup, run: (req: Request) => void, noReply: (req: Request) => boolean): void {
  const { port, flag } = setup;
  process.on('exit', () => {
    Atomics.store(flag, 0, EXITED);
    Atomics.notify(flag, 0);
  });
  port.on('message', (req: Request) => {
    let reply: KernelReply;
    try {
      run(req);
      reply = { ok: true };
    } catch (e) {
      reply = { ok: false, error: (e as Error).message };
    }
    if (noReply(req)) return;
    port.postMessage(reply);
    Atomics.store(flag, 0, REPLIED);
    Atomics.notify(flag, 0);
  });
}
