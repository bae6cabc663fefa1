import * as assert from 'assert';
import { CsrMatrix } from '../lib/engine/csr';
import { Rng } from '../lib/engine/random';
import { FeatureMatrix, listsFromArrays } from '../lib/data/dataset';
import { userItemGraph } from '../lib/data/graphs';
import { GramKernel, itemKnnGraph, jsGramKernel, knnLists } from '../lib/data/knn';

/** Rows of a CSR matrix as [col, value] pairs. */
function rows(m: CsrMatrix): [number, number][][] {
  const out: [number, number][][] = [];
  for (let r = 0; r < m.numRows; r++) {
    const row: [number, number][] = [];
    for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) row.push([m.indices[k], m.values[k]]);
    out.push(row);
  }
  return out;
}

function assertRowsClose(actual: [number, number][][], expected: [number, number][][], tol = 1e-6): void {
  assert.strictEqual(actual.length, expected.length);
  for (let r = 0; r < expected.length; r++) {
    assert.deepStrictEqual(actual[r].map((e) => e[0]), expected[r].map((e) => e[0]), `row ${r} columns`);
    for (let t = 0; t < expected[r].length; t++) {
      assert.ok(Math.abs(actual[r][t][1] - expected[r][t][1]) <= tol, `row ${r} col ${expected[r][t][0]}: ${actual[r][t][1]} vs ${expected[r][t][1]}`);
    }
  }
}

function fm(rowsData: number[][]): FeatureMatrix {
  return { rows: rowsData.length, cols: rowsData[0].length, data: Float32Array.from(rowsData.flat()) };
}

describe('data/graphs: user-item adjacency', () => {
  // Users 0, 1, 2 (2 isolated), items 0, 1, 2 (item 2 isolated); nodes u0 u1 u2 i0 i1 i2 = 0..5.
  // Train: u0 -> {i0, i1}, u1 -> {i1}. Degrees: u0 2, u1 1, u2 0, i0 1, i1 2, i2 0.
  const train = listsFromArrays([[0, 1], [1], []], 3);
  const r2 = Math.SQRT1_2;

  it("'sym' = D^-1/2 A D^-1/2 without self-loops, by hand", () => {
    const g = userItemGraph(train, 3, 3, 'sym');
    assert.strictEqual(g.numRows, 6);
    assert.strictEqual(g.numCols, 6);
    assertRowsClose(rows(g), [
      [[3, r2], [4, 0.5]],
      [[4, r2]],
      [],
      [[0, r2]],
      [[0, 0.5], [1, r2]],
      [],
    ]);
  });

  it("'row-self' = D^-1 (A + I), by hand; isolated nodes get a self-loop of 1", () => {
    const g = userItemGraph(train, 3, 3, 'row-self');
    const t = 1 / 3;
    assertRowsClose(rows(g), [
      [[0, t], [3, t], [4, t]],
      [[1, 0.5], [4, 0.5]],
      [[2, 1]],
      [[0, 0.5], [3, 0.5]],
      [[0, t], [1, t], [4, t]],
      [[5, 1]],
    ]);
    for (let r = 0; r < 6; r++) {
      let s = 0;
      for (let k = g.indptr[r]; k < g.indptr[r + 1]; k++) s += g.values[k];
      assert.ok(Math.abs(s - 1) < 1e-6, `row ${r} sums to 1`);
    }
  });

  it("'none' = raw 0/1, symmetric", () => {
    const g = userItemGraph(train, 3, 3, 'none');
    assertRowsClose(rows(g), [[[3, 1], [4, 1]], [[4, 1]], [], [[0, 1]], [[0, 1], [1, 1]], []]);
  });

  it('never produces NaN, and the sym matrix is symmetric, on a random graph with isolated nodes', () => {
    const rng = new Rng(1);
    const per: number[][] = Array.from({ length: 60 }, (_, u) => (u % 7 === 0 ? [] : Array.from({ length: 1 + rng.int(5) }, () => rng.int(40))));
    const lists = listsFromArrays(per, 60);
    for (const norm of ['sym', 'row-self', 'none'] as const) {
      const g = userItemGraph(lists, 60, 40, norm);
      assert.ok(g.values.every((v) => Number.isFinite(v) && v > 0), norm);
    }
    const g = userItemGraph(lists, 60, 40, 'sym');
    const dense = new Map<string, number>();
    rows(g).forEach((row, r) => row.forEach(([c, v]) => dense.set(`${r},${c}`, v)));
    for (const [key, v] of dense) {
      const [r, c] = key.split(',');
      assert.strictEqual(dense.get(`${c},${r}`), v);
    }
    assert.strictEqual(g.indices.length, 2 * lists.items.length);
  });
});

describe('data/graphs: item-item cosine kNN (MGCN)', () => {
  // x0 = (1,0), x1 = (1,1), x2 = (0,1), x3 = (-1,0).
  // cos: c01 = c12 = 1/sqrt2, c02 = c23 = 0, c03 = -1, c13 = -1/sqrt2.
  const f = fm([[1, 0], [1, 1], [0, 1], [-1, 0]]);
  const c = Math.SQRT1_2;

  it('k = 2 by hand: self plus the best other, ties to the lower index', () => {
    const raw = itemKnnGraph(f, { k: 2, normalize: 'none' });
    // Item 1 ties between 0 and 2 (both 1/sqrt2): the lower index (0) wins.
    assertRowsClose(rows(raw), [
      [[0, 1], [1, c]],
      [[0, c], [1, 1]],
      [[1, c], [2, 1]],
      [[2, 0], [3, 1]],
    ]);
    // Degrees (row sums): 1 + c for items 0..2, 1 for item 3. w_ij = S_ij / sqrt(d_i d_j).
    const d = 1 + c;
    const g = itemKnnGraph(f, { k: 2 });
    assertRowsClose(rows(g), [
      [[0, 1 / d], [1, c / d]],
      [[0, c / d], [1, 1 / d]],
      [[1, c / d], [2, 1 / d]],
      [[2, 0], [3, 1]],
    ]);
  });

  it('k = 3 by hand, including a negative similarity in the degree', () => {
    const g = itemKnnGraph(f, { k: 3 });
    const d012 = 1 + c; // item 0: 1 + c + 0; item 1: 1 + c + c; item 2: 1 + c + 0
    const d1 = 1 + 2 * c;
    const d3 = 1 + 0 - c; // item 3 keeps 2 (0) and 1 (-c)
    assertRowsClose(rows(g), [
      [[0, 1 / d012], [1, c / Math.sqrt(d012 * d1)], [2, 0]],
      [[0, c / Math.sqrt(d1 * d012)], [1, 1 / d1], [2, c / Math.sqrt(d1 * d012)]],
      [[0, 0], [1, c / Math.sqrt(d012 * d1)], [2, 1 / d012]], // 0 and 3 tie at 0: index 0 wins
      [[1, -c / Math.sqrt(d3 * d1)], [2, 0], [3, 1 / d3]],
    ]);
  });

  it('zero feature rows: similarity 0 to others, self 1, no NaN', () => {
    const g = itemKnnGraph(fm([[0, 0], [1, 0], [2, 0]]), { k: 2, normalize: 'none' });
    assertRowsClose(rows(g), [[[0, 1], [1, 0]], [[1, 1], [2, 1]], [[1, 1], [2, 1]]]);
    const s = itemKnnGraph(fm([[0, 0], [1, 0], [2, 0]]), { k: 2 });
    assert.ok(s.values.every(Number.isFinite));
  });

  it('k larger than the item count keeps every item', () => {
    const g = itemKnnGraph(f, { k: 10, normalize: 'none' });
    assert.deepStrictEqual(Array.from(g.indptr), [0, 4, 8, 12, 16]);
  });

  it('matches a brute-force kNN, for any block size, on random features (leftover rows/columns included)', () => {
    const rng = new Rng(7);
    const n = 203;
    const d = 37;
    const data = new Float32Array(n * d).map(() => rng.normal());
    for (let c2 = 0; c2 < d; c2++) data[50 * d + c2] = data[10 * d + c2]; // a duplicate row (cos 1 with item 10)
    const feats = { rows: n, cols: d, data };
    // Brute force with the same float32 normalisation and double accumulation.
    const X = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      let ss = 0;
      for (let c2 = 0; c2 < d; c2++) ss += data[i * d + c2] * data[i * d + c2];
      for (let c2 = 0; c2 < d; c2++) X[i * d + c2] = data[i * d + c2] * (1 / Math.sqrt(ss));
    }
    const k = 10;
    const expected: number[][] = [];
    for (let i = 0; i < n; i++) {
      const cand: [number, number][] = [];
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        let s = 0;
        for (let c2 = 0; c2 < d; c2++) s += X[i * d + c2] * X[j * d + c2];
        cand.push([s, j]);
      }
      cand.sort((a, b) => (b[0] - a[0]) || (a[1] - b[1]));
      expected.push([i, ...cand.slice(0, k - 1).map((e) => e[1])]);
    }
    for (const bs of [1, 7, 64, 500]) {
      const l = knnLists(feats, k, bs);
      for (let i = 0; i < n; i++) {
        assert.deepStrictEqual(Array.from(l.indices.subarray(i * k, i * k + k)), expected[i], `row ${i}, block ${bs}`);
      }
    }
    assert.strictEqual(knnLists(feats, k).indices[50 * k + 1], 10, 'the duplicate row is its twin\'s best neighbour');
  });

  it('dimension panels (d > 512) give the same neighbours as a direct computation', () => {
    const rng = new Rng(8);
    const n = 40;
    const d = 1100;
    const data = new Float32Array(n * d).map(() => rng.next());
    const l = knnLists({ rows: n, cols: d, data }, 5);
    for (let i = 0; i < n; i += 7) {
      const norm = (r: number) => Math.sqrt(Array.from(data.subarray(r * d, r * d + d)).reduce((a, v) => a + v * v, 0));
      const cos = (j: number) => {
        let s = 0;
        for (let c2 = 0; c2 < d; c2++) s += data[i * d + c2] * data[j * d + c2];
        return s / norm(i) / norm(j);
      };
      const best = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i).sort((a, b) => cos(b) - cos(a)).slice(0, 4);
      assert.deepStrictEqual(Array.from(l.indices.subarray(i * 5 + 1, i * 5 + 5)), best);
      for (let t = 1; t < 5; t++) assert.ok(Math.abs(l.sims[i * 5 + t] - cos(best[t - 1])) < 1e-5);
    }
  });

  it('accepts a pluggable similarity kernel', () => {
    const rng = new Rng(10);
    const data = new Float32Array(90 * 13).map(() => rng.normal());
    let calls = 0;
    const naive: GramKernel = (X, _rows, cols) => (r0, r1, c0, c1, out) => {
      calls++;
      for (let i = r0; i < r1; i++) {
        for (let j = c0; j < c1; j++) {
          let s = 0;
          for (let c2 = 0; c2 < cols; c2++) s += X[i * cols + c2] * X[j * cols + c2];
          out[(i - r0) * (c1 - c0) + (j - c0)] = s;
        }
      }
    };
    const feats = { rows: 90, cols: 13, data };
    const a = itemKnnGraph(feats, { kernel: naive, blockSize: 16 });
    const b = itemKnnGraph(feats, { kernel: jsGramKernel });
    assert.strictEqual(calls, Math.ceil(90 / 16));
    assert.deepStrictEqual(a.indices, b.indices);
    for (let t = 0; t < a.values.length; t++) assert.ok(Math.abs(a.values[t] - b.values[t]) < 1e-6);
  });

  it('is deterministic and reasonably fast (1,500 items x 512 dims)', () => {
    const rng = new Rng(9);
    const data = new Float32Array(1500 * 512).map(() => rng.next() - 0.3);
    const t = Date.now();
    const a = itemKnnGraph({ rows: 1500, cols: 512, data });
    const ms = Date.now() - t;
    const b = itemKnnGraph({ rows: 1500, cols: 512, data }, { blockSize: 33 });
    assert.deepStrictEqual(a, b);
    assert.strictEqual(a.indices.length, 15000);
    assert.ok(ms < 8000, `took ${ms} ms`);
  });
});
