import * as fs from 'fs';
import * as path from 'path';

/**
 * A project kernel module: one of the kernels/*.c files compiled to lib/engine/wasm/NAME.wasm.
 * Each module gets its own growable memory; callers allocate with `alloc` (a bump allocator
 * that the module's users reset between calls) and view it through fresh typed arrays, since
 * growing the memory detaches earlier views.
 */
export class WasmModule {
  readonly memory: WebAssembly.Memory;
  readonly exports: Record<string, (...args: number[]) => number>;
  private top: number;
  private readonly base: number;

  private constructor(memory: WebAssembly.Memory, exports: Record<string, (...args: number[]) => number>, base: number) {
    this.memory = memory;
    this.exports = exports;
    this.base = base;
    this.top = base;
  }

  static load(name: string): WasmModule {
    const file = resolveWasmFile(name);
    const bytes = fs.readFileSync(file);
    const memory = new WebAssembly.Memory({ initial: 32 });
    const mod = new WebAssembly.Module(bytes);
    const inst = new WebAssembly.Instance(mod, { env: { memory } });
    // Keep the first 1 MiB for the module's own stack and data.
    return new WasmModule(memory, inst.exports as unknown as Record<string, (...args: number[]) => number>, 1 << 20);
  }

  /** Reserves `bytes` (16-byte aligned) and returns the byte offset; grows memory as needed. */
  alloc(bytes: number): number {
    const at = (this.top + 15) & ~15;
    const end = at + bytes;
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / 65536));
    this.top = end;
    return at;
  }

  /** Current allocation mark; `release(mark)` frees everything allocated after it. */
  mark(): number { return this.top; }
  release(mark: number): void { this.top = Math.max(this.base, mark); }
  reset(): void { this.top = this.base; }

  f32(offset: number, length: number): Float32Array { return new Float32Array(this.memory.buffer, offset, length); }
  i32(offset: number, length: number): Int32Array { return new Int32Array(this.memory.buffer, offset, length); }
}

const cache = new Map<string, WasmModule>();

/** One shared instance per kernel module and process. */
export function kernelModule(name: string): WasmModule {
  let m = cache.get(name);
  if (!m) { m = WasmModule.load(name); cache.set(name, m); }
  return m;
}

/** Path of lib/engine/wasm/NAME.wasm (also used to instantiate a kernel over another memory). */
export function resolveWasmFile(name: string): string {
  // Works from lib/engine (ts sources under ts-node) and dist/lib/engine (compiled).
  const candidates = [
    path.join(__dirname, 'wasm', `${name}.wasm`),
    path.join(__dirname, '..', '..', '..', 'lib', 'engine', 'wasm', `${name}.wasm`),
  ];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new Error(`project kernel ${name}.wasm not found (looked in ${candidates.join(', ')}); run 'npm run build:wasm'`);
}
