/**
 * Worker-thread side of rankTopKParallel: holds one packed item matrix (its own kernel
 * instance and memory) and ranks the user chunks it is sent.
 */
import { parentPort } from 'worker_threads';
import { KernelRanker, UserChunk } from './topk-kernel';

export type ToWorker =
  | { type: 'begin'; job: number; itemEmb: Float32Array; numItems: number; dim: number }
  | { type: 'chunk'; job: number; start: number; k: number; chunk: UserChunk }
  | { type: 'end'; job: number };

export type FromWorker =
  | { type: 'result'; job: number; start: number; count: number; items: Int32Array; scores: Float32Array }
  | { type: 'error'; job: number; message: string };

if (parentPort) {
  const port = parentPort;
  let ranker: KernelRanker | undefined;
  port.on('message', (msg: ToWorker) => {
    try {
      if (msg.type === 'begin') {
        ranker?.dispose();
        ranker = new KernelRanker(msg.itemEmb, msg.numItems, msg.dim);
      } else if (msg.type === 'chunk') {
        if (!ranker) throw new Error('chunk before begin');
        const out = ranker.rank(msg.chunk, msg.k);
        const reply: FromWorker = { type: 'result', job: msg.job, start: msg.start, count: msg.chunk.count, ...out };
        port.postMessage(reply, [out.items.buffer as ArrayBuffer, out.scores.buffer as ArrayBuffer]);
      } else {
        ranker?.dispose();
        ranker = undefined;
      }
    } catch (e) {
      const reply: FromWorker = { type: 'error', job: msg.job, message: (e as Error).stack ?? String(e) };
      port.postMessage(reply);
    }
  });
}
