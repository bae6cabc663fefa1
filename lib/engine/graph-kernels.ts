import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { CkdError } from '../errors';
import { planRows, RowKernel, rowArgs, SplitCall, withSplitCall } from './graph-threads';
import { KernelCall, projectKernelsActive, registerProjectKernel } from './kernel-heap';
import type { SparseMatrix } from './sparse-matrix';
import { registerWebGpuGraphKernels } from './webgpu-graph-kernels';

/**
 * The graph ops as tfjs kernels ('wasm' and 'cpu' backends) running kernels/graph.c, and on
 * 'webgpu' as WGSL programs (webgpu-graph-kernels.ts), each with its gradient expressed through
 * the others:
 *   CkdSpmm          {x}        Y = A X, or A^T X with transpose
 *   CkdSpmmWeighted  {w, x}     the same with edge values w (CSR edge order)
 *   CkdSddmm         {p, q}     s_k = <P[row k], Q[col k]>
 *   CkdGatherRows    {x, indices}        Y[i] = X[indices[i]]
 *   CkdSegmentSum    {x, segmentIds}     Y[segmentIds[i]] += X[i]
 *   CkdSegmentSoftmax     {logits}   softmax within each CSR row
 *   CkdSegmentSoftmaxGrad {y, dy}
 * Attributes carry the SparseMatrix object itself. The sparse-dense products, SDDMM and the
 * segment softmax and its gradient split large calls over threads (graph-threads.ts), with the
 * same bits as on one thread; row gather and segment sum stay on one: they only move memory,
 * and the copies to and from the threads would cost as much again.
 */
export const K = {
  spmm: 'CkdSpmm',
  spmmWeighted: 'CkdSpmmWeighted',
  sddmm: 'CkdSddmm',
  gatherRows: 'CkdGatherRows',
  segmentSum: 'CkdSegmentSum',
  segmentSoftmax: 'CkdSegmentSoftmax',
  segmentSoftmaxGrad: 'CkdSegmentSoftmaxGrad',
} as const;

const MODULE = 'graph';

interface Attrs { matrix?: SparseMatrix; transpose?: boolean; numSegments?: number; numRows?: number }
type Run = (c: KernelCall, inputs: NamedTensorInfoMap, attrs: Attrs) => TensorInfo;

const forward: Record<string, Run> = {
  [K.spmm]: (c, { x }, { matrix, transpose }) => spmmInto(c, matrix!, !!transpose, x!, null),
  [K.spmmWeighted]: (c, { w, x }, { matrix, transpose }) => spmmInto(c, matrix!, !!transpose, x!, w!),
  [K.sddmm]: (c, { p, q }, { matrix }) => sddmmInto(c, matrix, p!, q!),
  [K.gatherRows]: (c, { x, indices }) => {
    const [n, d] = x!.shape;
    const k = indices!.shape[0];
    const idx = c.input(indices!);
    checkRange(c, idx, k, n, 'gatherRows: index');
    const out = c.output([k, d], 'float32');
    c.exports.gather_rows(c.input(x!), idx, out.ptr, k, d);
    return out.info;
  },
  [K.segmentSum]: (c, { x, segmentIds }, { numSegments }) => {
    const [k, d] = x!.shape;
    const ns = numSegments!;
    if (segmentIds!.shape[0] !== k) throw new Error(`segmentSum: ${segmentIds!.shape[0]} segment ids for ${k} rows`);
    const seg = c.input(segmentIds!);
    checkRange(c, seg, k, ns, 'segmentSum: segment id');
    const out = c.output([ns, d], 'float32');
    c.exports.segment_sum(c.input(x!), seg, out.ptr, k, ns, d);
    return out.info;
  },
  [K.segmentSoftmax]: (c, { logits }, { matrix }) => {
    const A = live(matrix);
    expectShape(logits!, [A.nnz], 'logits');
    return perEdgeInto(c, A, SOFTMAX_WORK, 'segment_softmax', [logits!]);
  },
  [K.segmentSoftmaxGrad]: (c, { y, dy }, { matrix }) => perEdgeInto(c, live(matrix), SOFTMAX_GRAD_WORK, 'segment_softmax_grad', [y!, dy!]),
};

/*
 * The kernels below split their output rows over threads when the call is large enough
 * (graph-threads.ts). Every kernel of graph.c reads row r's entries through indptr[r] (absolute
 * entry ids), so rows lo..hi are the call with indptr + lo, the row-indexed dense pointers
 * advanced by lo rows and nrows = hi - lo: a RowKernel. This thread runs it in place on the tfjs
 * heap (`here`), the workers on shared copies of the inputs; then the workers' rows are copied back.
 */

/** Runs `k` on this thread over rows lo..hi. */
function runHere(c: KernelCall, k: RowKernel, lo: number, hi: number): void {
  c.exports[k.fn](...rowArgs(k, lo, hi));
}

function spmmInto(c: KernelCall, matrix: SparseMatrix | undefined, transpose: boolean, x: TensorInfo, w: TensorInfo | null): TensorInfo {
  const A = live(matrix);
  const s = transpose ? A.csc : A.csr;
  const [nIn, nOut] = transpose ? [A.numRows, A.numCols] : [A.numCols, A.numRows];
  const d = cols(x);
  expectShape(x, [nIn, d], 'X');
  if (w) expectShape(w, [A.nnz], 'edge weights');
  const values = w ? c.input(w) : c.constant(s.values);
  const perm = w && transpose ? c.constant(A.csc.perm) : 0;
  const xAt = c.input(x);
  const out = c.output([nOut, d], 'float32');
  // spmm(indptr, indices, values, perm, x, y, nrows, d)
  const stride = [4, 0, 0, 0, 0, 4 * d, 0, 0];
  const local: RowKernel = { fn: 'spmm', base: [c.constant(s.indptr), c.constant(s.indices), values, perm, xAt, out.ptr, 0, d], stride, countAt: 6 };
  const plan = planRows(s.indptr, nOut, A.nnz * d);
  if (!plan) {
    runHere(c, local, 0, nOut);
    return out.info;
  }
  withSplitCall(plan, sc => {
    const sValues = w ? sc.copyIn(c.f32(values, A.nnz)) : sc.constant(s.values);
    const sPerm = perm ? sc.constant(A.csc.perm) : 0;
    const sIndptr = sc.constant(s.indptr), sIndices = sc.constant(s.indices);
    const sX = sc.copyIn(c.f32(xAt, nIn * d));
    const sY = sc.alloc(nOut * d);
    const theirs = sc.run({ fn: 'spmm', base: [sIndptr, sIndices, sValues, sPerm, sX, sY, 0, d], stride, countAt: 6 }, (lo, hi) => runHere(c, local, lo, hi));
    copyBack(c, out.ptr, sc, sY, theirs.map(([lo, hi]) => [lo * d, hi * d]), nOut * d);
  });
  return out.info;
}

function sddmmInto(c: KernelCall, matrix: SparseMatrix | undefined, p: TensorInfo, q: TensorInfo): TensorInfo {
  const A = live(matrix);
  const d = cols(p);
  expectShape(p, [A.numRows, d], 'P');
  expectShape(q, [A.numCols, d], 'Q');
  const pAt = c.input(p), qAt = c.input(q);
  const out = c.output([A.nnz], 'float32');
  // sddmm(indptr, indices, p, q, out, nrows, d)
  const stride = [4, 0, 4 * d, 0, 0, 0, 0];
  const local: RowKernel = { fn: 'sddmm', base: [c.constant(A.csr.indptr), c.constant(A.csr.indices), pAt, qAt, out.ptr, 0, d], stride, countAt: 5 };
  const plan = planRows(A.csr.indptr, A.numRows, SDDMM_WORK_PER_ENTRY * A.nnz * d);
  if (!plan) {
    runHere(c, local, 0, A.numRows);
    return out.info;
  }
  withSplitCall(plan, sc => {
    const sIndptr = sc.constant(A.csr.indptr), sIndices = sc.constant(A.csr.indices);
    const sQ = sc.copyIn(c.f32(qAt, A.numCols * d));
    const sP = p.dataId === q.dataId ? sQ : sc.copyIn(c.f32(pAt, A.numRows * d)); // one copy when P is Q
    const sOut = sc.alloc(A.nnz);
    const theirs = sc.run({ fn: 'sddmm', base: [sIndptr, sIndices, sP, sQ, sOut, 0, d], stride, countAt: 5 }, (lo, hi) => runHere(c, local, lo, hi));
    copyBack(c, out.ptr, sc, sOut, edgeRanges(A, theirs), A.nnz);
  });
  return out.info;
}

/*
 * Work of a call against graph-threads.ts's minimum, in edges x columns of Y = A X, weighed by
 * what two threads were measured to gain at Baby's sizes (bench/graph-threads.ts, docs/speed.md):
 * SDDMM does more arithmetic per byte copied and splits from half the edges Y = A X needs; the
 * segment softmax (an exp per edge, one value copied in and one out) from about 230k edges; its
 * gradient (0.5-1 ms at 240k-480k edges) gains less than its three copies cost: from 4M edges.
 */
const SDDMM_WORK_PER_ENTRY = 2;
const SOFTMAX_WORK = 72;
const SOFTMAX_GRAD_WORK = 4;

/**
 * A kernel f(indptr, in_1, ..., in_n, out, nrows) from per-edge inputs to a per-edge output,
 * row by row (the segment softmax and its gradient).
 */
function perEdgeInto(c: KernelCall, A: SparseMatrix, workPerEdge: number, fn: 'segment_softmax' | 'segment_softmax_grad', inputs: TensorInfo[]): TensorInfo {
  for (const t of inputs) expectShape(t, [A.nnz], fn);
  const ins = inputs.map(t => c.input(t));
  const out = c.output([A.nnz], 'float32');
  const stride = [4, ...ins.map(() => 0), 0, 0];
  const countAt = ins.length + 2;
  const local: RowKernel = { fn, base: [c.constant(A.csr.indptr), ...ins, out.ptr, 0], stride, countAt };
  const plan = planRows(A.csr.indptr, A.numRows, A.nnz * workPerEdge);
  if (!plan) {
    runHere(c, local, 0, A.numRows);
    return out.info;
  }
  withSplitCall(plan, sc => {
    const sIndptr = sc.constant(A.csr.indptr);
    const sIns = ins.map(at => sc.copyIn(c.f32(at, A.nnz)));
    const sOut = sc.alloc(A.nnz);
    const theirs = sc.run({ fn, base: [sIndptr, ...sIns, sOut, 0], stride, countAt }, (lo, hi) => runHere(c, local, lo, hi));
    copyBack(c, out.ptr, sc, sOut, edgeRanges(A, theirs), A.nnz);
  });
  return out.info;
}

/** The edges (CSR entry ids) of these row ranges. */
function edgeRanges(A: SparseMatrix, rows: [number, number][]): [number, number][] {
  return rows.map(([lo, hi]) => [A.csr.indptr[lo], A.csr.indptr[hi]]);
}

/** Float32 values in `ranges` of a shared result (`length` values) into the tfjs output at `outAt`. */
function copyBack(c: KernelCall, outAt: number, sc: SplitCall, sharedAt: number, ranges: [number, number][], length: number): void {
  const to = c.f32(outAt, length), from = sc.f32(sharedAt, length);
  for (const [lo, hi] of ranges) if (hi > lo) to.set(from.subarray(lo, hi), lo);
}

function checkRange(c: KernelCall, ptr: number, k: number, n: number, what: string): void {
  const bad = c.exports.count_out_of_range(ptr, k, n);
  if (bad > 0) throw new CkdError(`${what} out of range [0, ${n}) in ${bad} of ${k} entries`);
}

function live(m: SparseMatrix | undefined): SparseMatrix {
  if (!m) throw new Error('graph kernel called without its matrix');
  m.checkLive();
  return m;
}

function cols(t: TensorInfo): number {
  if (t.shape.length !== 2) throw new Error(`expected a 2-d tensor, got shape [${t.shape}]`);
  if (t.dtype !== 'float32') throw new Error(`expected float32, got ${t.dtype}`);
  return t.shape[1];
}

function expectShape(t: TensorInfo, shape: number[], what: string): void {
  if (t.shape.length !== shape.length || t.shape.some((n, i) => n !== shape[i])) {
    throw new Error(`${what}: shape [${t.shape}] where [${shape}] is needed`);
  }
  if (t.dtype !== 'float32') throw new Error(`${what}: float32 needed, got ${t.dtype}`);
}

/** Runs a registered graph kernel (the op must be recorded for autodiff). */
export function run(name: string, inputs: Record<string, tf.Tensor>, attrs: Attrs): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs as unknown as NamedAttrMap) as tf.Tensor;
}

let registered = false;

/** Registers the kernels and gradients (once per process; idempotent). */
export function registerGraphKernels(): void {
  if (registered) return;
  for (const [name, f] of Object.entries(forward)) {
    registerProjectKernel(name, MODULE, (c, { inputs, attrs }) => f(c, inputs, attrs as Attrs));
  }
  registerWebGpuGraphKernels();
  for (const g of gradients) if (!tf.getGradient(g.kernelName)) tf.registerGradient(g);
  registered = true;
}

/** Whether the active backend runs these kernels (else graph-ops uses tfjs's own ops). */
export function kernelsOnActiveBackend(): boolean {
  registerGraphKernels();
  return projectKernelsActive() || tf.getBackend() === 'webgpu';
}

const attrsOf = (a: NamedAttrMap) => a as unknown as Attrs;

const gradients: tf.GradConfig[] = [
  {
    kernelName: K.spmm,
    gradFunc: (dy, _saved, a) => {
      const { matrix, transpose } = attrsOf(a);
      return { x: () => run(K.spmm, { x: dy as tf.Tensor }, { matrix, transpose: !transpose }) };
    },
  },
  {
    kernelName: K.spmmWeighted,
    inputsToSave: ['w', 'x'],
    gradFunc: (dy, saved, a) => {
      const { matrix, transpose } = attrsOf(a);
      const [w, x] = saved;
      const g = dy as tf.Tensor;
      return {
        x: () => run(K.spmmWeighted, { w, x: g }, { matrix, transpose: !transpose }),
        // dY/dw_k pairs row k of one side with column k of the other.
        w: () => run(K.sddmm, transpose ? { p: x, q: g } : { p: g, q: x }, { matrix }),
      };
    },
  },
  {
    kernelName: K.sddmm,
    inputsToSave: ['p', 'q'],
    gradFunc: (ds, saved, a) => {
      const { matrix } = attrsOf(a);
      const [p, q] = saved;
      const w = ds as tf.Tensor;
      return {
        p: () => run(K.spmmWeighted, { w, x: q }, { matrix, transpose: false }),
        q: () => run(K.spmmWeighted, { w, x: p }, { matrix, transpose: true }),
      };
    },
  },
  {
    kernelName: K.gatherRows,
    inputsToSave: ['indices'],
    gradFunc: (dy, saved, a) => ({
      x: () => run(K.segmentSum, { x: dy as tf.Tensor, segmentIds: saved[0] }, { numSegments: attrsOf(a).numRows }),
    }),
  },
  {
    kernelName: K.segmentSum,
    inputsToSave: ['segmentIds'],
    gradFunc: (dy, saved) => ({
      x: () => run(K.gatherRows, { x: dy as tf.Tensor, indices: saved[0] }, { numRows: (dy as tf.Tensor).shape[0] }),
    }),
  },
  {
    kernelName: K.segmentSoftmax,
    outputsToSave: [true],
    gradFunc: (dy, saved, a) => ({
      logits: () => run(K.segmentSoftmaxGrad, { y: saved[0], dy: dy as tf.Tensor }, { matrix: attrsOf(a).matrix }),
    }),
  },
];
