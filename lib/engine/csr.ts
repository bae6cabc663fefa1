/**
 * A sparse matrix in compressed sparse row form: the entries of row r are
 * (indices[k], values[k]) for k in indptr[r] .. indptr[r+1]-1.
 * Graphs (user-item adjacency, item-item kNN) are built as this type by lib/data
 * and handed to the propagation kernels in lib/engine.
 */
export interface CsrMatrix {
  numRows: number;
  numCols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}
