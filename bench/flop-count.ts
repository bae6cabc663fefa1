/**
 * Counts the FLOPs of the dense products tfjs actually runs in a piece of work, from tf.profile's
 * kernel records (name and input/output shapes): a check of bench/flops.ts's dense estimate.
 * Project kernels (graph products, gathers, transposes) are not counted: their records do not
 * carry the sparse matrix's size.
 */
import * as tf from '@tensorflow/tfjs-core';

const MATMUL_KERNELS = new Set(['BatchMatMul', '_FusedMatMul']);

const product = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * FLOPs of one matMul record: output [...batch, m, n]; A holds m x k values per batch entry
 * (whether transposed or not), so k = |A| / (batch m).
 */
export function matMulRecordFlops(inputShapes: (number[] | null)[], outputShape: number[]): number {
  const a = inputShapes[0];
  if (!a || outputShape.length < 2) return 0;
  const m = outputShape[outputShape.length - 2];
  const n = outputShape[outputShape.length - 1];
  const batch = product(outputShape.slice(0, -2));
  const aBatch = product(a.slice(0, -2));
  const k = product(a) / (aBatch * m);
  return 2 * batch * m * n * k;
}

/** Runs `work` under tf.profile and returns the FLOPs of its matMul kernels. */
export async function countMatMulFlops(work: () => void): Promise<number> {
  const info = await tf.profile(() => { work(); return []; });
  let flops = 0;
  for (const k of info.kernels) {
    if (MATMUL_KERNELS.has(k.name)) flops += matMulRecordFlops(k.inputShapes, k.outputShapes[0]);
  }
  return flops;
}
