/**
 * A first-fit allocator over a growable WebAssembly memory, for project kernels that keep
 * long-lived matrices beside per-call scratch (lib/engine/gemm-store.ts): blocks are freed in
 * any order and neighbours merge. Offsets are 16-byte aligned. Views must be taken after the
 * last alloc of a call: growing the memory detaches earlier ones.
 */
export class WasmHeap {
  private top: number;
  /** Free blocks below `top`, sorted by offset, never adjacent. */
  private readonly free: { at: number; size: number }[] = [];
  private readonly sizes = new Map<number, number>();

  /** `base`: bytes kept free at the start (the kernel's own stack and data). */
  constructor(readonly memory: WebAssembly.Memory, base: number) {
    this.top = base;
  }

  alloc(bytes: number): number {
    const size = Math.max(16, (bytes + 15) & ~15);
    const fit = this.free.findIndex(b => b.size >= size);
    let at: number;
    if (fit >= 0) {
      const b = this.free[fit];
      at = b.at;
      if (b.size === size) this.free.splice(fit, 1);
      else { b.at += size; b.size -= size; }
    } else {
      at = this.top;
      const end = at + size;
      const have = this.memory.buffer.byteLength;
      if (end > have) this.memory.grow(Math.ceil((end - have) / 65536));
      this.top = end;
    }
    this.sizes.set(at, size);
    return at;
  }

  release(at: number): void {
    const size = this.sizes.get(at);
    if (size === undefined) throw new Error(`WasmHeap: ${at} is not an allocated block`);
    this.sizes.delete(at);
    let i = this.free.findIndex(b => b.at > at);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, { at, size });
    const next = this.free[i + 1];
    if (next && at + size === next.at) { this.free[i].size += next.size; this.free.splice(i + 1, 1); }
    const prev = this.free[i - 1];
    if (prev && prev.at + prev.size === at) { prev.size += this.free[i].size; this.free.splice(i, 1); i--; }
    const last = this.free[this.free.length - 1];
    if (last && last.at + last.size === this.top) { this.top = last.at; this.free.pop(); }
  }

  /** Bytes in use (allocated blocks). */
  inUse(): number {
    let n = 0;
    for (const s of this.sizes.values()) n += s;
    return n;
  }

  f32(at: number, length: number): Float32Array { return new Float32Array(this.memory.buffer, at, length); }
  i32(at: number, length: number): Int32Array { return new Int32Array(this.memory.buffer, at, length); }
}
