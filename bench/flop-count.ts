/**
 * Counts the FLOPs of the dense products actually run in a piece of work: tfjs's matMul kernels
 * from tf.profile's records (name and input/output shapes), plus the fixed-feature products of
 * the project's GEMM kernel (FixedGemm counts its own): a check of bench/flops.ts's dense
 * estimate. Graph kernels are not counted: their records do not carry the sparse matrix's size.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MATMUL } from '../lib/engine/dense-kernels';
import { fixedGemmFlops } from '../lib/engine/fixed-gemm';

const MATMUL_KERNELS = new Set(['BatchMatMul', '_FusedMatMul', MATMUL]);

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

/** Runs `work` under tf.profile and returns the FLOPs of its dense products. */
export async function countMatMulFlops(work: () => void | Promise<void>): Promise<number> {
  const before = fixedGemmFlops();
  const info = await tf.profile(async () => { await work(); return []; });
  let flops = fixedGemmFlops() - before;
  for (const k of info.kernels) {
    if (MATMUL_KERNELS.has(k.name)) flops += matMulRecordFlops(k.inputShapes, k.outputShapes[0]);
  }
  return flops;
}
