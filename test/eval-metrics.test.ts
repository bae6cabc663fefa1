import * as assert from 'assert';
import { listsFromArrays } from '../lib/data/dataset';
import { evaluateRankingSync, EvaluationOptions } from '../lib/eval';

const log2 = Math.log2;
const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} != ${expected}`);

/**
 * 8 items with scores (column 0) 0.9, 0.8, ..., 0.2 and 0 in column 1.
 * user 0 = [1, 0]: prefers low ids; train {1}; ranking 0,2,3,4,5,...; targets {2, 5, 7}
 *   top-5 hits at ranks 2 and 5.
 * user 1 = [-1, 0]: prefers high ids; train {7}; ranking 6,5,4,...; target {6}: hit at rank 1.
 * user 2: no targets, skipped.
 * user 3 = [0, 1]: every score is 0, ties broken by id: ranking 0,1,2,3,4; target {4}: rank 5.
 */
function tiny(ks: number[], ndcg?: 'standard' | 'lattice'): EvaluationOptions {
  const itemEmb = new Float32Array(16);
  for (let i = 0; i < 8; i++) itemEmb[2 * i] = 0.9 - 0.1 * i;
  return {
    userEmb: Float32Array.from([1, 0, -1, 0, 1, 1, 0, 1]),
    itemEmb,
    dim: 2,
    exclude: listsFromArrays([[1], [7], [], []], 4),
    targets: listsFromArrays([[2, 5, 7], [6], [], [4]], 4),
    ks,
    ndcg,
  };
}

describe('eval: metrics on a hand-computed example', () => {
  const d2 = 1 / log2(3), d5 = 1 / log2(6); // discounts of ranks 2 and 5
  const idcg2 = 1 + d2, idcg3 = 1 + d2 + 0.5;

  it('averages Recall and Precision over the three users with targets', () => {
    const r = evaluateRankingSync(tiny([1, 3, 5]));
    assert.strictEqual(r.users, 3);
    close(r.recall[1], (0 + 1 + 0) / 3, 'R@1');
    close(r.recall[3], (1 / 3 + 1 + 0) / 3, 'R@3');
    close(r.recall[5], (2 / 3 + 1 + 1) / 3, 'R@5');
    close(r.precision[1], (0 + 1 + 0) / 3, 'P@1');
    close(r.precision[3], (1 / 3 + 1 / 3 + 0) / 3, 'P@3');
    close(r.precision[5], (2 / 5 + 1 / 5 + 1 / 5) / 3, 'P@5');
  });

  it('standard NDCG divides by the ideal DCG of min(|targets|, K) targets', () => {
    const r = evaluateRankingSync(tiny([1, 3, 5]));
    assert.strictEqual(r.ndcgVariant, 'standard');
    close(r.ndcg[1], (0 + 1 + 0) / 3, 'N@1');
    close(r.ndcg[3], (d2 / idcg3 + 1 + 0) / 3, 'N@3');
    close(r.ndcg[5], ((d2 + d5) / idcg3 + 1 + d5) / 3, 'N@5');
  });

  it("'lattice' NDCG divides by the ideal DCG of the hits found in the top-max(ks) list", () => {
    const r = evaluateRankingSync(tiny([1, 3, 5], 'lattice'));
    assert.strictEqual(r.ndcgVariant, 'lattice');
    close(r.ndcg[1], (0 + 1 + 0) / 3, 'N@1');
    // user 0 found 2 of its 3 targets in the top 5: IDCG uses 2 positions even at K = 3.
    close(r.ndcg[3], (d2 / idcg2 + 1 + 0) / 3, 'N@3');
    close(r.ndcg[5], ((d2 + d5) / idcg2 + 1 + d5) / 3, 'N@5');
    assert.ok(r.ndcg[5] > evaluateRankingSync(tiny([1, 3, 5])).ndcg[5]);
    // Recall and Precision do not depend on the variant.
    assert.deepStrictEqual(r.recall, evaluateRankingSync(tiny([1, 3, 5])).recall);
  });

  it("'lattice' NDCG@K depends on max(ks), as in the CKD code", () => {
    // With ks = [3] the list is only 3 long: user 0 has one hit (rank 2), IDCG = 1.
    const r = evaluateRankingSync(tiny([3], 'lattice'));
    close(r.ndcg[3], (d2 / 1 + 1 + 0) / 3, 'N@3');
  });

  it('masks train items: user 0 never gets item 1, user 1 never item 7', () => {
    const r = evaluateRankingSync({ ...tiny([7]), perUser: true });
    const top = r.perUser!.top!;
    assert.deepStrictEqual([...top.users], [0, 1, 3]);
    assert.deepStrictEqual([...top.items.subarray(0, 7)], [0, 2, 3, 4, 5, 6, 7]);
    assert.deepStrictEqual([...top.items.subarray(7, 14)], [6, 5, 4, 3, 2, 1, 0]);
    assert.deepStrictEqual([...top.items.subarray(14, 21)], [0, 1, 2, 3, 4, 5, 6]);
  });

  it('pads lists of users with fewer than K candidates, Precision still over K', () => {
    const r = evaluateRankingSync({ ...tiny([8]), perUser: true });
    const top = r.perUser!.top!;
    assert.deepStrictEqual([...top.items.subarray(0, 8)], [0, 2, 3, 4, 5, 6, 7, -1]);
    assert.strictEqual(top.scores[7], -Infinity);
    close(r.perUser!.precision[8][0], 3 / 8, 'P@8 user 0');
    close(r.perUser!.recall[8][0], 1, 'R@8 user 0');
  });

  it('exposes per-user values whose mean is the reported average', () => {
    const r = evaluateRankingSync({ ...tiny([1, 3, 5]), perUser: true });
    const per = r.perUser!;
    for (const K of [1, 3, 5]) {
      for (const m of ['recall', 'precision', 'ndcg'] as const) {
        const mean = per[m][K].reduce((a, b) => a + b, 0) / per[m][K].length;
        close(mean, r[m][K], `${m}@${K}`);
      }
    }
    close(per.ndcg[5][2], d5, 'user 3 N@5 (all scores tie, target ranked 5th by id)');
  });

  it('restricts to a user subset, still skipping users without targets', () => {
    const r = evaluateRankingSync({ ...tiny([1]), users: Int32Array.from([1, 2]) });
    assert.strictEqual(r.users, 1);
    assert.strictEqual(r.recall[1], 1);
  });

  it('reports NaN over zero users rather than a made-up 0', () => {
    const r = evaluateRankingSync({ ...tiny([1]), users: Int32Array.from([2]) });
    assert.strictEqual(r.users, 0);
    assert.ok(Number.isNaN(r.recall[1]));
  });

  it('rejects bad input with a message', () => {
    assert.throws(() => evaluateRankingSync(tiny([0])), /positive integer/);
    assert.throws(() => evaluateRankingSync(tiny([5, 5])), /duplicates/);
    const nan = tiny([1]);
    nan.itemEmb[3] = NaN;
    assert.throws(() => evaluateRankingSync(nan), /NaN/);
    const unsorted = tiny([1]);
    unsorted.exclude = { indptr: Int32Array.from([0, 2, 2, 2, 2]), items: Int32Array.from([3, 1]) };
    assert.throws(() => evaluateRankingSync(unsorted), /not sorted/);
    const wrongUsers = tiny([1]);
    wrongUsers.targets = listsFromArrays([[1]], 1);
    assert.throws(() => evaluateRankingSync(wrongUsers), /cover 1 users/);
  });
});
