/** Constant host data the kernels read: graph structures (CSR index arrays) and the like. */
export type HostArray = Int32Array | Float32Array;

/**
 * Copies of constant host arrays kept in a wasm memory until released: the first use of an array
 * copies it in, later uses get the same pointer. Both the per-module heaps on tfjs's wasm memory
 * (kernel-heap.ts) and the graph threads' shared memory (graph-threads.ts) keep graph structures
 * this way; they differ only in how memory is taken and given back.
 */
export class ResidentCopies {
  private readonly pointers = new Map<HostArray, number>();

  /** `copyIn` allocates room for an array, copies it there and returns the pointer; `free` gives it back. */
  constructor(private readonly copyIn: (a: HostArray) => number, private readonly free: (pointer: number) => void) {}

  /** Pointer to the resident copy of `a` (made on first use). */
  pointer(a: HostArray): number {
    let p = this.pointers.get(a);
    if (p === undefined) {
      p = this.copyIn(a);
      this.pointers.set(a, p);
    }
    return p;
  }

  /** Frees the copies of these arrays (those never copied are skipped). */
  release(arrays: HostArray[]): void {
    for (const a of arrays) {
      const p = this.pointers.get(a);
      if (p === undefined) continue;
      this.pointers.delete(a);
      this.free(p);
    }
  }
}
