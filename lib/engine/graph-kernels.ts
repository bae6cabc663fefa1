import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { CkdError } from '../errors';
import { planRows, SplitCall, withSplitCall } from './graph-threads';
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
 * (graph-threads.ts): `here(lo, hi)` computes rows lo..hi on this thread, in place on the tfjs
 * heap; the workers run the same kernel on shared copies. Every kernel of graph.c reads row r's
 * entries through indptr[r] (absolute entry ids), so rows lo..hi are the call with indptr + lo,
 * the row-indexed dense pointers advanced by lo rows and nrows = hi - lo.
 */

function spmmInto(c: KernelCall, matrix: SparseMatrix | undefined, transpose: boolean, x: TensorInfo, w: TensorInfo | null): TensorInfo {
  const A = live(matrix);
  const s = transpose ? A.csc : A.csr;
  const [nIn, nOut] = transpose ? [A.numRows, A.numCols] : [A.numCols, A.numRows];
  const d = cols(x);
  expectShape(x, [nIn, d], 'X');
  if (w) expectShape(w, [A.nnz], 'edge weights');
  const indptr = c.constant(s.indptr), indices = c.constant(s.indices);
  const values = w ? c.input(w) : c.constant(s.values);
  const perm = w && transpose ? c.constant(A.csc.perm) : 0;
  const xAt = c.input(x);
  const out = c.output([nOut, d], 'float32');
  const here = (lo: number, hi: number) => c.exports.spmm(indptr + 4 * lo, indices, values, perm, xAt, out.ptr + 4 * lo * d, hi - lo, d);
  const bounds = planRows(s.indptr, nOut, A.nnz * d);
  if (!bounds) {
    here(0, nOut);
    return out.info;
  }
  withSplitCall(bounds, sc => {
    const first = bounds[1];
    // Edge weights: through perm (any edge) for A^T, else only the workers' rows' edges.
    const sValues = w ? sc.copyIn(c.f32(values, A.nnz), transpose ? 0 : s.indptr[first]) : sc.constant(s.values);
    const sPerm = perm ? sc.constant(A.csc.perm) : 0;
    const sIndptr = sc.constant(s.indptr), sIndices = sc.constant(s.indices);
    const sX = sc.copyIn(c.f32(xAt, nIn * d));
    const sY = sc.alloc(nOut * d);
    sc.run((lo, hi) => ({ fn: 'spmm', args: [sIndptr + 4 * lo, sIndices, sValues, sPerm, sX, sY + 4 * lo * d, hi - lo, d] }), here);
    copyBack(c, out.ptr, sc, sY, first * d, nOut * d);
  });
  return out.info;
}

function sddmmInto(c: KernelCall, matrix: SparseMatrix | undefined, p: TensorInfo, q: TensorInfo): TensorInfo {
  const A = live(matrix);
  const d = cols(p);
  expectShape(p, [A.numRows, d], 'P');
  expectShape(q, [A.numCols, d], 'Q');
  const indptr = c.constant(A.csr.indptr), indices = c.constant(A.csr.indices);
  const pAt = c.input(p), qAt = c.input(q);
  const out = c.output([A.nnz], 'float32');
  const here = (lo: number, hi: number) => c.exports.sddmm(indptr + 4 * lo, indices, pAt + 4 * lo * d, qAt, out.ptr, hi - lo, d);
  const bounds = planRows(A.csr.indptr, A.numRows, SDDMM_WORK_PER_ENTRY * A.nnz * d);
  if (!bounds) {
    here(0, A.numRows);
    return out.info;
  }
  withSplitCall(bounds, sc => {
    const first = bounds[1];
    const sIndptr = sc.constant(A.csr.indptr), sIndices = sc.constant(A.csr.indices);
    // Workers read every row of Q and their own rows of P (the same copy when P is Q).
    const sQ = sc.copyIn(c.f32(qAt, A.numCols * d));
    const sP = p.dataId === q.dataId ? sQ : sc.copyIn(c.f32(pAt, A.numRows * d), first * d);
    const sOut = sc.alloc(A.nnz);
    sc.run((lo, hi) => ({ fn: 'sddmm', args: [sIndptr + 4 * lo, sIndices, sP + 4 * lo * d, sQ, sOut, hi - lo, d] }), here);
    copyBack(c, out.ptr, sc, sOut, A.csr.indptr[first], A.nnz);
  });
  return out.info;
}

/*
 * Work of a call, against graph-threads.ts's minimum: edges x columns for the products, weighted
 * by where splitting was measured to pay at Baby's sizes and below (bench/graph-threads.ts).
 * SDDMM does more arithmetic per byte copied than Y = A X; the segment softmax computes an exp
 * per edge and copies one value in and one out; its gradient (0.9 ms at Baby's 479k edges) gains
 * less than its three copies cost, so it splits only beyond a million edges.
 */
const SDDMM_WORK_PER_ENTRY = 2;
const SOFTMAX_WORK = 48;
const SOFTMAX_GRAD_WORK = 4;

/**
 * A kernel f(indptr, in_1, ..., in_n, out, nrows) from per-edge inputs to a per-edge output,
 * row by row (the segment softmax and its gradient).
 */
function perEdgeInto(c: KernelCall, A: SparseMatrix, workPerEdge: number, fn: 'segment_softmax' | 'segment_softmax_grad', inputs: TensorInfo[]): TensorInfo {
  for (const t of inputs) expectShape(t, [A.nnz], fn);
  const indptr = c.constant(A.csr.indptr);
  const ins = inputs.map(t => c.input(t));
  const out = c.output([A.nnz], 'float32');
  const here = (lo: number, hi: number) => c.exports[fn](indptr + 4 * lo, ...ins, out.ptr, hi - lo);
  const bounds = planRows(A.csr.indptr, A.numRows, A.nnz * workPerEdge);
  if (!bounds) {
    here(0, A.numRows);
    return out.info;
  }
  withSplitCall(bounds, sc => {
    const from = A.csr.indptr[bounds[1]];
    const sIndptr = sc.constant(A.csr.indptr);
    const sIns = ins.map(at => sc.copyIn(c.f32(at, A.nnz), from));
    const sOut = sc.alloc(A.nnz);
    sc.run((lo, hi) => ({ fn, args: [sIndptr + 4 * lo, ...sIns, sOut, hi - lo] }), here);
    copyBack(c, out.ptr, sc, sOut, from, A.nnz);
  });
  return out.info;
}

/** Float32 values from .. to of a shared result into the tfjs output at `outAt`. */
function copyBack(c: KernelCall, outAt: number, sc: SplitCall, sharedAt: number, from: number, to: number): void {
  if (to > from) c.f32(outAt, to).set(sc.f32(sharedAt + 4 * from, to - from), from);
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
