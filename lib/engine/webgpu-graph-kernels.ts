import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { SparseMatrix } from './sparse-matrix';

/**
 * The graph kernels of graph-kernels.ts (same names, inputs and attributes, so the same gradients)
 * on the webgpu backend, as WGSL programs run by tfjs's WebGPU backend. Each output element is
 * computed by one invocation that walks its CSR (or CSC) row in order: no atomics, so the results
 * do not depend on scheduling, unlike tfjs's scatter-add. Row gathers and segment sums are tfjs's
 * own WebGPU kernels.
 */
interface WebGpuBackendLike {
  runWebGPUProgram(program: object, inputs: TensorInfo[], dtype: 'float32', uniforms?: { type: string; data: number[] }[]): TensorInfo;
  makeTensorInfo(shape: number[], dtype: 'int32' | 'float32', values: Int32Array | Float32Array): TensorInfo;
  disposeData(dataId: object): void;
}

/** The matrix's arrays on the GPU, uploaded once per matrix. */
interface DeviceArrays {
  csrIndptr: TensorInfo; csrIndices: TensorInfo; csrValues: TensorInfo; rowOfEdge: TensorInfo;
  cscIndptr: TensorInfo; cscIndices: TensorInfo; cscValues: TensorInfo; cscPerm: TensorInfo;
}

const uploaded = new WeakMap<SparseMatrix, DeviceArrays>();

function deviceArrays(A: SparseMatrix, backend: WebGpuBackendLike): DeviceArrays {
  A.checkLive();
  let d = uploaded.get(A);
  if (d) return d;
  const up = (values: Int32Array | Float32Array): TensorInfo =>
    backend.makeTensorInfo([Math.max(values.length, 1)], values instanceof Int32Array ? 'int32' : 'float32',
      values.length > 0 ? values : values instanceof Int32Array ? new Int32Array(1) : new Float32Array(1));
  d = {
    csrIndptr: up(A.csr.indptr), csrIndices: up(A.csr.indices), csrValues: up(A.csr.values), rowOfEdge: up(A.rowOfEdge()),
    cscIndptr: up(A.csc.indptr), cscIndices: up(A.csc.indices), cscValues: up(A.csc.values), cscPerm: up(A.csc.perm),
  };
  uploaded.set(A, d);
  const held = d;
  A.onDispose(() => { for (const t of Object.values(held)) backend.disposeData(t.dataId); uploaded.delete(A); });
  return d;
}

const WORKGROUP = 128;
/** WebGPU's guaranteed limit on workgroups along one dispatch dimension. */
const MAX_WORKGROUPS = 65535;

/** A flat program over `size` outputs: `index` is the output element. */
function program(key: string, variableNames: string[], outputShape: number[], body: string, uniforms = 'd : i32,'): object {
  const size = outputShape.reduce((a, b) => a * b, 1);
  if (Math.ceil(size / WORKGROUP) > MAX_WORKGROUPS) {
    throw new Error(`${key}: ${size} outputs exceed one dispatch (${MAX_WORKGROUPS} workgroups of ${WORKGROUP})`);
  }
  return {
    variableNames,
    outputShape,
    shaderKey: key,
    size: true,
    uniforms,
    workgroupSize: [WORKGROUP, 1, 1],
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [Math.max(1, Math.ceil(size / WORKGROUP)), 1, 1],
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

const dUniform = (d: number) => [{ type: 'int32', data: [d] }];

interface Attrs { matrix?: SparseMatrix; transpose?: boolean; numSegments?: number; numRows?: number }
type Args = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap };

function spmm(args: Args, weighted: boolean): TensorInfo {
  const backend = args.backend as WebGpuBackendLike;
  const { matrix, transpose } = args.attrs as unknown as Attrs;
  const A = matrix!;
  const a = deviceArrays(A, backend);
  const x = args.inputs.x!;
  const d = x.shape[1];
  const nOut = transpose ? A.numCols : A.numRows;
  const [indptr, indices] = transpose ? [a.cscIndptr, a.cscIndices] : [a.csrIndptr, a.csrIndices];
  // Edge weights are in CSR order: the transpose reads them through its permutation.
  const permuted = weighted && transpose;
  const vals = weighted ? args.inputs.w! : transpose ? a.cscValues : a.csrValues;
  const names = ['indptr', 'colIdx', 'vals', 'x', ...(permuted ? ['perm'] : [])];
  const weight = permuted ? 'vals[perm[k]]' : 'vals[k]';
  const p = program(`ckd_spmm_${permuted ? 'perm' : 'direct'}`, names, [nOut, d], `
          let r = index / uniforms.d;
          let c = index - r * uniforms.d;
          var acc = 0.0;
          let end = indptr[r + 1];
          for (var k = indptr[r]; k < end; k = k + 1) {
            acc = acc + ${weight} * x[colIdx[k] * uniforms.d + c];
          }
          setOutputAtIndex(index, acc);`);
  return backend.runWebGPUProgram(p, [indptr, indices, vals, x, ...(permuted ? [a.cscPerm] : [])], 'float32', dUniform(d));
}

function sddmm(args: Args): TensorInfo {
  const backend = args.backend as WebGpuBackendLike;
  const A = (args.attrs as unknown as Attrs).matrix!;
  const a = deviceArrays(A, backend);
  const { p, q } = args.inputs;
  const d = p!.shape[1];
  const prog = program('ckd_sddmm', ['rowOf', 'colIdx', 'p', 'q'], [A.nnz], `
          let pr = rowOf[index] * uniforms.d;
          let qr = colIdx[index] * uniforms.d;
          var acc = 0.0;
          for (var j = 0; j < uniforms.d; j = j + 1) {
            acc = acc + p[pr + j] * q[qr + j];
          }
          setOutputAtIndex(index, acc);`);
  return backend.runWebGPUProgram(prog, [a.rowOfEdge, a.csrIndices, p!, q!], 'float32', dUniform(d));
}

/** Softmax of each edge's logit within its CSR row: every invocation reduces its own row. */
function segmentSoftmax(args: Args): TensorInfo {
  const backend = args.backend as WebGpuBackendLike;
  const A = (args.attrs as unknown as Attrs).matrix!;
  const a = deviceArrays(A, backend);
  const prog = program('ckd_segment_softmax', ['rowOf', 'indptr', 'logits'], [A.nnz], `
          let r = rowOf[index];
          let start = indptr[r];
          let end = indptr[r + 1];
          var m = logits[start];
          for (var k = start + 1; k < end; k = k + 1) { m = max(m, logits[k]); }
          var total = 0.0;
          for (var k = start; k < end; k = k + 1) { total = total + exp(logits[k] - m); }
          setOutputAtIndex(index, exp(logits[index] - m) / total);`, '');
  return backend.runWebGPUProgram(prog, [a.rowOfEdge, a.csrIndptr, args.inputs.logits!], 'float32');
}

function segmentSoftmaxGrad(args: Args): TensorInfo {
  const backend = args.backend as WebGpuBackendLike;
  const A = (args.attrs as unknown as Attrs).matrix!;
  const a = deviceArrays(A, backend);
  const prog = program('ckd_segment_softmax_grad', ['rowOf', 'indptr', 'y', 'dy'], [A.nnz], `
          let r = rowOf[index];
          var dot = 0.0;
          for (var k = indptr[r]; k < indptr[r + 1]; k = k + 1) { dot = dot + y[k] * dy[k]; }
          setOutputAtIndex(index, y[index] * (dy[index] - dot));`, '');
  return backend.runWebGPUProgram(prog, [a.rowOfEdge, a.csrIndptr, args.inputs.y!, args.inputs.dy!], 'float32');
}

/** A stock webgpu kernel of tfjs, called from inside ours. */
function stock(name: string, args: Args, inputs: NamedTensorInfoMap, attrs: NamedAttrMap): TensorInfo {
  const k = tf.getKernel(name, 'webgpu');
  if (!k) throw new Error(`tfjs's webgpu backend has no ${name} kernel`);
  return k.kernelFunc({ inputs, backend: args.backend as never, attrs }) as TensorInfo;
}

const KERNELS: Record<string, (args: Args) => TensorInfo> = {
  CkdSpmm: (args) => spmm(args, false),
  CkdSpmmWeighted: (args) => spmm(args, true),
  CkdSddmm: sddmm,
  CkdSegmentSoftmax: segmentSoftmax,
  CkdSegmentSoftmaxGrad: segmentSoftmaxGrad,
  CkdGatherRows: (args) => stock('GatherV2', args, { x: args.inputs.x!, indices: args.inputs.indices! }, { axis: 0, batchDims: 0 }),
  CkdSegmentSum: (args) => stock('UnsortedSegmentSum', args, { x: args.inputs.x!, segmentIds: args.inputs.segmentIds! },
    { numSegments: (args.attrs as unknown as Attrs).numSegments! }),
};

let registered = false;

/** Registers the graph kernels for the webgpu backend (once; idempotent). */
export function registerWebGpuGraphKernels(): void {
  if (registered) return;
  for (const [kernelName, f] of Object.entries(KERNELS)) {
    if (!tf.getKernel(kernelName, 'webgpu')) tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc: f as unknown as KernelFunc });
  }
  registered = true;
}
