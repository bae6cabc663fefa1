import * as fs from 'fs';
import { resolveWasmFile } from './wasm-module';
import { WasmHeap } from './wasm-heap';

/**
 * One thread's share of the fixed-feature products (lib/engine/fixed-gemm.ts): its own kernel
 * instances (kernels/gemm.c, and kernels/dense.c's gather_transpose) over its own memory,
 * holding for each fixed matrix F (rows x cols) a full copy of F and the slice [kLo, kHi) of
 * F^T. The same class runs on the main thread and in each worker.
 */
export interface StoredMatrix {
  rows: number;
  cols: number;
  kLo: number;
  kHi: number;
  data: number;
  transposed: number;
}

/** What a thread is asked to compute. */
export type GemmRequest =
  | { op: 'load'; id: number; data: Float32Array; rows: number; cols: number; kLo: number; kHi: number }
  | { op: 'free'; id: number }
  /** Rows [lo, hi) of F[idx] W (of F W when idx is null), (hi - lo) x d, written into `into`. */
  | { op: 'forward'; id: number; w: Float32Array; d: number; idx: Int32Array | null; lo: number; hi: number; into: Float32Array }
  /** Rows [kLo, kHi) of F[idx]^T G (of F^T G when idx is null), (kHi - kLo) x d, written into `into`. */
  | { op: 'weightGrad'; id: number; g: Float32Array; d: number; idx: Int32Array | null; into: Float32Array };

type Exports = Record<string, (...args: number[]) => number>;

export class GemmStore {
  private readonly heap: WasmHeap;
  private readonly gemm: Exports;
  private readonly dense: Exports;
  private readonly matrices = new Map<number, StoredMatrix>();

  constructor() {
    const memory = new WebAssembly.Memory({ initial: 32 });
    const instance = (name: string) => new WebAssembly.Instance(
      new WebAssembly.Module(fs.readFileSync(resolveWasmFile(name))), { env: { memory } }).exports as unknown as Exports;
    this.gemm = instance('gemm');
    this.dense = instance('dense');
    this.heap = new WasmHeap(memory, 1 << 20);
  }

  /** Runs one request; forward and weightGrad write their block of the result into req.into. */
  run(req: GemmRequest): void {
    switch (req.op) {
      case 'load': this.load(req.id, req.data, req.rows, req.cols, req.kLo, req.kHi); return;
      case 'free': this.free(req.id); return;
      case 'forward': this.forward(req.id, req.w, req.d, req.idx, req.lo, req.hi, req.into); return;
      case 'weightGrad': this.weightGrad(req.id, req.g, req.d, req.idx, req.into); return;
    }
  }

  load(id: number, data: Float32Array, rows: number, cols: number, kLo: number, kHi: number): void {
    if (this.matrices.has(id)) throw new Error(`GemmStore: matrix ${id} is already loaded`);
    const h = this.heap;
    const at = h.alloc(rows * cols * 4);
    const transposed = h.alloc(Math.max(1, (kHi - kLo) * rows) * 4);
    h.f32(at, rows * cols).set(data);
    if (kHi > kLo && rows > 0) this.dense.gather_transpose(at + kLo * 4, 0, transposed, rows, kHi - kLo, cols);
    this.matrices.set(id, { rows, cols, kLo, kHi, data: at, transposed });
  }

  free(id: number): void {
    const m = this.matrices.get(id);
    if (!m) return;
    this.heap.release(m.data);
    this.heap.release(m.transposed);
    this.matrices.delete(id);
  }

  forward(id: number, w: Float32Array, d: number, idx: Int32Array | null, lo: number, hi: number, into: Float32Array): void {
    const m = this.matrix(id);
    const n = hi - lo;
    if (n <= 0) return;
    this.scratch(h => {
      const packed = h(this.gemm.gemm_packed_floats(m.cols, d) * 4);
      const wAt = h(w.length * 4);
      const idxAt = idx ? h(n * 4) : 0;
      const out = h(n * d * 4);
      this.heap.f32(wAt, w.length).set(w);
      if (idx) this.heap.i32(idxAt, n).set(idx.subarray(lo, hi));
      this.gemm.gemm_pack_b(wAt, m.cols, d, packed);
      this.gemm.gemm_nn(idx ? m.data : m.data + lo * m.cols * 4, idxAt, n, m.cols, packed, d, out);
      into.set(this.heap.f32(out, n * d));
    });
  }

  weightGrad(id: number, g: Float32Array, d: number, idx: Int32Array | null, into: Float32Array): void {
    const m = this.matrix(id);
    const kn = m.kHi - m.kLo;
    const k = idx ? idx.length : m.rows;
    if (kn <= 0) return;
    if (k === 0) { into.fill(0, 0, kn * d); return; }
    this.scratch(h => {
      const packed = h(this.gemm.gemm_packed_floats(k, d) * 4);
      const gAt = h(g.length * 4);
      const idxAt = idx ? h(k * 4) : 0;
      const cols = idx ? h(kn * k * 4) : m.transposed;
      const out = h(kn * d * 4);
      this.heap.f32(gAt, g.length).set(g);
      if (idx) {
        this.heap.i32(idxAt, k).set(idx);
        this.dense.gather_transpose(m.data + m.kLo * 4, idxAt, cols, k, kn, m.cols);
      }
      this.gemm.gemm_pack_b(gAt, k, d, packed);
      this.gemm.gemm_nn(cols, 0, kn, k, packed, d, out);
      into.set(this.heap.f32(out, kn * d));
    });
  }

  private matrix(id: number): StoredMatrix {
    const m = this.matrices.get(id);
    if (!m) throw new Error(`GemmStore: matrix ${id} is not loaded (disposed?)`);
    return m;
  }

  /** Runs f with an allocator whose blocks are all released afterwards. */
  private scratch<T>(f: (alloc: (bytes: number) => number) => T): T {
    const blocks: number[] = [];
    try {
      return f(bytes => { const at = this.heap.alloc(bytes); blocks.push(at); return at; });
    } finally {
      for (const b of blocks.reverse()) this.heap.release(b);
    }
  }
}
