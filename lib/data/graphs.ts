/**
 * The user-item graph as a CsrMatrix over numUsers + numItems nodes, users first (node u) then
 * items (node numUsers + i), symmetric edges from the train split only. Normalisations:
 *  - 'sym':      D^-1/2 A D^-1/2, no self-loops (LightGCN / MGCN / EgoGCN; MMRec's get_adj_mat):
 *                w(u,i) = 1 / sqrt(deg(u) deg(i)).
 *  - 'row-self': D^-1 (A + I), self-loops included, degree counting the self-loop
 *                (the CKD code's norm_adj, used by its MMGCN): w(x,y) = 1 / (deg(x) + 1).
 *  - 'none':     raw 0/1 adjacency (GRCN's edge list, users -> items and items -> users).
 * Isolated nodes (users or items without train interactions) get no entries under 'sym' and
 * 'none' and a self-loop of weight 1 under 'row-self': never a NaN (the reference code sets
 * inf degrees to 0 for the same effect). Column indices are ascending within each row.
 */
import { CkdError } from '../errors';
import { CsrMatrix } from '../engine/csr';
import { UserItemLists } from './dataset';

export type AdjacencyNorm = 'sym' | 'row-self' | 'none';

export function userItemGraph(train: UserItemLists, numUsers: number, numItems: number, norm: AdjacencyNorm): CsrMatrix {
  if (train.indptr.length !== numUsers + 1) {
    throw new CkdError(`userItemGraph: the train lists cover ${train.indptr.length - 1} users, expected ${numUsers}`);
  }
  if (norm !== 'sym' && norm !== 'row-self' && norm !== 'none') {
    throw new CkdError(`unknown adjacency normalisation ${JSON.stringify(norm)} (expected 'sym', 'row-self' or 'none')`);
  }
  const N = numUsers + numItems;
  const self = norm === 'row-self' ? 1 : 0;
  const deg = new Int32Array(N);
  for (let u = 0; u < numUsers; u++) {
    for (let k = train.indptr[u]; k < train.indptr[u + 1]; k++) {
      const it = train.items[k];
      if (it < 0 || it >= numItems) throw new CkdError(`userItemGraph: item ${it} of user ${u} is outside 0..${numItems - 1}`);
      deg[u]++;
      deg[numUsers + it]++;
    }
  }
  const indptr = new Int32Array(N + 1);
  for (let x = 0; x < N; x++) indptr[x + 1] = indptr[x] + deg[x] + self;
  const nnz = indptr[N];
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  const fill = indptr.slice(0, N);
  const weight = (x: number, y: number): number => {
    if (norm === 'none') return 1;
    if (norm === 'row-self') return 1 / (deg[x] + 1);
    return 1 / Math.sqrt(deg[x] * deg[y]);
  };
  // User rows: (self-loop first, since u < numUsers + i), then items ascending.
  for (let u = 0; u < numUsers; u++) {
    if (self) { indices[fill[u]] = u; values[fill[u]++] = 1 / (deg[u] + 1); }
    for (let k = train.indptr[u]; k < train.indptr[u + 1]; k++) {
      const y = numUsers + train.items[k];
      indices[fill[u]] = y;
      values[fill[u]++] = weight(u, y);
    }
  }
  // Item rows: users ascending (users are visited in order), then the self-loop last.
  for (let u = 0; u < numUsers; u++) {
    for (let k = train.indptr[u]; k < train.indptr[u + 1]; k++) {
      const x = numUsers + train.items[k];
      indices[fill[x]] = u;
      values[fill[x]++] = weight(x, u);
    }
  }
  if (self) {
    for (let i = 0; i < numItems; i++) {
      const x = numUsers + i;
      indices[fill[x]] = x;
      values[fill[x]++] = 1 / (deg[x] + 1);
    }
  }
  return { numRows: N, numCols: N, indptr, indices, values };
}
