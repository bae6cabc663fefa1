import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { kernelModule, resolveWasmFile, WasmModule } from './wasm-module';

/**
 * Where a project kernel (kernels/*.c) runs, and how tensors reach it.
 *
 * On the 'wasm' backend the kernel module is instantiated a second time over tfjs's own
 * WebAssembly memory, so kernels read their inputs and write their outputs in place: no copies.
 * Constant host arrays (a graph's structure) are copied into that heap once and stay there until
 * released. On the 'cpu' backend tensors live in JavaScript arrays: each call stages its inputs
 * into the module's own memory and copies the outputs back.
 */
export type KernelExports = Record<string, (...args: number[]) => number>;
import { HostArray, ResidentCopies } from './resident-copies';

/** One kernel invocation. Pointers stay valid until `finish`. */
export interface KernelCall {
  readonly exports: KernelExports;
  /** Pointer to a tensor's data (float32 or int32). */
  input(t: TensorInfo): number;
  /** Pointer to constant host data; on the wasm heap it stays resident until `releaseConstants`. */
  constant(a: HostArray): number;
  /** A new float32 or int32 tensor to be written by the kernel. */
  output(shape: number[], dtype: 'float32' | 'int32'): { info: TensorInfo; ptr: number };
  /** A view of `length` float32 values at a pointer of this call (valid until the next `output`). */
  f32(ptr: number, length: number): Float32Array;
  /** Completes the call (copies outputs where needed); on failure pass ok = false to drop outputs. */
  finish(ok: boolean): void;
}

/** The tfjs backends project kernels run on. */
export const PROJECT_KERNEL_BACKENDS = ['wasm', 'cpu'];

/** Whether the active tfjs backend runs project kernels (elsewhere callers use tfjs's own ops). */
export function projectKernelsActive(): boolean {
  return PROJECT_KERNEL_BACKENDS.includes(tf.getBackend());
}

/**
 * Registers tfjs kernel `name` on every project-kernel backend (where not registered yet), each
 * call running `f` as one call of kernels/MODULE.c.
 */
export function registerProjectKernel(
  name: string, module: string, f: (c: KernelCall, args: { inputs: NamedTensorInfoMap; attrs: NamedAttrMap }) => TensorInfo | TensorInfo[],
): void {
  for (const backendName of PROJECT_KERNEL_BACKENDS) {
    if (tf.getKernel(name, backendName)) continue;
    tf.registerKernel({
      kernelName: name,
      backendName,
      kernelFunc: ({ inputs, attrs, backend }) => withKernelCall(module, backend, c => f(c, { inputs, attrs: attrs ?? {} })),
    });
  }
}

/** Runs `f` as one kernel call on `backend` and returns what it returns. */
export function withKernelCall<T>(module: string, backend: object, f: (c: KernelCall) => T): T {
  const call = openCall(module, backend);
  let ok = false;
  try {
    const r = f(call);
    ok = true;
    return r;
  } finally {
    call.finish(ok);
  }
}

/** Frees the resident copies of these arrays on every wasm heap (SparseMatrix.dispose). */
export function releaseConstants(arrays: HostArray[]): void {
  for (const heap of liveHeaps) heap.release(arrays);
}

// ---- tfjs-backend-wasm: kernels share its memory ----------------------------------------

interface WasmBackendLike {
  wasm: { _malloc(n: number): number; _free(p: number): void; HEAPU8: Uint8Array; asm?: { memory?: WebAssembly.Memory } } | null;
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: string): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

interface CpuBackendLike {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: string, values?: HostArray): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

const liveHeaps = new Set<WasmHeap>();
const heaps = new WeakMap<object, Map<string, WasmHeap>>();
const compiled = new Map<string, WebAssembly.Module>();

function isWasmBackend(b: object): b is WasmBackendLike {
  return 'wasm' in b && typeof (b as WasmBackendLike).getMemoryOffset === 'function';
}

function openCall(module: string, backend: object): KernelCall {
  if (isWasmBackend(backend)) return new WasmCall(wasmHeap(module, backend));
  if ('data' in backend && typeof (backend as CpuBackendLike).makeTensorInfo === 'function') {
    return new StagingCall(kernelModule(module), backend as CpuBackendLike);
  }
  throw new Error('project kernels run on the wasm and cpu tfjs backends only');
}

function wasmHeap(module: string, b: WasmBackendLike): WasmHeap {
  let byName = heaps.get(b);
  if (!byName) { byName = new Map(); heaps.set(b, byName); }
  let heap = byName.get(module);
  if (!heap) { heap = new WasmHeap(module, b); byName.set(module, heap); liveHeaps.add(heap); }
  return heap;
}

class WasmHeap {
  readonly exports: KernelExports;
  readonly memory: WebAssembly.Memory;
  private readonly resident = new ResidentCopies(
    a => {
      const wasm = this.live();
      const p = wasm._malloc(Math.max(a.byteLength, 4)) >>> 0;
      wasm.HEAPU8.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), p);
      return p;
    },
    p => { if (this.backend.wasm) this.backend.wasm._free(p); },
  );

  constructor(module: string, readonly backend: WasmBackendLike) {
    const memory = backend.wasm?.asm?.memory;
    if (!(memory instanceof WebAssembly.Memory)) throw new Error('cannot reach the memory of tfjs-backend-wasm (tfjs version change?)');
    this.memory = memory;
    const inst = new WebAssembly.Instance(compileShareable(module), { env: { memory } });
    this.exports = inst.exports as unknown as KernelExports;
  }

  constant(a: HostArray): number {
    return this.resident.pointer(a);
  }

  release(arrays: HostArray[]): void {
    this.resident.release(arrays);
    if (!this.backend.wasm) liveHeaps.delete(this);
  }

  live(): NonNullable<WasmBackendLike['wasm']> {
    if (!this.backend.wasm) throw new Error('the tfjs wasm backend has been disposed');
    return this.backend.wasm;
  }
}

class WasmCall implements KernelCall {
  readonly exports: KernelExports;
  private readonly outputs: TensorInfo[] = [];
  constructor(private readonly heap: WasmHeap) { this.exports = heap.exports; }
  input(t: TensorInfo): number { return this.heap.backend.getMemoryOffset(t.dataId); }
  constant(a: HostArray): number { return this.heap.constant(a); }
  output(shape: number[], dtype: 'float32' | 'int32') {
    const info = this.heap.backend.makeOutput(shape, dtype);
    this.outputs.push(info);
    return { info, ptr: this.heap.backend.getMemoryOffset(info.dataId) };
  }
  f32(ptr: number, length: number): Float32Array { return new Float32Array(this.heap.memory.buffer, ptr, length); }
  finish(ok: boolean): void {
    if (!ok) for (const o of this.outputs) this.heap.backend.disposeData(o.dataId, true);
  }
}

/**
 * The module is about to run inside another program's memory: it must not carry data segments
 * (they would be written over tfjs's heap at instantiation) nor a start function, and import
 * nothing but the memory. Stack use is excluded by how kernels/*.c are written (see graph.c)
 * and checked by test/engine-graph.test.ts.
 */
function compileShareable(name: string): WebAssembly.Module {
  let mod = compiled.get(name);
  if (mod) return mod;
  const bytes = fs.readFileSync(resolveWasmFile(name));
  const sections = sectionIds(bytes);
  if (sections.includes(11) || sections.includes(8)) throw new Error(`${name}.wasm has a data section or start function: it cannot share tfjs's memory`);
  mod = new WebAssembly.Module(bytes);
  const imports = WebAssembly.Module.imports(mod);
  if (imports.length !== 1 || imports[0].kind !== 'memory') throw new Error(`${name}.wasm must import exactly one memory`);
  compiled.set(name, mod);
  return mod;
}

function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let p = 8;
  while (p < bytes.length) {
    const id = bytes[p++];
    let size = 0;
    let shift = 0;
    let b: number;
    do { b = bytes[p++]; size += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    ids.push(id);
    p += size;
  }
  return ids;
}

// ---- tfjs-backend-cpu: stage through the module's own memory ------------------------------

class StagingCall implements KernelCall {
  readonly exports: KernelExports;
  private readonly mark: number;
  private readonly pending: { ptr: number; values: HostArray; info: TensorInfo }[] = [];

  constructor(private readonly m: WasmModule, private readonly backend: CpuBackendLike) {
    this.exports = m.exports;
    this.mark = m.mark();
  }

  input(t: TensorInfo): number {
    const values = this.backend.data.get(t.dataId).values;
    if (!(values instanceof Float32Array || values instanceof Int32Array)) throw new Error(`project kernels take float32 or int32 tensors, not ${t.dtype}`);
    return this.constant(values);
  }

  constant(a: HostArray): number {
    const p = this.m.alloc(a.byteLength);
    new Uint8Array(this.m.memory.buffer, p, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    return p;
  }

  output(shape: number[], dtype: 'float32' | 'int32') {
    const size = shape.reduce((x, y) => x * y, 1);
    const values = dtype === 'float32' ? new Float32Array(size) : new Int32Array(size);
    const ptr = this.m.alloc(values.byteLength);
    const info = this.backend.makeTensorInfo(shape, dtype, values);
    this.pending.push({ ptr, values, info });
    return { info, ptr };
  }

  f32(ptr: number, length: number): Float32Array { return this.m.f32(ptr, length); }

  finish(ok: boolean): void {
    try {
      for (const o of this.pending) {
        if (!ok) { this.backend.disposeData(o.info.dataId, true); continue; }
        const src = o.values instanceof Float32Array ? this.m.f32(o.ptr, o.values.length) : this.m.i32(o.ptr, o.values.length);
        o.values.set(src);
      }
    } finally {
      this.m.release(this.mark);
    }
  }
}
