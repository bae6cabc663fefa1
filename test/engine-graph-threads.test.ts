/**
 * The graph kernels split over threads (lib/engine/graph-threads.ts) give the same bits as on one
 * thread, for 2 and 3 threads, with every call split and with the default size threshold: forward
 * and gradients of the sparse-dense products (plain and edge-weighted, A and A^T), SDDMM and the
 * segment softmax, on a user-item graph of realistic shape, a non-square one and corner cases.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../lib/engine/backend';
import { CsrMatrix, csrFromEdges } from '../lib/engine/csr';
import { K, run } from '../lib/engine/graph-kernels';
import { sddmm, segmentSoftmax, spmm, spmmWeighted } from '../lib/engine/graph-ops';
import {
  DEFAULT_MINIMUM_WORK, defaultGraphThreads, setGraphCallerTakesChunks, setGraphMinimumWork, setGraphThreads, sharedGraphBytes, splitRows, splitStats,
} from '../lib/engine/graph-threads';
import { KernelThread } from '../lib/engine/kernel-thread';
import { Rng } from '../lib/engine/random';
import { SparseMatrix } from '../lib/engine/sparse-matrix';
import { resolveWasmFile } from '../lib/engine/wasm-module';

/** The CSR matrix of these edges with random values in [0.05, 1.05). */
const randomValued = (rows: number, cols: number, dst: number[], src: number[], rng: Rng): CsrMatrix =>
  csrFromEdges(rows, cols, dst, src, () => 0.05 + rng.next());

/**
 * Users then items, each interaction stored both ways (rows are targets), values 1/sqrt(deg deg),
 * a few users without interactions; `heavy` items take a large share (popularity skew).
 */
function userItemGraph(rng: Rng, users: number, items: number, interactions: number): CsrMatrix {
  const n = users + items;
  const src: number[] = [], dst: number[] = [];
  for (let e = 0; e < interactions; e++) {
    const u = rng.int(users - 3); // the last three users have no edges
    const i = users + (rng.next() < 0.3 ? rng.int(Math.max(1, items >> 4)) : rng.int(items));
    src.push(u, i); dst.push(i, u);
  }
  return randomValued(n, n, dst, src, rng);
}


const randn = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

/** Bits of every output, one array per tensor (the tensors are disposed). */
function bits(f: () => tf.Tensor | tf.Tensor[]): Uint32Array[] {
  const out = f();
  const list = Array.isArray(out) ? out : [out];
  const b = list.map(t => new Uint32Array(Float32Array.from(t.dataSync() as Float32Array).buffer));
  tf.dispose(list);
  return b;
}

function assertSameBits(a: Uint32Array[], b: Uint32Array[], what: string): void {
  assert.strictEqual(a.length, b.length, `${what}: number of outputs`);
  a.forEach((x, i) => {
    assert.strictEqual(x.length, b[i].length, `${what}: output ${i} length`);
    const k = x.findIndex((v, j) => v !== b[i][j]);
    assert.ok(k < 0, `${what}: output ${i} differs first at ${k}`);
  });
}

/** Every operation and gradient under test on A (rows x cols), width d. */
function operations(A: SparseMatrix, d: number): [string, () => tf.Tensor | tf.Tensor[]][] {
  const seed = d * 7;
  const Xc = randn([A.numCols, d], seed + 1) as tf.Tensor2D, Xr = randn([A.numRows, d], seed + 2) as tf.Tensor2D;
  const Yr = randn([A.numRows, d], seed + 3) as tf.Tensor2D, Yc = randn([A.numCols, d], seed + 4) as tf.Tensor2D;
  const w = tf.randomUniform([A.nnz], 0, 1, 'float32', seed + 5) as tf.Tensor1D;
  const z = tf.tidy(() => tf.mul(randn([A.nnz], seed + 6), 3)) as tf.Tensor1D;
  keep.push(Xc, Xr, Yr, Yc, w, z);
  const square = A.numRows === A.numCols;
  const ops: [string, () => tf.Tensor | tf.Tensor[]][] = [
    ['A X', () => spmm(A, Xc)],
    ['A^T X', () => spmm(A, Xr, true)],
    ['A_w X', () => spmmWeighted(A, w, Xc)],
    ['A_w^T X', () => spmmWeighted(A, w, Xr, true)],
    ['sddmm(P, Q)', () => sddmm(A, Xr, Xc)],
    ['segmentSoftmax', () => segmentSoftmax(A, z)],
    ['segmentSoftmax gradient kernel', () => run(K.segmentSoftmaxGrad, { y: w, dy: z }, { matrix: A })],
    ['d(A X)/dX', () => tf.grads((x) => spmm(A, x as tf.Tensor2D))([Xc], Yr)],
    ['d(A^T X)/dX', () => tf.grads((x) => spmm(A, x as tf.Tensor2D, true))([Xr], Yc)],
    ['d(A_w X)/d(w, X)', () => tf.grads((ww, x) => spmmWeighted(A, ww as tf.Tensor1D, x as tf.Tensor2D))([w, Xc], Yr)],
    ['d(A_w^T X)/d(w, X)', () => tf.grads((ww, x) => spmmWeighted(A, ww as tf.Tensor1D, x as tf.Tensor2D, true))([w, Xr], Yc)],
    ['d sddmm/d(P, Q)', () => tf.grads((p, q) => sddmm(A, p as tf.Tensor2D, q as tf.Tensor2D))([Xr, Xc], z)],
    ['d segmentSoftmax/dz', () => tf.grads((l) => segmentSoftmax(A, l as tf.Tensor1D))([z], w)],
  ];
  if (square) {
    ops.push(['sddmm(X, X)', () => sddmm(A, Xr, Xr)]);
    // An attention layer as GRCN and EgoGCN build it: scores, softmax per target, weighted sum.
    ops.push(['attention layer, d/dX', () => tf.grads((x) => {
      const a = segmentSoftmax(A, sddmm(A, x as tf.Tensor2D, x as tf.Tensor2D));
      return spmmWeighted(A, a, x as tf.Tensor2D);
    })([Xr], Yr)]);
  }
  return ops;
}

const keep: tf.Tensor[] = [];

describe('engine graph kernels on threads', function () {
  this.timeout(300000);
  before(async () => { await initEngine({ backend: 'wasm', quiet: true }); });
  afterEach(() => {
    setGraphThreads(undefined);
    setGraphMinimumWork(undefined);
    setGraphCallerTakesChunks(undefined);
    tf.dispose(keep.splice(0));
  });

  // Amazon Baby's shape at a quarter (users, items, interactions), a non-square user x item
  // matrix, and graphs with fewer rows than threads or no edges at all.
  const cases: { name: string; make: (rng: Rng) => CsrMatrix; widths: number[] }[] = [
    { name: 'user-item graph, 4,861 + 1,762 nodes, 59,838 edges', make: rng => userItemGraph(rng, 4861, 1762, 29919), widths: [64, 12] },
    { name: 'user x item matrix, 900 x 400', make: rng => {
      const dst: number[] = [], src: number[] = [];
      for (let e = 0; e < 9000; e++) { dst.push(rng.int(900)); src.push(rng.int(400)); }
      return randomValued(900, 400, dst, src, rng);
    }, widths: [20, 1] },
    { name: 'two rows', make: rng => randomValued(2, 5, [0, 1, 1, 0], [4, 0, 3, 2], rng), widths: [16] },
    { name: 'no edges', make: rng => randomValued(6, 6, [], [], rng), widths: [8] },
  ];
  for (const c of cases) {
    it(`${c.name}: the same bits on 2 and 3 threads as on 1, forward and gradients`, () => {
      const A = new SparseMatrix(c.make(new Rng(c.name)));
      try {
        for (const d of c.widths) {
          for (const [what, f] of operations(A, d)) {
            setGraphThreads(1);
            const one = bits(f);
            for (const threads of [2, 3]) {
              setGraphThreads(threads);
              // Chunks shared with this thread (whoever comes first), every call, or only the larger
              // ones (1 << 22 splits this graph's SDDMM and softmax, not its Y = A X), as in a model
              // whose calls differ in size; and all chunks left to the workers, so that their part
              // is certain to be checked.
              for (const [minimum, callerTakes] of [[0, true], [1 << 22, true], [0, false]] as const) {
                setGraphMinimumWork(minimum);
                setGraphCallerTakesChunks(callerTakes);
                const before = splitStats();
                assertSameBits(bits(f), one, `${what}, width ${d}, ${threads} threads, minimum work ${minimum}${callerTakes ? '' : ', workers only'}`);
                const after = splitStats();
                if (!callerTakes) assert.strictEqual(after.workerChunks - before.workerChunks, after.chunks - before.chunks, 'chunks left to this thread');
                if (minimum === 0) assert.ok(after.calls > before.calls, `${what}: not split`);
              }
              setGraphMinimumWork(undefined);
              setGraphCallerTakesChunks(undefined);
            }
          }
        }
      } finally {
        A.dispose();
      }
    });
  }

  it('on a large graph, the calling thread and the workers both take chunks', () => {
    const A = new SparseMatrix(userItemGraph(new Rng('both'), 4861, 1762, 29919));
    const X = randn([A.numRows, 64], 5) as tf.Tensor2D;
    try {
      setGraphThreads(2);
      setGraphMinimumWork(0);
      // Which thread takes which chunk depends on timing: on a busy machine a worker may wake late.
      const before = splitStats();
      let theirs = 0, all = 0;
      for (let k = 0; k < 200 && !(theirs > 0 && theirs < all); k++) {
        tf.dispose(sddmm(A, X, X));
        const after = splitStats();
        theirs = after.workerChunks - before.workerChunks;
        all = after.chunks - before.chunks;
      }
      assert.ok(theirs > 0 && theirs < all, `the workers took ${theirs} of ${all} chunks`);
    } finally {
      X.dispose();
      A.dispose();
    }
  });

  it('the same bits on the cpu backend, where inputs are staged through the kernels\' own memory', async () => {
    await tf.setBackend('cpu');
    const A = new SparseMatrix(userItemGraph(new Rng('cpu'), 300, 120, 2000));
    try {
      setGraphMinimumWork(0);
      for (const [what, f] of operations(A, 24)) {
        setGraphThreads(1);
        const one = bits(f);
        setGraphThreads(3);
        for (const callerTakes of [true, false]) {
          setGraphCallerTakesChunks(callerTakes);
          assertSameBits(bits(f), one, `${what} on cpu, 3 threads${callerTakes ? '' : ', workers only'}`);
        }
      }
    } finally {
      A.dispose();
      await tf.setBackend('wasm');
    }
  });

  it('several gradient steps through a two-layer attention network end in the same bits', () => {
    const A = new SparseMatrix(userItemGraph(new Rng('steps'), 2000, 800, 12000));
    const train = (threads: number, callerTakes = true) => {
      setGraphThreads(threads);
      setGraphMinimumWork(0);
      setGraphCallerTakesChunks(callerTakes);
      const E = tf.variable(randn([A.numRows, 32], 9));
      for (let step = 0; step < 4; step++) {
        const g = tf.grads((e) => {
          const attend = (h: tf.Tensor2D) => spmmWeighted(A, segmentSoftmax(A, sddmm(A, h, h)), h);
          const h1 = tf.relu(attend(e as tf.Tensor2D)) as tf.Tensor2D;
          return tf.add(spmm(A, attend(h1), true), e);
        })([E])[0];
        E.assign(tf.tidy(() => tf.sub(E, tf.mul(g, 0.01))));
        g.dispose();
      }
      const out = Float32Array.from(E.dataSync() as Float32Array);
      E.dispose();
      return [new Uint32Array(out.buffer)];
    };
    try {
      const one = train(1);
      assertSameBits(train(2), one, '2 threads');
      assertSameBits(train(3), one, '3 threads');
      assertSameBits(train(2, false), one, '2 threads, workers only');
    } finally {
      A.dispose();
    }
  });

  it('small calls stay on one thread; shared copies are freed with their matrix; no tensors leak', () => {
    const before = sharedGraphBytes();
    const tensors = tf.memory().numTensors;
    setGraphThreads(2);
    const small = new SparseMatrix(userItemGraph(new Rng('small'), 50, 30, 200));
    tf.dispose(operations(small, 64).map(([, f]) => f()).flat());
    assert.strictEqual(sharedGraphBytes(), before, 'a small graph is copied to the threads\' memory');
    setGraphMinimumWork(0);
    tf.dispose(operations(small, 64).map(([, f]) => f()).flat());
    assert.ok(sharedGraphBytes() > before, 'split calls keep the structure in the shared memory');
    small.dispose();
    assert.strictEqual(sharedGraphBytes(), before, 'dispose() frees the shared copies');
    tf.dispose(keep.splice(0));
    assert.strictEqual(tf.memory().numTensors, tensors);
  });

  it('splitRows: contiguous ranges covering every row, balanced by edges and rows', () => {
    const m = userItemGraph(new Rng('split'), 4000, 1500, 20000);
    for (const threads of [1, 2, 3, 5, 16]) {
      const b = splitRows(m.indptr, m.numRows, threads);
      assert.strictEqual(b.length, threads + 1);
      assert.strictEqual(b[0], 0);
      assert.strictEqual(b[threads], m.numRows);
      const cost = (t: number) => m.indptr[b[t + 1]] - m.indptr[b[t]] + b[t + 1] - b[t];
      const total = m.indptr[m.numRows] + m.numRows;
      for (let t = 0; t < threads; t++) {
        assert.ok(b[t] <= b[t + 1]);
        assert.ok(Math.abs(cost(t) - total / threads) <= 0.01 * total, `thread ${t} of ${threads}: ${cost(t)} of ${total}`);
      }
    }
    // Fewer rows than parts leaves empty ranges.
    assert.deepStrictEqual(splitRows(Int32Array.from([0, 3]), 1, 3), [0, 1, 1, 1]);
  });

  it('CKD_GRAPH_THREADS is checked, and falls back to CKD_GEMM_THREADS', () => {
    const saved = { graph: process.env.CKD_GRAPH_THREADS, gemm: process.env.CKD_GEMM_THREADS };
    const restore = (name: string, v: string | undefined) => { if (v === undefined) delete process.env[name]; else process.env[name] = v; };
    try {
      process.env.CKD_GRAPH_THREADS = '3';
      process.env.CKD_GEMM_THREADS = '1';
      assert.strictEqual(defaultGraphThreads(), 3);
      process.env.CKD_GRAPH_THREADS = '';
      assert.strictEqual(defaultGraphThreads(), 1);
      delete process.env.CKD_GEMM_THREADS;
      assert.ok(defaultGraphThreads() >= 1 && defaultGraphThreads() <= 2);
      for (const bad of ['two', '0', '17', '1.5']) {
        process.env.CKD_GRAPH_THREADS = bad;
        assert.throws(() => defaultGraphThreads(), new RegExp(`CKD_GRAPH_THREADS must be an integer from 1 to 16 \\(got '${bad.replace('.', '\\.')}'\\)`));
      }
      assert.throws(() => setGraphThreads(0), /graph threads must be an integer from 1 to 16/);
    } finally {
      restore('CKD_GRAPH_THREADS', saved.graph);
      restore('CKD_GEMM_THREADS', saved.gemm);
    }
  });

  it('graph-shared.wasm is graph.wasm\'s code over a shared memory', () => {
    const sections = (name: string) => {
      const bytes = fs.readFileSync(resolveWasmFile(name));
      const out: { id: number; body: Buffer }[] = [];
      for (let p = 8; p < bytes.length;) {
        const id = bytes[p++];
        let size = 0, shift = 0, b: number;
        do { b = bytes[p++]; size += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
        out.push({ id, body: bytes.subarray(p, p + size) });
        p += size;
      }
      return out;
    };
    const plain = sections('graph'), shared = sections('graph-shared');
    assert.deepStrictEqual(shared.map(s => s.id), plain.map(s => s.id));
    // Only the import section (2) differs: the memory is declared shared there.
    plain.forEach((s, i) => { if (s.id !== 2) assert.ok(s.body.equals(shared[i].body), `section ${s.id} differs`); });
    const memory = new WebAssembly.Memory({ initial: 32, maximum: 65536, shared: true } as WebAssembly.MemoryDescriptor);
    new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(resolveWasmFile('graph-shared'))), { env: { memory } });
  });

  it('a worker\'s failure reaches the caller as one clear error, without waiting', () => {
    const script = path.join(__dirname, '..', 'lib', 'engine', 'graph-worker.js');
    const shared = (pages: number) => new WebAssembly.Memory({ initial: pages, maximum: 65536, shared: true } as WebAssembly.MemoryDescriptor);
    const request = { kernel: { fn: 'no_such_kernel', base: [], stride: [], countAt: 0 }, control: 0, chunks: 0, id: 1 };
    const t0 = Date.now();
    const worker = new KernelThread<typeof request>(script, 'graph kernel worker', { memory: shared(32) });
    worker.post(request);
    assert.throws(() => worker.wait(), /^CkdError: graph kernel worker: graph-shared.wasm has no kernel 'no_such_kernel'$/);
    // A memory smaller than the module needs: the kernels cannot be instantiated.
    const broken = new KernelThread<typeof request>(script, 'graph kernel worker', { memory: shared(1) });
    broken.post(request);
    assert.throws(() => broken.wait(), /graph kernel worker: cannot set up graph-shared.wasm: .*memory/);
    // A worker thread that exits while the caller blocks: the caller is told at once, and later posts fail.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-worker-'));
    try {
      const exiting = path.join(dir, 'exiting-worker.js');
      fs.writeFileSync(exiting, `const { workerData } = require('worker_threads');
require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'engine', 'kernel-thread.js'))}).serveKernelRequests(workerData, () => process.exit(3), () => false);\n`);
      const gone = new KernelThread<typeof request>(exiting, 'graph kernel worker');
      gone.post(request);
      assert.throws(() => gone.wait(), /^CkdError: graph kernel worker failed: its thread exited$/);
      assert.throws(() => gone.post(request), /graph kernel worker failed/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(Date.now() - t0 < 60000);
  });
});
