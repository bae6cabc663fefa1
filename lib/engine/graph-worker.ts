/**
 * Worker-thread side of the split graph kernels (lib/engine/graph-threads.ts): graph-shared.wasm
 * (kernels/graph.c built for a shared memory) instantiated over the memory the calling thread
 * shares, running one kernel per request on pointers into that memory (kernel-thread.ts protocol).
 * If the kernels cannot be set up, every request is answered with the reason.
 */
import * as fs from 'fs';
import { workerData } from 'worker_threads';
import { KernelThreadSetup, serveKernelRequests } from './kernel-thread';
import { resolveWasmFile } from './wasm-module';

/** Run export `fn` of graph.c on these arguments (pointers into the shared memory, sizes). */
export interface GraphRequest { fn: 'spmm' | 'sddmm' | 'segment_softmax' | 'segment_softmax_grad'; args: number[] }

interface Setup extends KernelThreadSetup { memory: WebAssembly.Memory }
type Kernels = Record<string, (...args: number[]) => number>;

if (workerData && (workerData as Setup).port) {
  const setup = workerData as Setup;
  let kernels: Kernels | undefined;
  let failure = '';
  try {
    const module = new WebAssembly.Module(fs.readFileSync(resolveWasmFile('graph-shared')));
    kernels = new WebAssembly.Instance(module, { env: { memory: setup.memory } }).exports as Kernels;
  } catch (e) {
    failure = `cannot set up graph-shared.wasm: ${(e as Error).message}`;
  }
  serveKernelRequests<GraphRequest>(setup, req => {
    if (!kernels) throw new Error(failure);
    const f = kernels[req.fn];
    if (typeof f !== 'function') throw new Error(`graph-shared.wasm has no kernel '${req.fn}'`);
    f(...req.args);
  }, () => false);
}
