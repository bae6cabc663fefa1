import * as tf from '@tensorflow/tfjs-core';
import type { CsrMatrix } from './csr';
import { releaseSharedConstants } from './graph-threads';
import { releaseConstants } from './kernel-heap';

/** Compressed rows of a matrix: the entries of row r are k in indptr[r] .. indptr[r+1]-1. */
export interface CompressedRows {
  indptr: Int32Array;
  /** Column of each entry. */
  indices: Int32Array;
  values: Float32Array;
}

/** The transpose in the same layout, plus for each of its entries the entry id in CSR order. */
export interface CompressedTranspose extends CompressedRows {
  perm: Int32Array;
}

/** Edge lists as int32 tensors for backends that use tfjs's own gather / segment-sum. */
interface NativeEdges { rows: tf.Tensor1D; cols: tf.Tensor1D; values: tf.Tensor1D }

/** Frees the copies of a structure's arrays on the tfjs heaps and in the graph threads' shared memory. */
function releaseCopies(arrays: (Int32Array | Float32Array)[]): void {
  releaseConstants(arrays);
  releaseSharedConstants(arrays);
}

const finalizer = new FinalizationRegistry<(Int32Array | Float32Array)[]>(releaseCopies);

/**
 * A fixed sparse matrix (a graph's structure and edge values) for the graph ops. It holds the CSR
 * form and its transpose (CSC, built once), so that products with A^T (the gradient of A X) read
 * rows as well. Edge ids are positions in CSR order: per-edge tensors (weights, attention logits)
 * are indexed that way. On the wasm backend the arrays are copied once into tfjs's heap (and into
 * the graph threads' shared memory when a call is split); call `dispose()` to free them (they are
 * also freed when the object is garbage-collected).
 * The given CsrMatrix's arrays are referenced, not copied: do not modify them afterwards.
 */
export class SparseMatrix {
  readonly numRows: number;
  readonly numCols: number;
  readonly nnz: number;
  readonly csr: CompressedRows;
  readonly csc: CompressedTranspose;
  private native: NativeEdges | null = null;
  private disposed = false;
  private readonly releasers: (() => void)[] = [];

  constructor(m: CsrMatrix) {
    validate(m);
    this.numRows = m.numRows;
    this.numCols = m.numCols;
    this.nnz = m.indices.length;
    this.csr = { indptr: m.indptr, indices: m.indices, values: m.values };
    this.csc = transpose(m);
    finalizer.register(this, this.arrays(), this);
  }

  /** Target row of every edge, in CSR order. */
  rowOfEdge(): Int32Array {
    const rows = new Int32Array(this.nnz);
    for (let r = 0; r < this.numRows; r++) rows.fill(r, this.csr.indptr[r], this.csr.indptr[r + 1]);
    return rows;
  }

  /** Edge lists as tensors (kept until dispose), for backends without the project kernels. */
  nativeEdges(): NativeEdges {
    this.checkLive();
    if (!this.native) {
      this.native = {
        rows: tf.keep(tf.tensor1d(this.rowOfEdge(), 'int32')),
        cols: tf.keep(tf.tensor1d(this.csr.indices, 'int32')),
        values: tf.keep(tf.tensor1d(this.csr.values, 'float32')),
      };
    }
    return this.native;
  }

  checkLive(): void {
    if (this.disposed) throw new Error('SparseMatrix used after dispose()');
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    finalizer.unregister(this);
    releaseCopies(this.arrays());
    if (this.native) {
      tf.dispose([this.native.rows, this.native.cols, this.native.values]);
      this.native = null;
    }
    for (const release of this.releasers.splice(0)) release();
  }

  /** Runs `release` on dispose() (copies of the arrays that another backend holds). */
  onDispose(release: () => void): void {
    this.checkLive();
    this.releasers.push(release);
  }

  private arrays(): (Int32Array | Float32Array)[] {
    return [this.csr.indptr, this.csr.indices, this.csr.values, this.csc.indptr, this.csc.indices, this.csc.values, this.csc.perm];
  }
}

function validate(m: CsrMatrix): void {
  const { numRows, numCols, indptr, indices, values } = m;
  const fail = (what: string) => { throw new Error(`invalid CSR matrix (${numRows} x ${numCols}): ${what}`); };
  if (!(indptr instanceof Int32Array) || !(indices instanceof Int32Array) || !(values instanceof Float32Array)) fail('indptr and indices must be Int32Array, values Float32Array');
  if (!Number.isInteger(numRows) || !Number.isInteger(numCols) || numRows < 0 || numCols < 0) fail('bad shape');
  if (indptr.length !== numRows + 1) fail(`indptr has ${indptr.length} entries, expected ${numRows + 1}`);
  if (values.length !== indices.length) fail('indices and values differ in length');
  if (indptr[0] !== 0 || indptr[numRows] !== indices.length) fail('indptr must start at 0 and end at the number of entries');
  for (let r = 0; r < numRows; r++) if (indptr[r + 1] < indptr[r]) fail(`indptr decreases at row ${r}`);
  for (let k = 0; k < indices.length; k++) {
    if (!(indices[k] >= 0 && indices[k] < numCols)) fail(`entry ${k} has column ${indices[k]}`);
  }
}

/** CSC of m by counting sort; entries keep their CSR order within each column. */
function transpose(m: CsrMatrix): CompressedTranspose {
  const nnz = m.indices.length;
  const indptr = new Int32Array(m.numCols + 1);
  for (let k = 0; k < nnz; k++) indptr[m.indices[k] + 1]++;
  for (let c = 0; c < m.numCols; c++) indptr[c + 1] += indptr[c];
  const next = indptr.slice(0, m.numCols);
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  const perm = new Int32Array(nnz);
  for (let r = 0; r < m.numRows; r++) {
    for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) {
      const at = next[m.indices[k]]++;
      indices[at] = r;
      values[at] = m.values[k];
      perm[at] = k;
    }
  }
  return { indptr, indices, values, perm };
}
