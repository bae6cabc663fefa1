/**
 * Dense GEMM throughput of the active tfjs backend: tf.matMul of float32 matrices shaped like the
 * workload's products, best of a few runs (the machine is shared; the best run is the least
 * disturbed). The best rate over all shapes is what the compute lower bounds divide by, so they
 * stay lower bounds.
 */
import * as tf from '@tensorflow/tfjs-core';
import { WorkloadShape } from './flops';

export interface GemmShape {
  /** What the shape stands for in the workload. */
  label: string;
  m: number;
  k: number;
  n: number;
}

export interface GemmResult extends GemmShape {
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
    { label: 'batch projection (2B x D x d)', m: 2 * s.batch, k: D, n: s.dim },
    { label: 'all-item projection (I x D x d)', m: s.items, k: D, n: s.dim },
    { label: 'graph layer (N x d x d)', m: s.users + s.items, k: s.dim, n: s.dim },
    { label: `square (${square}^3)`, m: square, k: square, n: square },
  ];
}

/** Times tf.matMul(A, B) for each shape: one untimed run, then the best of `reps`. */
export function measureGemm(shapes: GemmShape[], reps: number): GemmResult[] {
  return shapes.map((s) => {
    const a = tf.randomNormal([s.m, s.k], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([s.k, s.n], 0, 1, 'float32', 2) as tf.Tensor2D;
    const once = (): number => {
      const t0 = process.hrtime.bigint();
      const c = tf.matMul(a, b);
      c.dataSync(); // waits for asynchronous backends; wasm and cpu have finished already
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      c.dispose();
      return seconds;
    };
    once();
    let best = Infinity;
    for (let r = 0; r < reps; r++) best = Math.min(best, once());
    tf.dispose([a, b]);
    return { ...s, seconds: best, gflops: (2 * s.m * s.k * s.n) / best / 1e9 };
  });
}

export function bestGemm(results: GemmResult[]): GemmResult {
  return results.reduce((a, b) => (b.gflops > a.gflops ? b : a));
}
