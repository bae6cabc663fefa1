import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../lib/engine/backend';
import { columns, concatColumns, matMulKernel, tripleMarginsKernel } from '../lib/engine/dense-kernels';
import { gatherRows } from '../lib/engine/graph-ops';
import { defaultGemmThreads, FixedGemm } from '../lib/engine/fixed-gemm';
import { Rng } from '../lib/engine/random';
import { WasmHeap } from '../lib/engine/wasm-heap';
import { assertClose } from './engine-check';

const randArray = (rng: Rng, n: number) => Float32Array.from({ length: n }, () => rng.normal());
const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (x: number, i: number) => Object.is(x, b[i]));

describe('engine fixed-matrix products on threads (FixedGemm)', () => {
  before(async () => { await initEngine({ backend: 'wasm', quiet: true }); });

  // Shapes with rows and columns not divisible by the thread counts, fewer rows than threads,
  // widths of one and of several 8-column panels, and a half panel (d = 12).
  const shapes: [number, number, number][] = [[37, 29, 8], [2, 5, 4], [101, 64, 12], [300, 130, 64]];
  for (const [n, D, d] of shapes) {
    it(`${n} x ${D} by width ${d}: tf.matMul's bits on 1, 2 and 3 threads, all rows and a subset`, () => {
      const rng = new Rng(`gemm-${n}-${D}-${d}`);
      const F = randArray(rng, n * D), W = randArray(rng, D * d), G = randArray(rng, n * d);
      const rows = Int32Array.from({ length: 2 * n + 3 }, () => rng.int(n));
      const Gs = randArray(rng, rows.length * d);
      const expected = tf.tidy(() => {
        const Ft = tf.tensor2d(F, [n, D]);
        const Fs = tf.gather(Ft, tf.tensor1d(rows, 'int32')) as tf.Tensor2D;
        return {
          forward: tf.matMul(Ft, tf.tensor2d(W, [D, d])).dataSync(),
          grad: tf.matMul(tf.transpose(Ft), tf.tensor2d(G, [n, d])).dataSync(),
          forwardRows: tf.matMul(Fs, tf.tensor2d(W, [D, d])).dataSync(),
          gradRows: tf.matMul(tf.transpose(Fs), tf.tensor2d(Gs, [rows.length, d])).dataSync(),
        };
      });
      for (const threads of [1, 2, 3]) {
        const g = new FixedGemm(F, n, D, threads);
        try {
          assert.ok(sameBits(g.forward(W, d), expected.forward), `F W, ${threads} threads`);
          assert.ok(sameBits(g.weightGrad(G, d), expected.grad), `F^T G, ${threads} threads`);
          assert.ok(sameBits(g.forward(W, d, rows), expected.forwardRows), `F[rows] W, ${threads} threads`);
          assert.ok(sameBits(g.weightGrad(Gs, d, rows), expected.gradRows), `F[rows]^T G, ${threads} threads`);
        } finally {
          g.dispose();
        }
      }
    });
  }

  for (const backend of ['wasm', 'cpu']) {
    // tfjs-backend-cpu's matMul sums in blocks: there the kernel agrees to float rounding only.
    it(`matMulKernel on ${backend}: tf.matMul's ${backend === 'wasm' ? 'bits' : 'values'} for graph-layer shapes, a 1-row product and odd sizes`, async () => {
      await tf.setBackend(backend);
      const rng = new Rng(`matmul-${backend}`);
      for (const [m, K, n] of [[301, 64, 64], [64, 2001, 64], [1, 777, 64], [5, 3, 8], [130, 17, 24]]) {
        tf.tidy(() => {
          const a = tf.tensor2d(randArray(rng, m * K), [m, K]), b = tf.tensor2d(randArray(rng, K * n), [K, n]);
          const ours = matMulKernel(a, b).dataSync(), theirs = tf.matMul(a, b).dataSync();
          if (backend === 'wasm') assert.ok(sameBits(ours, theirs), `${m} x ${K} by ${K} x ${n}`);
          else assertClose(ours, theirs, 1e-4 * Math.sqrt(K), `${m} x ${K} by ${K} x ${n}`);
        });
      }
      tf.tidy(() => {
        const a = tf.tensor2d(randArray(rng, 12), [3, 4]), b = tf.tensor2d(randArray(rng, 12), [4, 3]);
        assert.ok(sameBits(matMulKernel(a, b).dataSync(), tf.matMul(a, b).dataSync()), 'width 3 falls back to tf.matMul');
      });
      await tf.setBackend('wasm');
    });
  }

  it('concatColumns: tf.concat along columns, its gradient split by the columns kernel, the same bits', () => {
    const rng = new Rng('concat');
    const parts = [[7, 5], [7, 8], [7, 3]].map(([r, c]) => tf.tensor2d(randArray(rng, r * c), [r, c]));
    const dy = tf.tensor2d(randArray(rng, 7 * 16), [7, 16]);
    const ours = tf.grads((...xs: tf.Tensor[]) => concatColumns(xs as tf.Tensor2D[]))(parts, dy);
    const stock = tf.grads((...xs: tf.Tensor[]) => tf.concat(xs as tf.Tensor2D[], 1))(parts, dy);
    assert.ok(sameBits(concatColumns(parts).dataSync(), tf.concat(parts, 1).dataSync()), 'value');
    ours.forEach((g, k) => assert.ok(sameBits(g.dataSync(), stock[k].dataSync()), `gradient of part ${k}`));
    assert.throws(() => columns(dy, 10, 7), /cannot take \[10, 17\)/);
    tf.dispose([...parts, dy, ...ours, ...stock]);
  });

  it('concatColumns runs the concatenation kernel, not tfjs\'s Concat, and refuses parts of unequal rows', async () => {
    const rng = new Rng('concat-kernel');
    const parts = [[9, 64], [9, 0], [9, 7]].map(([r, c]) => tf.tensor2d(randArray(rng, r * c), [r, c]));
    const info = await tf.profile(() => { tf.dispose(concatColumns(parts)); });
    const names = info.kernels.map(k => k.name);
    assert.ok(names.includes('CkdConcatColumns') && !names.includes('Concat'), names.join(', '));
    assert.ok(sameBits(tf.tidy(() => concatColumns(parts).dataSync()), tf.tidy(() => tf.concat(parts, 1).dataSync())));
    const short = tf.zeros([8, 3]) as tf.Tensor2D;
    assert.throws(() => concatColumns([parts[0], short]), /cannot put float32 \[9,64\], float32 \[8,3\] side by side/);
    tf.dispose([...parts, short]);
  });

  it('tripleMarginsKernel: the bits of gather, subtract, multiply and sum on wasm; bad indices refused', () => {
    const rng = new Rng('triples');
    const [U, I, d, n] = [31, 17, 24, 103];
    const users = tf.tensor2d(randArray(rng, U * d), [U, d]), items = tf.tensor2d(randArray(rng, I * d), [I, d]);
    const u = Int32Array.from({ length: n }, () => rng.int(U)), a = Int32Array.from({ length: n }, () => rng.int(I)), b = Int32Array.from({ length: n }, () => rng.int(I));
    const stock = tf.tidy(() => tf.sum(tf.mul(gatherRows(users, u), tf.sub(gatherRows(items, a), gatherRows(items, b))), 1).dataSync());
    assert.ok(sameBits(tripleMarginsKernel(users, items, u, a, b).dataSync(), stock));
    assert.throws(() => tripleMarginsKernel(users, items, u, Int32Array.from(a, (x, k) => (k === 3 ? I : x)), b), /item index out of range \[0, 17\) in 1 of 103/);
    tf.dispose([users, items]);
  });

  it('runs on a second thread when told to (the compiled worker script is present)', () => {
    const g = new FixedGemm(new Float32Array(8), 2, 4, 2);
    assert.strictEqual(g.threads, 2);
    g.dispose();
  });

  it('rejects bad operands with clear errors, and use after dispose', () => {
    const g = new FixedGemm(new Float32Array(12), 3, 4, 2);
    assert.throws(() => g.forward(new Float32Array(16), 4, Int32Array.from([0, 3])), /row index out of range \[0, 3\) in 1 of 2 entries/);
    assert.throws(() => g.forward(new Float32Array(16), 4, Int32Array.from([-1])), /out of range/);
    assert.throws(() => g.forward(new Float32Array(15), 4), /W has 15 values, expected 4 x 4/);
    assert.throws(() => g.weightGrad(new Float32Array(11), 4), /G has 11 values, expected 3 x 4/);
    assert.throws(() => g.forward(new Float32Array(12), 3), /width 3 must be a positive multiple of 4/);
    assert.deepStrictEqual(Array.from(g.forward(new Float32Array(16).fill(1), 4, new Int32Array(0))), []);
    g.dispose();
    assert.throws(() => g.forward(new Float32Array(16), 4), /used after dispose/);
    assert.throws(() => new FixedGemm(new Float32Array(5), 2, 3), /5 values for a 2 x 3 matrix/);
  });

  it('CKD_GEMM_THREADS is checked', () => {
    const saved = process.env.CKD_GEMM_THREADS;
    try {
      process.env.CKD_GEMM_THREADS = '3';
      assert.strictEqual(defaultGemmThreads(), 3);
      process.env.CKD_GEMM_THREADS = 'two';
      assert.throws(() => defaultGemmThreads(), /CKD_GEMM_THREADS must be an integer from 1 to 16 \(got 'two'\)/);
    } finally {
      if (saved === undefined) delete process.env.CKD_GEMM_THREADS; else process.env.CKD_GEMM_THREADS = saved;
    }
  });

  it('WasmHeap reuses and merges freed blocks in any order', () => {
    const heap = new WasmHeap(new WebAssembly.Memory({ initial: 1 }), 1024);
    const rng = new Rng('heap');
    for (let round = 0; round < 3; round++) {
      const blocks = Array.from({ length: 20 }, () => heap.alloc(1 + rng.int(100_000)));
      const ends = blocks.map(b => b % 16);
      assert.ok(ends.every(e => e === 0), 'aligned');
      for (let i = blocks.length - 1; i > 0; i--) { const j = rng.int(i + 1); [blocks[i], blocks[j]] = [blocks[j], blocks[i]]; }
      for (const b of blocks) heap.release(b);
      assert.strictEqual(heap.inUse(), 0);
      assert.strictEqual(heap.alloc(16), 1024, 'everything merged back: the next block starts at the base');
      heap.release(1024);
    }
    assert.throws(() => heap.release(4096), /not an allocated block/);
  });
});
