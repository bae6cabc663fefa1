/**
 * Worker-thread side of the split graph kernels (lib/engine/graph-threads.ts): graph-shared.wasm
 * (kernels/graph.c built for a shared memory) instantiated over the memory the calling thread
 * shares. A request names a kernel and its arguments (pointers into that memory, affine in the
 * first row); the worker takes chunks of rows from the shared counter and runs the kernel on each
 * until none is left, noting each chunk as its own (kernel-thread.ts protocol). If the kernels
 * cannot be set up, every request is answered with the reason.
 */
import * as fs from 'fs';
import { workerData } from 'worker_threads';
import { CONTROL, RowKernel, rowArgs } from './graph-threads';
import { KernelThreadSetup, serveKernelRequests } from './kernel-thread';
import { resolveWasmFile } from './wasm-module';

export type GraphKernelName = 'spmm' | 'sddmm' | 'segment_softmax' | 'segment_softmax_grad';

/** Take chunks 0..chunks of the control block at `control` and run `kernel` on them, as thread `id`. */
export interface GraphRequest { kernel: RowKernel; control: number; chunks: number; id: number }

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
    const f = kernels[req.kernel.fn];
    if (typeof f !== 'function') throw new Error(`graph-shared.wasm has no kernel '${req.kernel.fn}'`);
    const ctl = new Int32Array(setup.memory.buffer, req.control, CONTROL.slots);
    for (let c = Atomics.add(ctl, CONTROL.next, 1); c < req.chunks; c = Atomics.add(ctl, CONTROL.next, 1)) {
      f(...rowArgs(req.kernel, ctl[CONTROL.bounds + c], ctl[CONTROL.bounds + c + 1]));
      ctl[CONTROL.owner + c] = req.id;
    }
  }, () => false);
}
