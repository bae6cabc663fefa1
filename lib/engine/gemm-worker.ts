/**
 * Worker-thread side of FixedGemm (lib/engine/fixed-gemm.ts): a GemmStore that answers requests
 * on its port (kernel-thread.ts). Operands and results travel in SharedArrayBuffers named in the
 * request. 'free' is fire-and-forget: no reply, no flag.
 */
import { workerData } from 'worker_threads';
import { GemmRequest, GemmStore } from './gemm-store';
import { KernelThreadSetup, serveKernelRequests } from './kernel-thread';

if (workerData && (workerData as KernelThreadSetup).port) {
  const store = new GemmStore();
  serveKernelRequests<GemmRequest>(workerData as KernelThreadSetup, req => store.run(req), req => req.op === 'free');
}
