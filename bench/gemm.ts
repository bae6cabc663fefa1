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
function bestTime(run: () => void, reps: number): number {
  const once = (): number => {
    const t0 = process.hrtime.bigint();
    run();
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  once();
  let best = Infinity;
  for (let r = 0; r < reps; r++) best = Math.min(best, once());
  return best;
}

/**
 * Times each shape with tf.matMul(A, B), and with the project kernel the models run it on: the
 * projections (k = a feature width) with FixedGemm on its default threads, the others with
 * matMulKernel where it applies (width a multiple of 8, at most 256).
 */
export function measureGemm(shapes: GemmShape[], reps: number): GemmResult[] {
  const out: GemmResult[] = [];
  const result = (s: GemmShape, engine: string, seconds: number, threads = 1): GemmResult =>
    ({ ...s, engine, threads, seconds, gflops: (2 * s.m * s.k * s.n) / seconds / 1e9 });
  for (const s of shapes) {
    const a = tf.randomNormal([s.m, s.k], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([s.k, s.n], 0, 1, 'float32', 2) as tf.Tensor2D;
    // dataSync waits for asynchronous backends; wasm and cpu have finished already.
    out.push(result(s, 'tf.matMul', bestTime(() => tf.tidy(() => { tf.matMul(a, b).dataSync(); }), reps)));
    if (projectKernelsActive() && s.n % 8 === 0) {
      if (s.fixedFeatures) {
        const gemm = new FixedGemm(a.dataSync() as Float32Array, s.m, s.k);
        const w = b.dataSync() as Float32Array;
        out.push(result(s, `project kernel, ${gemm.threads} thread(s)`, bestTime(() => { gemm.forward(w, s.n); }, reps), gemm.threads));
        gemm.dispose();
      } else if (s.n <= 256) {
        out.push(result(s, 'project kernel, 1 thread', bestTime(() => tf.tidy(() => { matMulKernel(a, b).dataSync(); }), reps)));
      }
    }
    tf.dispose([a, b]);
  }
  return out;
}

/** The fastest one-thread product: the per-core rate the lower bounds scale by the cores. */
export function bestGemm(results: GemmResult[]): GemmResult {
  return results.filter(r => r.threads === 1).reduce((a, b) => (b.gflops > a.gflops ? b : a));
}
