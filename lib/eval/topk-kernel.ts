import { kernelModule, WasmModule } from '../engine/wasm-module';
import { RankingInput } from './ranking-input';

/** A slice of users laid out for the kernel: their embedding rows and exclusion lists, packed. */
export interface UserChunk {
  count: number;
  rows: Float32Array; // count x dim
  exclPtr: Int32Array; // count + 1, from 0
  exclItems: Int32Array;
}

export function gatherChunk(input: RankingInput, users: Int32Array, start: number, end: number): UserChunk {
  const { userEmb, dim, exclude } = input;
  const count = end - start;
  const rows = new Float32Array(count * dim);
  const exclPtr = new Int32Array(count + 1);
  for (let r = 0; r < count; r++) {
    const u = users[start + r];
    rows.set(userEmb.subarray(u * dim, (u + 1) * dim), r * dim);
    exclPtr[r + 1] = exclPtr[r] + exclude.indptr[u + 1] - exclude.indptr[u];
  }
  const exclItems = new Int32Array(exclPtr[count]);
  for (let r = 0; r < count; r++) {
    const u = users[start + r];
    exclItems.set(exclude.items.subarray(exclude.indptr[u], exclude.indptr[u + 1]), exclPtr[r]);
  }
  return { count, rows, exclPtr, exclItems };
}

/**
 * The fused ranking kernel (kernels/rank.c) with one item matrix packed into its memory.
 * Use one at a time per thread and always `dispose()`: it lives in the module's bump allocator.
 */
export class KernelRanker {
  private readonly mod: WasmModule;
  private readonly mark: number;
  private readonly packed: number;
  private disposed = false;

  constructor(itemEmb: Float32Array, readonly numItems: number, readonly dim: number) {
    this.mod = kernelModule('rank');
    this.mark = this.mod.mark();
    this.packed = this.mod.alloc(this.mod.exports.rank_packed_floats(numItems, dim) * 4);
    const afterPacked = this.mod.mark();
    const raw = this.mod.alloc(itemEmb.length * 4);
    this.mod.f32(raw, itemEmb.length).set(itemEmb);
    this.mod.exports.rank_pack_items(raw, numItems, dim, this.packed);
    this.mod.release(afterPacked);
  }

  /** Top-k of each user in `chunk`: row r of the result belongs to chunk user r. */
  rank(chunk: UserChunk, k: number): { items: Int32Array; scores: Float32Array } {
    if (this.disposed) throw new Error('KernelRanker used after dispose()');
    const mod = this.mod;
    const mark = mod.mark();
    try {
      const n = chunk.count;
      const rows = mod.alloc(chunk.rows.length * 4);
      const ptr = mod.alloc(chunk.exclPtr.length * 4);
      const excl = mod.alloc(Math.max(1, chunk.exclItems.length) * 4);
      const outScores = mod.alloc(n * k * 4);
      const outItems = mod.alloc(n * k * 4);
      // Views only after every alloc: growing the memory detaches earlier ones.
      mod.f32(rows, chunk.rows.length).set(chunk.rows);
      mod.i32(ptr, chunk.exclPtr.length).set(chunk.exclPtr);
      mod.i32(excl, chunk.exclItems.length).set(chunk.exclItems);
      mod.exports.rank_topk(rows, n, this.packed, this.numItems, this.dim, ptr, excl, k, outScores, outItems);
      return { items: mod.i32(outItems, n * k).slice(), scores: mod.f32(outScores, n * k).slice() };
    } finally {
      mod.release(mark);
    }
  }

  dispose(): void {
    if (!this.disposed) this.mod.release(this.mark);
    this.disposed = true;
  }
}
