/**
 * Times the project kernels against stock tfjs on Amazon Baby's sizes:
 *   node dist/bench/kernels.js [--quick]
 * Graph: 19,445 users + 7,050 items = 26,495 nodes, 239,348 random interactions stored both ways
 * (478,696 directed edges), D^-1/2 A D^-1/2 values, 64 columns. Fixed-feature linear layer:
 * 7,050 x 4,096 features, 64 outputs, all rows and a 2,000-row subset.
 * Each time is the best of several runs (the machine is shared; the best is the least disturbed).
 */
import * as tf from '@tensorflow/tfjs-core';
import { coreGradientsRegistered, initEngine } from '../lib/engine/backend';
import type { CsrMatrix } from '../lib/engine/csr';
import { gatherTranspose } from '../lib/engine/dense-kernels';
import { FixedLinear } from '../lib/engine/fixed-linear';
import { defaultGemmThreads, setGemmThreads } from '../lib/engine/fixed-gemm';
import { gatherRows, sddmm, segmentSoftmax, segmentSum, spmm, spmmWeighted } from '../lib/engine/graph-ops';
import { Rng } from '../lib/engine/random';
import { SparseMatrix } from '../lib/engine/sparse-matrix';
import { babyGraph } from './baby-graph';
import { writeBenchRecord } from './record';

const quick = process.argv.includes('--quick');

/** Best of `runs` timed calls after two untimed ones (V8 first runs wasm with its baseline compiler). */
function time(f: () => tf.TensorContainer, runs: number, warmup = 2): number {
  for (let i = 0; i < warmup; i++) tf.dispose(f());
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const out = f(); // wasm and cpu kernels have finished when they return
    best = Math.min(best, performance.now() - t0);
    tf.dispose(out);
  }
  return best;
}

const rows: [string, number, string][] = [];
/** `against`: the stock time this line replaces, named by `what` in the ratio. */
function report(name: string, ms: number, against?: number, what = 'the line above'): void {
  const ratio = against === undefined ? '' : `${(against / ms).toFixed(1)}x faster than ${what}`;
  rows.push([name, ms, ratio]);
  console.log(`${name.padEnd(62)} ${ms.toFixed(1).padStart(9)} ms  ${ratio}`);
}

/** Y = A X in plain JavaScript: the obvious alternative without kernels. */
function jsSpmm(m: CsrMatrix, x: Float32Array, d: number): Float32Array {
  const y = new Float32Array(m.numRows * d);
  for (let r = 0; r < m.numRows; r++) {
    for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) {
      const v = m.values[k], c = m.indices[k] * d;
      for (let j = 0; j < d; j++) y[r * d + j] += v * x[c + j];
    }
  }
  return y;
}

async function graphBench(backend: string): Promise<void> {
  await tf.setBackend(backend);
  const R = quick ? 3 : 10;
  const rng = new Rng('bench');
  const m = babyGraph(rng);
  const A = new SparseMatrix(m);
  const n = m.numRows, d = 64;
  console.log(`\n== graph ops on '${backend}': ${n} nodes, ${A.nnz} directed edges, ${d} columns`);
  const X = tf.randomNormal([n, d], 0, 1, 'float32', 1) as tf.Tensor2D;
  const dY = tf.randomNormal([n, d], 0, 1, 'float32', 2) as tf.Tensor2D;
  const w = tf.randomUniform([A.nnz], 0, 1, 'float32', 3) as tf.Tensor1D;
  const logits = tf.randomNormal([A.nnz], 0, 1, 'float32', 4) as tf.Tensor1D;
  const edgeSrc = tf.tensor1d(m.indices, 'int32');

  let js: number | undefined;
  if (backend === 'wasm') {
    const xs = X.dataSync() as Float32Array;
    js = time(() => { jsSpmm(m, xs, d); return []; }, quick ? 1 : 3, 1);
    report('plain JavaScript CSR loop, forward', js);
  }
  const fwd = time(() => spmm(A, X), R);
  report('spmm forward (project kernel)', fwd, js);
  report('spmm forward + backward (dX = A^T dY)', time(() => tf.grads((x) => spmm(A, x as tf.Tensor2D))([X], dY), R));
  report('spmmWeighted forward + backward (dX and dw)', time(() => tf.grads((ww, x) => spmmWeighted(A, ww as tf.Tensor1D, x as tf.Tensor2D))([w, X], dY), R));
  report('sddmm (per-edge dot products)', time(() => sddmm(A, X, X), R));
  report('segmentSoftmax forward + backward', time(() => tf.grads((l) => segmentSoftmax(A, l as tf.Tensor1D))([logits], logits), R));
  if (coreGradientsRegistered()) {
    const rowOfEdge = tf.tensor1d(A.rowOfEdge(), 'int32');
    const ones = tf.ones([n, 1]) as tf.Tensor2D;
    report('   vs composed: exp(l - global max) / gathered row sums, fwd+bwd', time(() => tf.grads((l) => {
      const e = tf.exp(tf.sub(l, tf.max(l))) as tf.Tensor1D;
      return tf.div(e, tf.reshape(gatherRows(spmmWeighted(A, e, ones), rowOfEdge), [-1]));
    })([logits], logits), R));
    tf.dispose([rowOfEdge, ones]);
  }
  report('attention layer: sddmm, segmentSoftmax, spmmWeighted, fwd+bwd', time(() => tf.grads((x) => {
    const a = segmentSoftmax(A, sddmm(A, x as tf.Tensor2D, x as tf.Tensor2D));
    return spmmWeighted(A, a, x as tf.Tensor2D);
  })([X], dY), R));
  const ours = time(() => gatherRows(X, edgeSrc), R);
  report('gatherRows of every edge source (478k x 64)', ours);
  const perEdge = gatherRows(X, edgeSrc);
  const target = tf.tensor1d(A.rowOfEdge(), 'int32');
  report('segmentSum of 478k rows into 26k segments', time(() => segmentSum(perEdge, target, n), R));
  tf.dispose([perEdge, target]);
  if (backend === 'wasm') {
    // Gather-then-scatter with stock ops: wasm has no UnsortedSegmentSum at all, and its Gather alone is:
    const stock = time(() => tf.gather(X, edgeSrc), 1, 0);
    report('stock tf.gather of the same rows (wasm)', stock);
    console.log(`   -> project gatherRows is ${(stock / ours).toFixed(0)}x faster; the stock gather alone is ${(stock / fwd).toFixed(0)}x a whole spmm`);
  }
  tf.dispose([X, dY, w, logits, edgeSrc]);
  A.dispose();
}

async function fixedLinearBench(): Promise<void> {
  await tf.setBackend('wasm');
  const n = 7050, D = 4096, d = 64, m = 2000;
  console.log(`\n== fixed-feature linear layer on 'wasm': F ${n} x ${D}, W ${D} x ${d}; subset of ${m} rows`);
  const F = tf.randomNormal([n, D], 0, 1, 'float32', 5) as tf.Tensor2D;
  const W = tf.randomNormal([D, d], 0, 0.01, 'float32', 6) as tf.Tensor2D;
  const b = tf.zeros([d]) as tf.Tensor1D;
  const dY = tf.randomNormal([n, d], 0, 1, 'float32', 7) as tf.Tensor2D;
  const dYs = tf.randomNormal([m, d], 0, 1, 'float32', 8) as tf.Tensor2D;
  const subset = Int32Array.from({ length: m }, (_, i) => (i * 7919) % n);
  const subsetT = tf.tensor1d(subset, 'int32');
  const R = quick ? 2 : 4;
  // tfjs's registered MatMul gradient computes dW = matMul(X, dY, transposeA=true); run that
  // directly so that the comparison does not depend on @tensorflow/tfjs being installed.
  const stockStep = (X: tf.Tensor2D, g: tf.Tensor2D) => tf.tidy(() => [tf.add(tf.matMul(X, W), b), tf.matMul(X, g, true, false), tf.sum(g, 0)]);
  const note = coreGradientsRegistered() ? '' : ' (its gradient ops run by hand)';

  report('forward only, tf.matMul(F, W) + b', time(() => tf.add(tf.matMul(F, W), b), R));
  const stockFull = time(() => stockStep(F, dY), 1, 0);
  report(`stock tfjs fwd+bwd, all rows${note}`, stockFull);
  const stockSub = time(() => tf.tidy(() => stockStep(tf.gather(F, subsetT) as tf.Tensor2D, dYs)), 1, 0);
  report(`stock tfjs fwd+bwd, ${m} rows (tf.gather + matMul)${note}`, stockSub);
  const host = { data: F.dataSync() as Float32Array, rows: n, cols: D };
  for (const threads of [1, defaultGemmThreads()].filter((t, i, all) => all.indexOf(t) === i)) {
    setGemmThreads(threads);
    const layer = new FixedLinear(host);
    const t0 = performance.now();
    layer.apply(W, b).dispose();
    console.log(`   (first use copies F into the kernels' memory of ${threads} thread(s): ${(performance.now() - t0).toFixed(0)} ms)`);
    report(`FixedLinear fwd+bwd, all rows, ${threads} thread(s)`, time(() => tf.grads((w, bb) => layer.apply(w as tf.Tensor2D, bb as tf.Tensor1D))([W, b], dY), R), stockFull, 'stock, all rows');
    report(`FixedLinear fwd+bwd, ${m} rows, ${threads} thread(s)`, time(() => tf.grads((w, bb) => layer.apply(w as tf.Tensor2D, bb as tf.Tensor1D, subset))([W, b], dYs), R), stockSub, `stock, ${m} rows`);
    layer.dispose();
  }
  setGemmThreads(undefined);
  report('   tf.transpose(F) (stock, for comparison)', time(() => tf.transpose(F), R));
  report('   gatherTranspose(F) (project kernel)', time(() => gatherTranspose(F), R));
  tf.dispose([F, W, b, dY, dYs, subsetT]);
}

async function main(): Promise<void> {
  await initEngine({ backend: 'wasm' });
  await graphBench('wasm');
  await graphBench('cpu');
  await fixedLinearBench();
  writeBenchRecord('kernels', { quick }, rows.map(([what, ms, vsStock]) => ({ what, ms, vsStock })));
}

main().catch((e) => { console.error(e); process.exit(1); });
