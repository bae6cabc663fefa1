import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { CkdError } from '../errors';
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
 * Attributes carry the SparseMatrix object itself.
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
  [K.sddmm]: (c, { p, q }, { matrix }) => {
    const A = live(matrix);
    const d = cols(p!);
    expectShape(p!, [A.numRows, d], 'P');
    expectShape(q!, [A.numCols, d], 'Q');
    const out = c.output([A.nnz], 'float32');
    c.exports.sddmm(c.constant(A.csr.indptr), c.constant(A.csr.indices), c.input(p!), c.input(q!), out.ptr, A.numRows, d);
    return out.info;
  },
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
    const out = c.output([A.nnz], 'float32');
    c.exports.segment_softmax(c.constant(A.csr.indptr), c.input(logits!), out.ptr, A.numRows);
    return out.info;
  },
  [K.segmentSoftmaxGrad]: (c, { y, dy }, { matrix }) => {
    const A = live(matrix);
    const out = c.output([A.nnz], 'float32');
    c.exports.segment_softmax_grad(c.constant(A.csr.indptr), c.input(y!), c.input(dy!), out.ptr, A.numRows);
    return out.info;
  },
};

function spmmInto(c: KernelCall, matrix: SparseMatrix | undefined, transpose: boolean, x: TensorInfo, w: TensorInfo | null): TensorInfo {
  const A = live(matrix);
  const s = transpose ? A.csc : A.csr;
  const [nIn, nOut] = transpose ? [A.numRows, A.numCols] : [A.numCols, A.numRows];
  const d = cols(x);
  expectShape(x, [nIn, d], 'X');
  if (w) expectShape(w, [A.nnz], 'edge weights');
  const values = w ? c.input(w) : c.constant(s.values);
  const perm = w && transpose ? c.constant(A.csc.perm) : 0;
  const out = c.output([nOut, d], 'float32');
  c.exports.spmm(c.constant(s.indptr), c.constant(s.indices), values, perm, c.input(x), out.ptr, nOut, d);
  return out.info;
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
