/**
 * Dense GEMM throughput on the active tfjs backend for float32 matrices shaped like the workload's
 * products, best of a few runs (the machine is shared; the best run is the least disturbed):
 * tf.matMul, and the project kernels the models use instead where they apply (FixedGemm on its
 * threads for the feature projections, matMulKernel for the graph layers). The best rate over all
 * of them is what the compute lower bounds divide by, so they stay lower bounds.
 */
import * as tf from '@tensorflow/tfjs-core';
import { matMulKernel } from '../lib/engine/dense-kernels';
import { FixedGemm } from '../lib/engine/fixed-gemm';
import { syncReadsAvailable } from '../lib/engine/host-read';
import { projectKernelsActive } from '../lib/engine/kernel-heap';
import { WorkloadShape } from './flops';

export interface GemmShape {
  /** What the shape stands for in the workload. */
  label: string;
  /** A product with a fixed feature matrix, which the models run with FixedGemm. */
  fixedFeatures?: boolean;
  m: number;
  k: number;
  n: number;
}

export interface GemmResult extends GemmShape {
  /** What ran the product, and on how many threads. */
  engine: string;
  threads: number;
  /** Best wall time of one product. */
  seconds: number;
  gflops: number;
}

/**
 * The workload's typical products: a batch's projection (2B rows of the widest features), all
 * items' projection, a d x d layer over every graph node, and a square product (the backend's
 * best case).
 */
export function workloadGemmShapes(s: WorkloadShape, square: number): GemmShape[] {
  const D = Math.max(s.featureDims.visual, s.featureDims.text);
  return [
    { label: 'batch projection (2B x D x d)', fixedFeatures: true, m: 2 * s.batch, k: D, n: s.dim },
    { label: 'all-item projection (I x D x d)', fixedFeatures: true, m: s.items, k: D, n: s.dim },
    { label: 'graph layer (N x d x d)', m: s.users + s.items, k: s.dim, n: s.dim },
    { label: `square (${square}^3)`, m: square, k: square, n: square },
  ];
}

/** Best of `reps` timed runs after one untimed run. */
async function bestTime(run: () => void | Promise<void>, reps: number): Promise<number> {
  const once = async (): Promise<number> => {
    const t0 = process.hrtime.bigint();
    await run();
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  await once();
  let best = Infinity;
  for (let r = 0; r < reps; r++) best = Math.min(best, await once());
  return best;
}

/**
 * Times each shape with tf.matMul(A, B), and with the project kernel the models run it on: the
 * projections (k = a feature width) with FixedGemm on its default threads, the others with
 * matMulKernel where it applies (width a multiple of 8, at most 256).
 */
export async function measureGemm(shapes: GemmShape[], reps: number): Promise<GemmResult[]> {
  const out: GemmResult[] = [];
  const result = (s: GemmShape, engine: string, seconds: number, threads = 1): GemmResult =>
    ({ ...s, engine, threads, seconds, gflops: (2 * s.m * s.k * s.n) / seconds / 1e9 });
  for (const s of shapes) {
    const a = tf.randomNormal([s.m, s.k], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([s.k, s.n], 0, 1, 'float32', 2) as tf.Tensor2D;
    out.push(result(s, 'tf.matMul', await bestTime(() => matMulAndWait(a, b), reps)));
    if (projectKernelsActive() && s.n % 8 === 0) {
      if (s.fixedFeatures) {
        const gemm = new FixedGemm(a.dataSync() as Float32Array, s.m, s.k);
        const w = b.dataSync() as Float32Array;
        out.push(result(s, `project kernel, ${gemm.threads} thread(s)`, await bestTime(() => { gemm.forward(w, s.n); }, reps), gemm.threads));
        gemm.dispose();
      } else if (s.n <= 256) {
        out.push(result(s, 'project kernel, 1 thread', await bestTime(() => tf.tidy(() => { matMulKernel(a, b).dataSync(); }), reps)));
      }
    }
    tf.dispose([a, b]);
  }
  return out;
}

/**
 * One product, finished: wasm and cpu have computed it when the op returns (dataSync reads it as
 * before); a GPU backend is waited for through an asynchronous read of its sum, so the timing is
 * not a transfer of the whole result.
 */
async function matMulAndWait(a: tf.Tensor2D, b: tf.Tensor2D): Promise<void> {
  if (syncReadsAvailable()) { tf.tidy(() => { tf.matMul(a, b).dataSync(); }); return; }
  const total = tf.tidy(() => tf.sum(tf.matMul(a, b)));
  try { await total.data(); } finally { total.dispose(); }
}

/** The fastest one-thread product: the per-core rate the lower bounds scale by the cores. */
export function bestGemm(results: GemmResult[]): GemmResult {
  return results.filter(r => r.threads === 1).reduce((a, b) => (b.gflops > a.gflops ? b : a));
}
