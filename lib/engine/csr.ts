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

/**
 * The CSR matrix of edges e = (src[e] -> dst[e]), rows the targets dst, each row's entries in edge
 * order (a counting sort); entry e's value is `value(e, rowCount)`, where rowCount(r) is the
 * number of entries of row r (the in-degree, for a normalisation).
 */
export function csrFromEdges(
  rows: number, cols: number, dst: ArrayLike<number>, src: ArrayLike<number>,
  value: (e: number, rowCount: (r: number) => number) => number,
): CsrMatrix {
  const indptr = new Int32Array(rows + 1);
  for (let e = 0; e < dst.length; e++) indptr[dst[e] + 1]++;
  for (let r = 0; r < rows; r++) indptr[r + 1] += indptr[r];
  const rowCount = (r: number) => indptr[r + 1] - indptr[r];
  const next = indptr.slice(0, rows), indices = new Int32Array(src.length), values = new Float32Array(src.length);
  for (let e = 0; e < src.length; e++) {
    const at = next[dst[e]]++;
    indices[at] = src[e];
    values[at] = value(e, rowCount);
  }
  return { numRows: rows, numCols: cols, indptr, indices, values };
}
