/**
 * Which implementation the operations of lib/nn run.
 *
 *   'project' (the default)  the project's kernels (lib/engine: WebAssembly on the wasm and cpu
 *                            backends, WGSL for the graph ops on webgpu) and the memory-lean
 *                            formulations, wherever the backend runs them; tfjs's own ops elsewhere.
 *   'stock'                  tfjs's own ops everywhere (tf.matMul, tf.gather, tf.add,
 *                            tf.unsortedSegmentSum, ...): the plain reference, slower, for teaching
 *                            and for checking the kernels. Values agree with 'project' to float
 *                            rounding, not bit for bit (test/nn-kernel-choice.test.ts), so results
 *                            recorded with one do not compare bit for bit with the other. Row
 *                            gathers and graph products become products with one-hot selection
 *                            matrices (./stock.ts): for small data sets.
 *
 * The choice comes from the environment variable CKD_KERNELS ('project' or 'stock'), read once,
 * at the first operation (not at import); setKernelChoice overrides it within a process (tests,
 * notebooks).
 */
import { CkdError } from '../errors';
import { projectKernelsActive } from '../engine/kernel-heap';

export type KernelChoice = 'project' | 'stock';
export const KERNEL_CHOICES: readonly KernelChoice[] = ['project', 'stock'];

let choice: KernelChoice | null = null;

function fromEnvironment(): KernelChoice {
  const v = process.env.CKD_KERNELS;
  if (v === undefined || v === '') return 'project';
  if (!(KERNEL_CHOICES as readonly string[]).includes(v)) {
    throw new CkdError(`CKD_KERNELS must be one of ${KERNEL_CHOICES.join(', ')} (got '${v}')`);
  }
  return v as KernelChoice;
}

/** The implementation in force: set by setKernelChoice, else CKD_KERNELS (default 'project'). */
export function kernelChoice(): KernelChoice {
  return choice ??= fromEnvironment();
}

/** Sets the implementation for this process; null returns to CKD_KERNELS. */
export function setKernelChoice(c: KernelChoice | null): void {
  if (c !== null && !KERNEL_CHOICES.includes(c)) throw new CkdError(`kernel choice must be one of ${KERNEL_CHOICES.join(', ')} (got '${c}')`);
  choice = c;
}

/** True when every operation runs tfjs's own ops ('stock'). */
export function stockOps(): boolean {
  return kernelChoice() === 'stock';
}

/** True when the project's wasm kernels run: chosen, and the backend is one they run on (wasm, cpu). */
export function projectKernels(): boolean {
  return !stockOps() && projectKernelsActive();
}
