import * as assert from 'assert';
import { listsFromArrays } from '../lib/data/dataset';
import { rankTopK, rankTopKParallel, rankTopKReference, RankingInput, TopKLists } from '../lib/eval';
import { syntheticRanking } from '../lib/eval/synthetic';

const allUsers = (n: number) => Int32Array.from({ length: n }, (_, u) => u);

/** Exact equality: same items, and the same float32 scores bit for bit (-Infinity pads included). */
function assertSameTopK(actual: TopKLists, expected: TopKLists, what: string): void {
  assert.strictEqual(actual.k, expected.k, what);
  assert.deepStrictEqual([...actual.users], [...expected.users], what);
  for (let i = 0; i < expected.items.length; i++) {
    if (actual.items[i] !== expected.items[i] || !Object.is(actual.scores[i], expected.scores[i])) {
      const r = Math.floor(i / expected.k);
      assert.fail(`${what}: user ${expected.users[r]} rank ${i % expected.k}: kernel (${actual.items[i]}, ${actual.scores[i]}) `
        + `reference (${expected.items[i]}, ${expected.scores[i]})`);
    }
  }
}

describe('eval: fused ranking kernel', () => {
  // Dims around the 4-wide vectors; item counts that are not multiples of the 8-item panel.
  for (const dim of [1, 3, 4, 5, 17, 64, 67, 192]) {
    it(`equals a brute-force sort, dim ${dim}, several k`, () => {
      const p = syntheticRanking({ numUsers: 45, numItems: 203, dim, perUser: 12, seed: `kernel-${dim}` });
      const users = allUsers(45);
      for (const k of [1, 5, 20, 64]) {
        assertSameTopK(rankTopK(p, users, k), rankTopKReference(p, users, k), `dim ${dim} k ${k}`);
      }
    });
  }

  it('breaks exact ties by lower item id, across panel and block boundaries', () => {
    // Entries in {-1, 0, 1}, dim 3: only 7 possible scores, so most lists are all ties.
    const p = syntheticRanking({ numUsers: 301, numItems: 61, dim: 3, perUser: 5, seed: 'ties', grid: 1 });
    const users = allUsers(301);
    for (const k of [1, 7, 30]) assertSameTopK(rankTopK(p, users, k), rankTopKReference(p, users, k), `ties k ${k}`);
    // All-zero user: every score ties, the list is the lowest non-excluded ids.
    const zero: RankingInput = { ...p, userEmb: new Float32Array(p.userEmb.length) };
    const top = rankTopK(zero, Int32Array.from([0]), 5);
    const excluded = new Set(p.exclude.items.subarray(p.exclude.indptr[0], p.exclude.indptr[1]));
    const expected = [...Array(61).keys()].filter((i) => !excluded.has(i)).slice(0, 5);
    assert.deepStrictEqual([...top.items], expected);
  });

  it('never ranks excluded items, even the best-scoring ones', () => {
    const numItems = 50, dim = 4;
    const itemEmb = Float32Array.from({ length: numItems * dim }, (_, x) => Math.floor(x / dim)); // score grows with id
    const userEmb = Float32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const exclude = listsFromArrays([[49, 48, 47], [], Array.from({ length: 48 }, (_, i) => i)], 3);
    const top = rankTopK({ userEmb, itemEmb, dim, exclude }, allUsers(3), 4);
    assert.deepStrictEqual([...top.items.subarray(0, 4)], [46, 45, 44, 43]);
    assert.deepStrictEqual([...top.items.subarray(4, 8)], [49, 48, 47, 46]);
    // Only items 48 and 49 are candidates for user 2: the rest of its list is padding.
    assert.deepStrictEqual([...top.items.subarray(8, 12)], [49, 48, -1, -1]);
    assert.deepStrictEqual([...top.scores.subarray(10, 12)], [-Infinity, -Infinity]);
  });

  it('handles a user with every item excluded and more users than one chunk', () => {
    const p = syntheticRanking({ numUsers: 1100, numItems: 40, dim: 6, perUser: 3, seed: 'chunks' });
    const lists = [...Array(1100).keys()].map((u) => [...p.exclude.items.subarray(p.exclude.indptr[u], p.exclude.indptr[u + 1])]);
    lists[1050] = [...Array(40).keys()];
    const input = { ...p, exclude: listsFromArrays(lists, 1100) };
    const users = allUsers(1100);
    const top = rankTopK(input, users, 10);
    assertSameTopK(top, rankTopKReference(input, users, 10), 'chunks');
    assert.ok(top.items.subarray(1050 * 10, 1051 * 10).every((i) => i === -1));
  });

  it('ranks a user subset in the order given', () => {
    const p = syntheticRanking({ numUsers: 30, numItems: 99, dim: 8, perUser: 4, seed: 'subset' });
    const users = Int32Array.from([29, 3, 3, 17]);
    assertSameTopK(rankTopK(p, users, 6), rankTopKReference(p, users, 6), 'subset');
  });

  it('is deterministic, and worker threads give the same lists as the calling thread', async () => {
    const p = syntheticRanking({ numUsers: 2600, numItems: 300, dim: 20, perUser: 8, seed: 'threads' });
    const users = allUsers(2600);
    const one = rankTopK(p, users, 20);
    assertSameTopK(rankTopK(p, users, 20), one, 'repeat');
    let progress = 0;
    const two = await rankTopKParallel(p, users, 20, { threads: 2, onProgress: (done) => { progress = done; } });
    assertSameTopK(two, one, 'two threads');
    assert.strictEqual(progress, 2600);
    const sample = Int32Array.from([0, 1, 1234, 2599]);
    assertSameTopK(rankTopK(p, sample, 20), rankTopKReference(p, sample, 20), 'sample vs reference');
  });
});
