import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { CkdError } from '../errors';
import { projectKernelsActive, registerProjectKernel } from './kernel-heap';

/**
 * CkdGatherTranspose {x, indices?}: Y = (X[indices])^T, or X^T without indices, by
 * kernels/dense.c on 'wasm' and 'cpu'. tfjs's own Transpose on wasm takes ~1.5 s for a
 * 7050 x 4096 matrix; this takes a few tens of ms. No gradient (used inside gradients only).
 */
export const GATHER_TRANSPOSE = 'CkdGatherTranspose';
/**
 * CkdMatMul {a, b}: C = A B for row-major float32 matrices with B's width a multiple of 8, by
 * kernels/gemm.c inside tfjs's memory (one thread). The graph backbones' 64 x 64 layers over all
 * 26,495 nodes ran at ~13 GFLOP/s in tfjs-backend-wasm's matMul (as did their gradients' X^T dY
 * with K = 26,495, and the bias gradient as a 1 x N by N x 64 product); this kernel runs them at
 * ~30. Each entry is one float32 sum in k order: the same bits as tfjs-backend-wasm's matMul (tested).
 */
export const MATMUL = 'CkdMatMul';
/** CkdTripleMargins {users, items, u, a, b}: U[u] . (I[a] - I[b]) per triple, summed in k order. */
export const TRIPLE_MARGINS = 'CkdTripleMargins';
/** CkdColumns {x} {begin, size}: columns [begin, begin + size) of a float32 matrix (tfjs's column slice is slow on wasm). */
export const COLUMNS = 'CkdColumns';
/**
 * CkdConcatColumns {p0, p1, ...} {count}: [P0 | P1 | ...], float32 matrices with equal rows side by
 * side (tfjs-backend-wasm concatenates columns in JavaScript, row by row).
 */
export const CONCAT_COLUMNS = 'CkdConcatColumns';

let registered = false;

function registerDenseKernels(): void {
  if (registered) return;
  registerProjectKernel(GATHER_TRANSPOSE, 'dense', (c, { inputs }): TensorInfo => {
    const x = inputs.x!;
    const indices = inputs.indices;
    if (x.shape.length !== 2 || x.dtype !== 'float32') throw new Error('gatherTranspose: x must be a float32 matrix');
    const [n, D] = x.shape;
    const k = indices ? indices.shape[0] : n;
    const idx = indices ? c.input(indices) : 0;
    if (indices) {
      const bad = c.exports.count_out_of_range(idx, k, n);
      if (bad > 0) throw new CkdError(`row index out of range [0, ${n}) in ${bad} of ${k} entries`);
    }
    const out = c.output([D, k], 'float32');
    c.exports.gather_transpose(c.input(x), idx, out.ptr, k, D, D);
    return out.info;
  });
  registerProjectKernel(TRIPLE_MARGINS, 'dense', (c, { inputs }): TensorInfo => {
    const { users, items, u, a, b } = inputs as Record<'users' | 'items' | 'u' | 'a' | 'b', TensorInfo>;
    const [numUsers, d] = users.shape;
    const [numItems, d2] = items.shape;
    const n = u.shape[0];
    if (d !== d2 || a.shape[0] !== n || b.shape[0] !== n) throw new Error(`tripleMargins: tables [${users.shape}] and [${items.shape}], triples ${n}/${a.shape[0]}/${b.shape[0]}`);
    const pu = c.input(u), pa = c.input(a), pb = c.input(b);
    for (const [p, limit, what] of [[pu, numUsers, 'user'], [pa, numItems, 'item'], [pb, numItems, 'item']] as const) {
      const bad = c.exports.count_out_of_range(p, n, limit);
      if (bad > 0) throw new CkdError(`tripleMargins: ${what} index out of range [0, ${limit}) in ${bad} of ${n} triples`);
    }
    const out = c.output([n], 'float32');
    c.exports.triple_margins(c.input(users), c.input(items), pu, pa, pb, n, d, out.ptr);
    return out.info;
  });
  registerProjectKernel(COLUMNS, 'dense', (c, { inputs, attrs }): TensorInfo => {
    const x = inputs.x!;
    const { begin, size } = attrs as unknown as { begin: number; size: number };
    const [rows, ncols] = x.shape;
    if (x.shape.length !== 2 || x.dtype !== 'float32' || begin < 0 || size < 0 || begin + size > ncols) {
      throw new Error(`columns: cannot take [${begin}, ${begin + size}) of ${x.dtype} [${x.shape}]`);
    }
    const out = c.output([rows, size], 'float32');
    c.exports.copy_columns(c.input(x), out.ptr, rows, ncols, begin, size);
    return out.info;
  });
  registerProjectKernel(CONCAT_COLUMNS, 'dense', (c, { inputs, attrs }): TensorInfo => {
    const { count } = attrs as unknown as { count: number };
    const parts = Array.from({ length: count }, (_, k) => inputs[`p${k}`]!);
    const rows = parts[0].shape[0];
    if (parts.some(p => p.shape.length !== 2 || p.dtype !== 'float32' || p.shape[0] !== rows)) {
      throw new Error(`concatColumns: cannot put ${parts.map(p => `${p.dtype} [${p.shape}]`).join(', ')} side by side (float32 matrices, equal rows)`);
    }
    const total = parts.reduce((s, p) => s + p.shape[1], 0);
    const out = c.output([rows, total], 'float32');
    let at = 0;
    for (const p of parts) {
      c.exports.place_columns(c.input(p), out.ptr, rows, p.shape[1], total, at);
      at += p.shape[1];
    }
    return out.info;
  });
  registerProjectKernel(MATMUL, 'gemm', (c, { inputs }): TensorInfo => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const [m, K] = a.shape;
    const [K2, n] = b.shape;
    if (a.shape.length !== 2 || b.shape.length !== 2 || K !== K2 || a.dtype !== 'float32' || b.dtype !== 'float32' || n % 8 !== 0) {
      throw new Error(`matMulKernel: cannot multiply ${a.dtype} [${a.shape}] by ${b.dtype} [${b.shape}] (float32, inner sizes equal, width a multiple of 8)`);
    }
    const out = c.output([m, n], 'float32');
    c.exports.gemm_nn_rowmajor(c.input(a), m, K, c.input(b), n, out.ptr);
    return out.info;
  });
  registered = true;
}

/** (X[indices])^T, or X^T; not differentiable. */
export function gatherTranspose(X: tf.Tensor2D, indices?: tf.Tensor1D): tf.Tensor2D {
  registerDenseKernels();
  if (!projectKernelsActive()) return tf.tidy(() => tf.transpose(indices ? tf.gather(X, indices) : X));
  const inputs: Record<string, tf.Tensor> = { x: X };
  if (indices) inputs.indices = indices;
  return tf.engine().runKernel(GATHER_TRANSPOSE, inputs, {} as NamedAttrMap) as tf.Tensor2D;
}

/** Widths up to which the kernel beats tf.matMul: it reads B in place, fine for narrow B only. */
const MAX_KERNEL_WIDTH = 256;

/**
 * A B (matrices), by the project kernel where it applies (wasm/cpu, width a multiple of 8 and at
 * most 256: the 2048^3 square product measured 13.5 GFLOP/s against tf.matMul's 19.6), else
 * tf.matMul. Not differentiable.
 */
export function matMulKernel(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  registerDenseKernels();
  const n = b.shape[1];
  if (!projectKernelsActive() || n % 8 !== 0 || n > MAX_KERNEL_WIDTH || a.shape[0] === 0 || a.shape[1] === 0) return tf.matMul(a, b);
  return tf.engine().runKernel(MATMUL, { a, b }, {} as NamedAttrMap) as tf.Tensor2D;
}

/** Columns [begin, begin + size) of X; not differentiable. */
export function columns(x: tf.Tensor2D, begin: number, size: number): tf.Tensor2D {
  registerDenseKernels();
  if (!projectKernelsActive()) return tf.slice(x, [0, begin], [-1, size]);
  return tf.engine().runKernel(COLUMNS, { x }, { begin, size } as unknown as NamedAttrMap) as tf.Tensor2D;
}

/**
 * tf.concat(parts, 1) by the concatenation kernel, with its gradient taken by the columns kernel:
 * tfjs's gradient splits dy with SplitV, which runs as column slices on wasm (~5 ms for a
 * 7,050 x 192 matrix; ~1 ms here). Copies only: the same values as tf.concat.
 */
const concatOps = new Map<string, (...parts: tf.Tensor2D[]) => tf.Tensor2D>();
export function concatColumns(parts: tf.Tensor2D[]): tf.Tensor2D {
  registerDenseKernels();
  if (!projectKernelsActive() || parts.length === 0) return tf.concat(parts, 1);
  const widths = parts.map(p => p.shape[1]);
  const key = widths.join(',');
  let op = concatOps.get(key);
  if (!op) {
    op = tf.customGrad((...args: unknown[]) => {
      const xs = args.slice(0, widths.length) as tf.Tensor2D[];
      return {
        value: tf.engine().runKernel(CONCAT_COLUMNS, Object.fromEntries(xs.map((x, k) => [`p${k}`, x])), { count: xs.length } as unknown as NamedAttrMap) as tf.Tensor2D,
        gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
          let at = 0;
          return widths.map(w => { const g = columns(dy as tf.Tensor2D, at, w); at += w; return g; });
        },
      };
    }) as (...parts: tf.Tensor2D[]) => tf.Tensor2D;
    concatOps.set(key, op);
  }
  return op(...parts);
}

/** U[users[t]] . (I[a[t]] - I[b[t]]) for fixed tables (no gradient), the same bits as the tensor ops on wasm. */
export function tripleMarginsKernel(users: tf.Tensor2D, items: tf.Tensor2D, u: Int32Array, a: Int32Array, b: Int32Array): tf.Tensor1D {
  registerDenseKernels();
  return tf.tidy(() => tf.engine().runKernel(TRIPLE_MARGINS, {
    users, items, u: tf.tensor1d(u, 'int32'), a: tf.tensor1d(a, 'int32'), b: tf.tensor1d(b, 'int32'),
  }, {} as NamedAttrMap) as tf.Tensor1D);
}
