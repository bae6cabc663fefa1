/**
 * Worker-thread side of FixedGemm (lib/engine/fixed-gemm.ts): a GemmStore that answers requests
 * on its port. Operands and results travel in SharedArrayBuffers named in the request. The main
 * thread blocks on `flag` (Atomics) and reads the reply synchronously, so a reply is posted
 * before the flag is raised. 'free' is fire-and-forget: no reply, no flag.
 */
import { MessagePort, workerData } from 'worker_threads';
import { GemmRequest, GemmStore } from './gemm-store';

export type GemmReply = { ok: true } | { ok: false; error: string };

interface Setup { port: MessagePort; flag: Int32Array }

if (workerData && (workerData as Setup).port) {
  const { port, flag } = workerData as Setup;
  const store = new GemmStore();
  port.on('message', (req: GemmRequest) => {
    let reply: GemmReply;
    try {
      store.run(req);
      reply = { ok: true };
    } catch (e) {
      reply = { ok: false, error: (e as Error).message };
    }
    if (req.op === 'free') return;
    port.postMessage(reply);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
}
