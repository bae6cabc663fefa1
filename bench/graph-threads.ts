/**
 * The graph kernels on one thread against several, in one process, on Amazon Baby's sizes:
 *   node dist/bench/graph-threads.js [--threads N] [--rounds N] [--split-all] [--out FILE]
 * Two graphs of bench/baby-graph.ts (26,495 nodes): as many edges as the baby-scale preset's
 * training graph (119,884 interactions, 239,768 directed edges) and twice that (about bench/kernels.ts's
 * graph), 64 columns. Each line times one operation on 1 thread and on N (default: the graph
 * kernels' default, at least 2), alternating the two settings round by round so that both see
 * the same load on a shared machine, and keeps the best of each (the least disturbed); it also
 * checks that both give the same bits. Calls below the size threshold stay on one thread, as in
 * training; --split-all splits every call (what two threads would gain or lose there).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../lib/engine/backend';
import { K, run } from '../lib/engine/graph-kernels';
import { sddmm, segmentSoftmax, spmm, spmmWeighted } from '../lib/engine/graph-ops';
import { defaultGraphThreads, setGraphMinimumWork, setGraphThreads } from '../lib/engine/graph-threads';
import { Rng } from '../lib/engine/random';
import { SparseMatrix } from '../lib/engine/sparse-matrix';
import { BABY_TRAIN_INTERACTIONS, babyGraph } from './baby-graph';
import { writeBenchRecord } from './record';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const v = Number(process.argv[at + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive integer`);
  return v;
}

/** The bits of every output of f, as one list. */
function bits(f: () => tf.TensorContainer): Uint32Array[] {
  const out = f();
  const ts = (Array.isArray(out) ? out : [out]) as tf.Tensor[];
  const b = ts.map(t => new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
  tf.dispose(out);
  return b;
}

const sameBits = (a: Uint32Array[], b: Uint32Array[]) => a.length === b.length && a.every((x, i) => x.length === b[i].length && x.every((v, j) => v === b[i][j]));

interface Row { graph: string; edges: number; what: string; oneThreadMs: number; threads: number; manyThreadsMs: number; speedup: number; sameBits: boolean }

/** Every operation on one graph, 1 thread against `many`. */
function measure(graph: string, interactions: number, many: number, rounds: number): Row[] {
  const A = new SparseMatrix(babyGraph(new Rng('bench'), interactions));
  const n = A.numRows, d = 64;
  console.log(`\n${graph}: ${n} nodes, ${A.nnz} directed edges, ${d} columns; 1 thread against ${many}, best of ${rounds} alternating rounds`
    + (process.argv.includes('--split-all') ? ', every call split' : ', calls below the size threshold on one thread'));
  const X = tf.randomNormal([n, d], 0, 1, 'float32', 1) as tf.Tensor2D;
  const Y = tf.randomNormal([n, d], 0, 1, 'float32', 2) as tf.Tensor2D;
  const w = tf.randomUniform([A.nnz], 0, 1, 'float32', 3) as tf.Tensor1D;
  const logits = tf.randomNormal([A.nnz], 0, 1, 'float32', 4) as tf.Tensor1D;
  const probs = segmentSoftmax(A, logits);
  const ops: [string, () => tf.TensorContainer][] = [
    ['spmm  Y = A X', () => spmm(A, X)],
    ['spmm  Y = A^T X', () => spmm(A, X, true)],
    ['spmmWeighted  Y = A_w X', () => spmmWeighted(A, w, X)],
    ['spmmWeighted  Y = A_w^T X', () => spmmWeighted(A, w, X, true)],
    ['sddmm  <P[r], Q[c]>, P != Q', () => sddmm(A, X, Y)],
    ['sddmm  <X[r], X[c]>', () => sddmm(A, X, X)],
    ['segmentSoftmax', () => segmentSoftmax(A, logits)],
    ['segmentSoftmax gradient', () => run(K.segmentSoftmaxGrad, { y: probs, dy: logits }, { matrix: A })],
    ['spmmWeighted fwd + bwd (dX, dw)', () => tf.grads((ww, x) => spmmWeighted(A, ww as tf.Tensor1D, x as tf.Tensor2D))([w, X], Y)],
    ['attention layer fwd + bwd', () => tf.grads((x) => {
      const a = segmentSoftmax(A, sddmm(A, x as tf.Tensor2D, x as tf.Tensor2D));
      return spmmWeighted(A, a, x as tf.Tensor2D);
    })([X], Y)],
  ];
  const rows: Row[] = [];
  for (const [what, f] of ops) {
    const best = [Infinity, Infinity];
    const outputs: Uint32Array[][] = [];
    for (const t of [1, many]) {
      setGraphThreads(t);
      outputs.push(bits(f)); // also the warm-up
      tf.dispose(f());
    }
    for (let r = 0; r < rounds; r++) {
      for (const [i, t] of [1, many].entries()) {
        setGraphThreads(t);
        const t0 = performance.now();
        const out = f();
        best[i] = Math.min(best[i], performance.now() - t0);
        tf.dispose(out);
      }
    }
    const same = sameBits(outputs[0], outputs[1]);
    rows.push({ graph, edges: A.nnz, what, oneThreadMs: best[0], threads: many, manyThreadsMs: best[1], speedup: best[0] / best[1], sameBits: same });
    console.log(`${what.padEnd(34)} ${best[0].toFixed(2).padStart(8)} ms  ${best[1].toFixed(2).padStart(8)} ms on ${many}  ${(best[0] / best[1]).toFixed(2)}x  ${same ? 'same bits' : 'BITS DIFFER'}`);
  }
  setGraphThreads(undefined);
  tf.dispose([X, Y, w, logits, probs]);
  A.dispose();
  return rows;
}

async function main(): Promise<void> {
  await initEngine({ backend: 'wasm' });
  const many = option('--threads', Math.max(2, defaultGraphThreads()));
  const rounds = option('--rounds', 15);
  const splitAll = process.argv.includes('--split-all');
  if (splitAll) setGraphMinimumWork(0);
  const rows = [
    ...measure('training graph of baby-scale', BABY_TRAIN_INTERACTIONS, many, rounds),
    ...measure('twice as many edges', 2 * BABY_TRAIN_INTERACTIONS, many, rounds),
  ];
  writeBenchRecord('graph-threads', { threads: many, rounds, splitAll, nodes: 26495, columns: 64 }, rows);
  if (rows.some(r => !r.sameBits)) process.exit(1);
}

main().catch((e) => { console.error(e); process.exit(1); });
