import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { checkRankingInput, numItemsOf, RankingInput, TopKLists } from './ranking-input';
import { CHUNK_USERS, chunkEnds, ProgressFn, rankTopK } from './topk';
import { gatherChunk } from './topk-kernel';
import type { FromWorker, ToWorker } from './topk-worker';

/** Worker threads the ranking uses when not told: one per available core. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(16, os.availableParallelism()));
}

/**
 * Top-k by full ranking, users spread over `threads` worker threads in chunks handed out as
 * workers free up. Each worker has its own kernel instance and a copy of the item matrix (the
 * kernels are built without shared-memory support, and the copy costs milliseconds). Results are
 * identical to rankTopK: every user is ranked by the same kernel whichever thread runs it.
 * Falls back to the calling thread for threads <= 1, small jobs, or when the compiled worker
 * script is absent (running from .ts sources).
 */
export async function rankTopKParallel(
  input: RankingInput, users: Int32Array, k: number,
  options: { threads?: number; onProgress?: ProgressFn } = {},
): Promise<TopKLists> {
  const threads = Math.min(options.threads ?? defaultThreads(), Math.ceil(users.length / CHUNK_USERS));
  if (threads <= 1 || !fs.existsSync(WORKER_SCRIPT)) return rankTopK(input, users, k, options.onProgress);
  checkRankingInput(input, users, k);
  return exclusive(() => runJob(input, users, k, threads, options.onProgress));
}

const WORKER_SCRIPT = path.join(__dirname, 'topk-worker.js');
const pool: Worker[] = [];
let jobCounter = 0;
let queue: Promise<unknown> = Promise.resolve();

/** Jobs share the pool, so they run one after another. */
function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => undefined);
  return run;
}

function workers(n: number): Worker[] {
  while (pool.length < n) pool.push(new Worker(WORKER_SCRIPT));
  return pool.slice(0, n);
}

/** After a failure the workers' state is unknown: drop them all, later jobs start fresh ones. */
function resetPool(): void {
  for (const w of pool.splice(0)) void w.terminate();
}

async function runJob(input: RankingInput, users: Int32Array, k: number, threads: number, onProgress?: ProgressFn): Promise<TopKLists> {
  const job = ++jobCounter;
  const total = users.length;
  const items = new Int32Array(total * k);
  const scores = new Float32Array(total * k);
  const ws = workers(threads);
  const cleanups: (() => void)[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const ends = chunkEnds(total);
      let next = 0;
      let done = 0;
      const send = (w: Worker) => {
        if (next >= ends.length) return;
        const start = next === 0 ? 0 : ends[next - 1];
        const chunk = gatherChunk(input, users, start, ends[next++]);
        const msg: ToWorker = { type: 'chunk', job, start, k, chunk };
        w.postMessage(msg, [chunk.rows.buffer as ArrayBuffer, chunk.exclPtr.buffer as ArrayBuffer, chunk.exclItems.buffer as ArrayBuffer]);
      };
      for (const w of ws) {
        const onMessage = (msg: FromWorker) => {
          if (msg.job !== job) return;
          if (msg.type === 'error') { reject(new Error(`ranking worker failed: ${msg.message}`)); return; }
          items.set(msg.items, msg.start * k);
          scores.set(msg.scores, msg.start * k);
          done += msg.count;
          onProgress?.(done, total);
          if (done === total) resolve(); else send(w);
        };
        const onError = (err: Error) => reject(err);
        const onExit = (code: number) => reject(new Error(`ranking worker exited with code ${code}`));
        w.on('message', onMessage);
        w.on('error', onError);
        w.on('exit', onExit);
        w.ref();
        cleanups.push(() => { w.off('message', onMessage); w.off('error', onError); w.off('exit', onExit); w.unref(); });
        const itemEmb = input.itemEmb.slice(); // a view may sit on a larger buffer: send only the matrix
        const begin: ToWorker = { type: 'begin', job, itemEmb, numItems: numItemsOf(input), dim: input.dim };
        w.postMessage(begin, [itemEmb.buffer]);
        // Two chunks in flight per worker, so none waits on the main thread between chunks.
        send(w);
        send(w);
      }
    });
    for (const w of ws) w.postMessage({ type: 'end', job } satisfies ToWorker);
  } catch (e) {
    resetPool();
    throw e;
  } finally {
    for (const c of cleanups) c();
  }
  return { k, users: users.slice(), items, scores };
}
