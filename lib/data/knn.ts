/**
 * The item-item cosine kNN graph of MGCN (demonph10/MGCN; MMRec src/models/mgcn.py with
 * src/utils/utils.py build_sim + build_knn_normalized_graph, sparse branch):
 *   S = cosine similarities of the raw feature rows; keep each row's top k (k = 10) entries,
 *   self included, similarity as the weight, not symmetrised; then
 *   w_ij = S_ij / sqrt(d_i d_j), d_i = sum of row i's kept similarities (the reference's
 *   scatter_add of edge weights over the row index, i.e. out-degree / row sum, self included).
 * Decisions (the reference leaves these to torch.topk and to NaN):
 *  - ties are broken deterministically: higher similarity first, then lower item index;
 *  - the item itself is always kept, with similarity exactly 1, plus the k - 1 best others
 *    (the reference keeps self because cos(i, i) = 1 is the row maximum, barring duplicates);
 *  - a zero feature row has similarity 0 with every other item (the reference divides by a zero
 *    norm and gets NaN); its neighbours are then k - 1 zero-weight entries, by lowest index;
 *  - a degree <= 0 (only possible when negative similarities make the top k) gets d^-1/2 = 0.
 * Computation: rows are L2-normalised into a float32 copy; similarities are accumulated in double
 * precision, block by block (a block of `blockSize` rows against all later rows, so each pair is
 * computed once and offered to both rows' top-k lists); memory beyond the copy is
 * blockSize x numItems doubles. Plain JavaScript, no tfjs, by default; a faster similarity kernel
 * (e.g. a wasm SIMD one from lib/engine) can be passed as `kernel` without changing anything else
 * (a float32-accumulating kernel may break near-ties differently; results stay deterministic).
 * Measured on this workplace's 2-core machine (shared with other jobs at the time): 1.7-2.4 GFLOP/s;
 * 7,050 items x 4,096 dims (2e11 flops) 86 s, x 1,024 29 s, x 384 11.5 s; peak RSS 284 MB for
 * 4,096 dims (the float32 copy plus one 64 x 7,050 block of doubles). Build it once per data set
 * and keep it (the reference caches it to disk too).
 * Entries of each CSR row are in ascending column order.
 */
import { CkdError } from '../errors';
import { CsrMatrix } from '../engine/csr';
import { FeatureMatrix } from './dataset';

export interface KnnOptions {
  /** Neighbours per item, self included (default 10, MGCN's knn_k). */
  k?: number;
  /** 'sym' (default): S_ij / sqrt(d_i d_j) as MGCN; 'none': raw cosine similarities. */
  normalize?: 'sym' | 'none';
  /** Rows per block (default 64). */
  blockSize?: number;
  /** The similarity kernel (default: plain JavaScript, jsGramKernel). */
  kernel?: GramKernel;
}

/**
 * Computes inner products of rows of the row-normalised matrix X (rows x cols, row-major):
 * block(r0, r1, c0, c1, out) sets out[(i - r0) * (c1 - c0) + (j - c0)] = <X_i, X_j>.
 * The factory receives X once, so an implementation can copy it elsewhere (e.g. wasm memory).
 * It must compute each pair the same way whatever the block bounds (determinism).
 */
export type GramBlock = (r0: number, r1: number, c0: number, c1: number, out: Float64Array) => void;
export type GramKernel = (X: Float32Array, rows: number, cols: number) => GramBlock;

/** The default kernel: gramBlock in plain JavaScript, double accumulation. */
export const jsGramKernel: GramKernel = (X, _rows, cols) => (r0, r1, c0, c1, out) => gramBlock(X, cols, r0, r1, c0, c1, out);

export interface KnnLists {
  /** Neighbours per row (min(k, numItems)). */
  k: number;
  /** Row i's neighbours are indices[i*k .. i*k+k), best first (self first). */
  indices: Int32Array;
  /** Their cosine similarities. */
  sims: Float64Array;
}

/** The kNN graph as a numItems x numItems CsrMatrix. */
export function itemKnnGraph(features: FeatureMatrix, opts: KnnOptions = {}): CsrMatrix {
  const lists = knnLists(features, opts.k ?? 10, opts.blockSize ?? 64, opts.kernel);
  return knnListsToCsr(lists, features.rows, opts.normalize ?? 'sym');
}

/** Builds the CSR matrix (columns ascending within a row) from kNN lists, normalising as asked. */
export function knnListsToCsr(lists: KnnLists, n: number, normalize: 'sym' | 'none'): CsrMatrix {
  const { k, indices, sims } = lists;
  const dinv = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let d = 0;
    for (let t = 0; t < k; t++) d += sims[i * k + t];
    dinv[i] = d > 0 ? 1 / Math.sqrt(d) : 0;
  }
  const indptr = new Int32Array(n + 1);
  const outIdx = new Int32Array(n * k);
  const outVal = new Float32Array(n * k);
  const order = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    indptr[i + 1] = (i + 1) * k;
    for (let t = 0; t < k; t++) order[t] = t;
    const base = i * k;
    order.sort((a, b) => indices[base + a] - indices[base + b]);
    for (let t = 0; t < k; t++) {
      const src = base + order[t];
      const j = indices[src];
      outIdx[base + t] = j;
      outVal[base + t] = normalize === 'sym' ? sims[src] * dinv[i] * dinv[j] : sims[src];
    }
  }
  return { numRows: n, numCols: n, indptr, indices: outIdx, values: outVal };
}

/** Each row's top-k cosine neighbours (self first with similarity 1), ties to the lower index. */
export function knnLists(features: FeatureMatrix, k: number, blockSize = 64, kernel: GramKernel = jsGramKernel): KnnLists {
  const n = features.rows;
  const d = features.cols;
  if (!Number.isInteger(k) || k < 1) throw new CkdError(`kNN needs k >= 1 (got ${k})`);
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new CkdError(`kNN needs a block size >= 1 (got ${blockSize})`);
  if (features.data.length !== n * d) throw new CkdError(`feature matrix is ${n} x ${d} but holds ${features.data.length} values`);
  const kk = Math.min(k, n);
  const m = kk - 1; // neighbours besides self
  const X = normalisedRows(features);
  const topV = new Float64Array(n * m);
  const topI = new Int32Array(n * m);
  const cnt = new Int32Array(n);

  // Offer similarity s of candidate j to row i's list (sorted best first).
  const offer = (i: number, j: number, s: number): void => {
    const base = i * m;
    let c = cnt[i];
    if (c === m) {
      const wv = topV[base + m - 1];
      if (s < wv || (s === wv && j > topI[base + m - 1])) return;
      c = m - 1; // the worst entry falls off
    } else {
      cnt[i] = c + 1;
    }
    let p = c;
    while (p > 0) {
      const pv = topV[base + p - 1];
      if (pv > s || (pv === s && topI[base + p - 1] < j)) break;
      topV[base + p] = pv;
      topI[base + p] = topI[base + p - 1];
      p--;
    }
    topV[base + p] = s;
    topI[base + p] = j;
  };

  if (m > 0) {
    const B = Math.min(blockSize, n);
    const buf = new Float64Array(B * n);
    const block = kernel(X, n, d);
    for (let r0 = 0; r0 < n; r0 += B) {
      const r1 = Math.min(n, r0 + B);
      const w = n - r0;
      block(r0, r1, r0, n, buf);
      for (let i = r0; i < r1; i++) {
        const row = (i - r0) * w - r0;
        for (let j = i + 1; j < n; j++) {
          const s = buf[row + j];
          offer(i, j, s);
          offer(j, i, s);
        }
      }
    }
  }

  const indices = new Int32Array(n * kk);
  const sims = new Float64Array(n * kk);
  for (let i = 0; i < n; i++) {
    indices[i * kk] = i;
    sims[i * kk] = 1;
    for (let t = 0; t < m; t++) {
      indices[i * kk + 1 + t] = topI[i * m + t];
      sims[i * kk + 1 + t] = topV[i * m + t];
    }
  }
  return { k: kk, indices, sims };
}

/** A float32 copy with each row scaled to unit L2 norm (zero rows stay zero). */
function normalisedRows(f: FeatureMatrix): Float32Array {
  const { rows: n, cols: d, data } = f;
  const X = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const base = i * d;
    let ss = 0;
    for (let c = 0; c < d; c++) ss += data[base + c] * data[base + c];
    if (ss === 0) continue;
    const inv = 1 / Math.sqrt(ss);
    for (let c = 0; c < d; c++) X[base + c] = data[base + c] * inv;
  }
  return X;
}

const PANEL = 512;

/**
 * out[(i - r0) * (c1 - c0) + (j - c0)] = <X_i, X_j> for i in [r0, r1), j in [c0, c1), accumulated
 * over dimension panels of PANEL with 4 x 4 register tiles (the same summation order for every pair).
 */
export function gramBlock(X: Float32Array, d: number, r0: number, r1: number, c0: number, c1: number, out: Float64Array): void {
  const w = c1 - c0;
  out.fill(0, 0, (r1 - r0) * w);
  const r4 = r0 + ((r1 - r0) & ~3);
  const c4 = c0 + ((c1 - c0) & ~3);
  for (let k0 = 0; k0 < d; k0 += PANEL) {
    const k1 = Math.min(d, k0 + PANEL);
    for (let i = r0; i < r4; i += 4) {
      const a0 = i * d, a1 = a0 + d, a2 = a1 + d, a3 = a2 + d;
      for (let j = c0; j < c4; j += 4) {
        const b0 = j * d, b1 = b0 + d, b2 = b1 + d, b3 = b2 + d;
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
        for (let k = k0; k < k1; k++) {
          const x0 = X[b0 + k], x1 = X[b1 + k], x2 = X[b2 + k], x3 = X[b3 + k];
          let y = X[a0 + k];
          s00 += y * x0; s01 += y * x1; s02 += y * x2; s03 += y * x3;
          y = X[a1 + k];
          s10 += y * x0; s11 += y * x1; s12 += y * x2; s13 += y * x3;
          y = X[a2 + k];
          s20 += y * x0; s21 += y * x1; s22 += y * x2; s23 += y * x3;
          y = X[a3 + k];
          s30 += y * x0; s31 += y * x1; s32 += y * x2; s33 += y * x3;
        }
        let o = (i - r0) * w + (j - c0);
        out[o] += s00; out[o + 1] += s01; out[o + 2] += s02; out[o + 3] += s03; o += w;
        out[o] += s10; out[o + 1] += s11; out[o + 2] += s12; out[o + 3] += s13; o += w;
        out[o] += s20; out[o + 1] += s21; out[o + 2] += s22; out[o + 3] += s23; o += w;
        out[o] += s30; out[o + 1] += s31; out[o + 2] += s32; out[o + 3] += s33;
      }
    }
    // Leftover pairs (rows beyond r4 with all columns, rows below r4 with columns beyond c4).
    for (let i = r0; i < r1; i++) {
      const jStart = i < r4 ? c4 : c0;
      const a = i * d;
      for (let j = jStart; j < c1; j++) {
        const b = j * d;
        let s = 0;
        for (let k = k0; k < k1; k++) s += X[a + k] * X[b + k];
        out[(i - r0) * w + (j - c0)] += s;
      }
    }
  }
}
