import * as assert from 'assert';
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { coreGradientsRegistered, initEngine } from '../lib/engine/backend';
import type { CsrMatrix } from '../lib/engine/csr';
import { gatherRows, sddmm, segmentSoftmax, segmentSum, spmm, spmmWeighted } from '../lib/engine/graph-ops';
import { Rng } from '../lib/engine/random';
import { SparseMatrix } from '../lib/engine/sparse-matrix';
import { resolveWasmFile } from '../lib/engine/wasm-module';
import { CkdError } from '../lib/errors';
import { assertClose, gradCheck } from './engine-check';

type Mat = number[][];

function randomCsr(rng: Rng, numRows: number, numCols: number, maxDegree: number): CsrMatrix {
  const indptr = new Int32Array(numRows + 1);
  const idx: number[] = [];
  const val: number[] = [];
  for (let r = 0; r < numRows; r++) {
    const deg = r % 4 === 1 ? 0 : 1 + rng.int(maxDegree); // some empty rows; duplicates allowed
    for (let k = 0; k < deg; k++) { idx.push(rng.int(numCols)); val.push(0.1 + rng.next()); }
    indptr[r + 1] = idx.length;
  }
  return { numRows, numCols, indptr, indices: Int32Array.from(idx), values: Float32Array.from(val) };
}

const randMat = (rng: Rng, n: number, d: number): Mat => Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal()));
const randVec = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.normal());

/** Edges (row, col, k) in CSR order. */
function edges(m: CsrMatrix): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let r = 0; r < m.numRows; r++) for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) out.push([r, m.indices[k], k]);
  return out;
}

function refSpmm(m: CsrMatrix, w: ArrayLike<number>, X: Mat, transpose: boolean): Mat {
  const d = X[0].length;
  const Y = Array.from({ length: transpose ? m.numCols : m.numRows }, () => new Array<number>(d).fill(0));
  for (const [r, c, k] of edges(m)) {
    const [dst, src] = transpose ? [c, r] : [r, c];
    for (let j = 0; j < d; j++) Y[dst][j] += w[k] * X[src][j];
  }
  return Y;
}

const refSddmm = (m: CsrMatrix, P: Mat, Q: Mat) => edges(m).map(([r, c]) => P[r].reduce((s, p, j) => s + p * Q[c][j], 0));

function refSoftmax(m: CsrMatrix, z: number[]): number[] {
  const out = new Array<number>(z.length).fill(0);
  for (let r = 0; r < m.numRows; r++) {
    const ks = Array.from({ length: m.indptr[r + 1] - m.indptr[r] }, (_, i) => m.indptr[r] + i);
    const mx = Math.max(...ks.map((k) => z[k]));
    const s = ks.reduce((a, k) => a + Math.exp(z[k] - mx), 0);
    for (const k of ks) out[k] = Math.exp(z[k] - mx) / s;
  }
  return out;
}

const flat = (m: Mat) => m.flat();

describe('engine graph ops', function () {
  before(async () => { await initEngine({ backend: 'wasm', quiet: true }); });

  for (const backend of ['wasm', 'cpu']) {
    describe(`on ${backend}`, () => {
      const rng = new Rng(`graph-${backend}`);
      const m = randomCsr(rng, 9, 7, 4);
      let A: SparseMatrix;
      before(async () => { await tf.setBackend(backend); A = new SparseMatrix(m); });
      after(() => A.dispose());

      for (const d of [5, 20, 37]) {
        it(`spmm, spmmWeighted, sddmm forward with ${d} columns`, () => {
          const X = randMat(rng, m.numCols, d);
          const Xt = randMat(rng, m.numRows, d);
          const w = randVec(rng, A.nnz);
          tf.tidy(() => {
            assertClose(spmm(A, tf.tensor2d(X)).dataSync(), flat(refSpmm(m, m.values, X, false)), 1e-5, 'spmm');
            assertClose(spmm(A, tf.tensor2d(Xt), true).dataSync(), flat(refSpmm(m, m.values, Xt, true)), 1e-5, 'spmm^T');
            assertClose(spmmWeighted(A, tf.tensor1d(w), tf.tensor2d(X)).dataSync(), flat(refSpmm(m, w, X, false)), 1e-5, 'spmmWeighted');
            assertClose(spmmWeighted(A, tf.tensor1d(w), tf.tensor2d(Xt), true).dataSync(), flat(refSpmm(m, w, Xt, true)), 1e-5, 'spmmWeighted^T');
            assertClose(sddmm(A, tf.tensor2d(Xt), tf.tensor2d(X)).dataSync(), refSddmm(m, Xt, X), 1e-5, 'sddmm');
          });
        });
      }

      it('gatherRows, segmentSum, segmentSoftmax forward', () => {
        const X = randMat(rng, 6, 9);
        const idx = Int32Array.from([5, 0, 0, 3, 5, 2, 1]);
        tf.tidy(() => {
          const expectedRows = Array.from(idx).flatMap((i) => X[i].map(Math.fround));
          assertClose(gatherRows(tf.tensor2d(X), idx).dataSync(), expectedRows, 0, 'gatherRows');
          assertClose(gatherRows(tf.tensor2d(X), tf.tensor1d(idx, 'int32')).dataSync(), expectedRows, 0, 'gatherRows(tensor)');
          const seg = Int32Array.from([2, 0, 2, 3, 0, 3]);
          const expected = Array.from({ length: 5 }, (_, s) => X[0].map((_, j) => X.reduce((a, row, i) => a + (seg[i] === s ? row[j] : 0), 0)));
          assertClose(segmentSum(tf.tensor2d(X), seg, 5).dataSync(), flat(expected), 1e-6, 'segmentSum');
          const z = randVec(rng, A.nnz).map((v) => 3 * v);
          assertClose(segmentSoftmax(A, tf.tensor1d(z)).dataSync(), refSoftmax(m, z), 1e-6, 'segmentSoftmax');
        });
      });

      it('segmentSoftmax is stable for large logits', () => {
        const z = randVec(rng, A.nnz).map((v) => 500 + 80 * v);
        const y = segmentSoftmax(A, tf.tensor1d(z));
        assertClose(y.dataSync(), refSoftmax(m, z), 1e-5, 'segmentSoftmax');
        y.dispose();
      });

      it('gradients match central differences', () => {
        const X = tf.tensor2d(randMat(rng, m.numCols, 6));
        const Xt = tf.tensor2d(randMat(rng, m.numRows, 6));
        const w = tf.tensor1d(randVec(rng, A.nnz));
        const z = tf.tensor1d(randVec(rng, A.nnz));
        const idx = Int32Array.from([3, 0, 6, 3, 1]);
        gradCheck((x) => spmm(A, x as tf.Tensor2D), [X], rng, 1e-2, 1e-3, 'spmm');
        gradCheck((x) => spmm(A, x as tf.Tensor2D, true), [Xt], rng, 1e-2, 1e-3, 'spmm^T');
        gradCheck((wt, x) => spmmWeighted(A, wt as tf.Tensor1D, x as tf.Tensor2D), [w, X], rng, 1e-2, 1e-3, 'spmmWeighted');
        gradCheck((wt, x) => spmmWeighted(A, wt as tf.Tensor1D, x as tf.Tensor2D, true), [w, Xt], rng, 1e-2, 1e-3, 'spmmWeighted^T');
        gradCheck((p, q) => sddmm(A, p as tf.Tensor2D, q as tf.Tensor2D), [Xt, X], rng, 1e-2, 1e-3, 'sddmm');
        gradCheck((x) => gatherRows(x as tf.Tensor2D, idx), [X], rng, 1e-2, 1e-3, 'gatherRows');
        gradCheck((x) => segmentSum(x as tf.Tensor2D, idx, 8), [tf.tensor2d(randMat(rng, 5, 6))], rng, 1e-2, 1e-3, 'segmentSum');
        gradCheck((l) => segmentSoftmax(A, l as tf.Tensor1D), [z], rng, 1e-3, 2e-3, 'segmentSoftmax');
        tf.dispose([X, Xt, w, z]);
      });

      it('does not leak tensors or heap memory over repeated forward and backward passes', () => {
        const X = tf.tensor2d(randMat(rng, m.numCols, 8));
        const z = tf.tensor1d(randVec(rng, A.nnz));
        const idx = Int32Array.from([0, 2, 2, 8, 4]);
        const layer = (x: tf.Tensor, logits: tf.Tensor) => {
          const a = segmentSoftmax(A, logits as tf.Tensor1D);
          const H = spmmWeighted(A, a, x as tf.Tensor2D);                      // 9 x 8
          const s = sddmm(A, H, x as tf.Tensor2D);                              // nnz
          const G = gatherRows(spmmWeighted(A, s, x as tf.Tensor2D), idx);      // 5 x 8
          return spmm(A, segmentSum(G, idx, m.numRows), true);                  // 7 x 8
        };
        const step = () => {
          const dy = tf.onesLike(X);
          const g = tf.grads(layer)([X, z], dy);
          const y = tf.tidy(() => layer(X, z));
          tf.dispose([dy, y, ...g]);
        };
        step();
        const before = tf.memory();
        for (let i = 0; i < 4; i++) step();
        const after = tf.memory();
        assert.strictEqual(after.numTensors, before.numTensors);
        assert.strictEqual(after.numBytes, before.numBytes);
        tf.dispose([X, z]);
      });

      it('rejects out-of-range indices with a CkdError, without leaking', () => {
        const X = tf.zeros([4, 3]) as tf.Tensor2D;
        const before = tf.memory().numTensors;
        assert.throws(() => gatherRows(X, Int32Array.from([0, 4])), (e: unknown) => e instanceof CkdError && /out of range \[0, 4\)/.test((e as Error).message));
        assert.throws(() => segmentSum(X, Int32Array.from([0, 1, -1, 2]), 3), CkdError);
        assert.strictEqual(tf.memory().numTensors, before);
        X.dispose();
      });
    });
  }

  describe('with tfjs ops instead of project kernels (the tensorflow backend\'s path)', () => {
    // A second CPU backend under another name: the ops see no project kernels there and fall back
    // to tf.gather / tf.unsortedSegmentSum, exactly as on 'tensorflow'.
    const name = 'ckd-native-test';
    const rng = new Rng('native');
    const m = randomCsr(rng, 8, 6, 4);
    let A: SparseMatrix;
    before(async () => {
      if (!tf.findBackendFactory(name)) {
        tf.registerBackend(name, () => new MathBackendCPU());
        tf.copyRegisteredKernels('cpu', name);
      }
      await tf.setBackend(name);
      A = new SparseMatrix(m);
    });
    after(async () => { A.dispose(); await tf.setBackend('wasm'); });

    it('forward passes agree with the references', () => {
      const X = randMat(rng, 6, 5), Xt = randMat(rng, 8, 5), w = randVec(rng, A.nnz), z = randVec(rng, A.nnz);
      const idx = Int32Array.from([1, 5, 5, 0]);
      tf.tidy(() => {
        assertClose(spmm(A, tf.tensor2d(X)).dataSync(), flat(refSpmm(m, m.values, X, false)), 1e-5, 'spmm');
        assertClose(spmm(A, tf.tensor2d(Xt), true).dataSync(), flat(refSpmm(m, m.values, Xt, true)), 1e-5, 'spmm^T');
        assertClose(spmmWeighted(A, tf.tensor1d(w), tf.tensor2d(X)).dataSync(), flat(refSpmm(m, w, X, false)), 1e-5, 'spmmWeighted');
        assertClose(sddmm(A, tf.tensor2d(Xt), tf.tensor2d(X)).dataSync(), refSddmm(m, Xt, X), 1e-5, 'sddmm');
        assertClose(segmentSoftmax(A, tf.tensor1d(z)).dataSync(), refSoftmax(m, z), 1e-6, 'segmentSoftmax');
        assertClose(gatherRows(tf.tensor2d(X), idx).dataSync(), Array.from(idx).flatMap((i) => X[i].map(Math.fround)), 0, 'gatherRows');
        const S = segmentSum(tf.tensor2d(X.slice(0, 4)), idx, 7).arraySync();
        assertClose(S[5], X[1].map((v, j) => v + X[2][j]), 1e-6, 'segmentSum');
      });
    });

    it('gradients match central differences (needs tfjs-core op gradients)', function () {
      if (!coreGradientsRegistered()) this.skip();
      const X = tf.tensor2d(randMat(rng, 6, 4)), w = tf.tensor1d(randVec(rng, A.nnz)), z = tf.tensor1d(randVec(rng, A.nnz));
      gradCheck((wt, x) => spmmWeighted(A, wt as tf.Tensor1D, x as tf.Tensor2D), [w, X], rng, 1e-2, 1e-3, 'spmmWeighted');
      gradCheck((l) => segmentSoftmax(A, l as tf.Tensor1D), [z], rng, 1e-3, 2e-3, 'segmentSoftmax');
      tf.dispose([X, w, z]);
    });
  });

  it('rejects malformed CSR input', () => {
    const bad = { numRows: 2, numCols: 2, indptr: Int32Array.from([0, 1, 2]), indices: Int32Array.from([0, 2]), values: Float32Array.from([1, 1]) };
    assert.throws(() => new SparseMatrix(bad), /entry 1 has column 2/);
  });

  it('refuses a SparseMatrix after dispose', async () => {
    await tf.setBackend('wasm');
    const A = new SparseMatrix(randomCsr(new Rng(1), 3, 3, 2));
    A.dispose();
    const X = tf.ones([3, 2]) as tf.Tensor2D;
    assert.throws(() => spmm(A, X), /after dispose/);
    X.dispose();
  });

  it('kernels write only their outputs, no stack (safe to run inside tfjs memory)', () => {
    // Fill a fresh memory with a pattern, run each kernel on data above 1 MiB, and check that
    // nothing below (where a C stack or static data would sit) changed.
    const memory = new WebAssembly.Memory({ initial: 40 });
    const bytes = new Uint8Array(memory.buffer);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + 3) & 0xff;
    const low = bytes.slice(0, 1 << 20);
    const k = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(resolveWasmFile('graph'))), { env: { memory } }).exports as Record<string, (...a: number[]) => number>;
    let top = 1 << 20;
    const put = (a: Int32Array | Float32Array) => {
      const at = top;
      new Uint8Array(memory.buffer, at, a.byteLength).set(new Uint8Array(a.buffer));
      top += (a.byteLength + 15) & ~15;
      return at;
    };
    const m = randomCsr(new Rng(2), 6, 6, 3);
    const d = 19;
    const ip = put(m.indptr), ix = put(m.indices), iv = put(m.values);
    const x = put(new Float32Array(6 * d).fill(0.5)), y = put(new Float32Array(6 * d)), e = put(new Float32Array(m.indices.length));
    k.spmm(ip, ix, iv, 0, x, y, 6, d);
    k.sddmm(ip, ix, x, x, e, 6, d);
    k.gather_rows(x, ix, y, 6, d);
    k.segment_sum(x, ix, y, 6, 6, d);
    k.segment_softmax(ip, e, e, 6);
    k.segment_softmax_grad(ip, e, e, e, 6);
    k.count_out_of_range(ix, m.indices.length, 6);
    // The other kernels that run inside tfjs's memory (dense.c, gemm.c, adam.c), on the same data.
    const load = (name: string) => new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(resolveWasmFile(name))), { env: { memory } }).exports as Record<string, (...a: number[]) => number>;
    const dense = load('dense'), gemm = load('gemm'), adam = load('adam');
    const n8 = put(new Float32Array(19 * 16).fill(0.25)), c8 = put(new Float32Array(6 * 16));
    dense.gather_transpose(x, ix, y, 6, d, d);
    dense.copy_columns(x, y, 6, d, 3, 5);
    dense.place_columns(x, y, 6, 5, d, 3);
    dense.triple_margins(x, x, ix, ix, ix, 6, d, e);
    gemm.gemm_nn_rowmajor(x, 6, d, n8, 16, c8);
    adam.adam_update(x, x, x, x, y, y, y, 6 * d, 0.9, 0.1, 0.999, 0.001, 0.5, 0.5, 1e-7, -0.01);
    assert.ok(Buffer.compare(Buffer.from(low), Buffer.from(new Uint8Array(memory.buffer, 0, 1 << 20))) === 0);
  });
});
