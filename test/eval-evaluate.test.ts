import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { listsFromArrays } from '../lib/data/dataset';
import { evaluateRanking, evaluateRankingSync, evaluateTensors, rankTopKReference, usersWithTargets } from '../lib/eval';
import { syntheticRanking } from '../lib/eval/synthetic';

describe('eval: evaluateRanking end to end', () => {
  const p = syntheticRanking({ numUsers: 1500, numItems: 257, dim: 12, perUser: 10, seed: 'evaluate' });
  const ks = [5, 10, 20];

  it('matches metrics computed directly from a brute-force sort', () => {
    for (const variant of ['standard', 'lattice'] as const) {
      const r = evaluateRankingSync({ ...p, ks, ndcg: variant });
      const users = usersWithTargets(p.targets);
      const ref = rankTopKReference(p, users, 20);
      for (const K of ks) {
        let recall = 0, precision = 0, ndcg = 0;
        users.forEach((u, row) => {
          const t = new Set(p.targets.items.subarray(p.targets.indptr[u], p.targets.indptr[u + 1]));
          const list = [...ref.items.subarray(row * 20, row * 20 + 20)];
          const hitsAt = list.map((i) => (t.has(i) ? 1 : 0));
          let dcg = 0, h = 0;
          for (let q = 0; q < K; q++) if (hitsAt[q]) { dcg += 1 / Math.log2(q + 2); h++; }
          const idealCount = variant === 'standard' ? Math.min(t.size, K) : Math.min(hitsAt.reduce((a: number, b) => a + b, 0), K);
          let idcg = 0;
          for (let q = 0; q < idealCount; q++) idcg += 1 / Math.log2(q + 2);
          recall += h / t.size; precision += h / K; ndcg += idcg ? dcg / idcg : 0;
        });
        assert.strictEqual(r.users, users.length);
        assert.ok(Math.abs(r.recall[K] - recall / users.length) < 1e-12, `recall@${K}`);
        assert.ok(Math.abs(r.precision[K] - precision / users.length) < 1e-12, `precision@${K}`);
        assert.ok(Math.abs(r.ndcg[K] - ndcg / users.length) < 1e-12, `${variant} ndcg@${K}`);
      }
    }
  });

  it('gives identical results on worker threads', async () => {
    const sync = evaluateRankingSync({ ...p, ks, perUser: true });
    const par = await evaluateRanking({ ...p, ks, perUser: true, threads: 2 });
    assert.deepStrictEqual(par.recall, sync.recall);
    assert.deepStrictEqual(par.ndcg, sync.ndcg);
    assert.deepStrictEqual([...par.perUser!.top!.items], [...sync.perUser!.top!.items]);
  });

  it('skips users without targets', () => {
    const lists = [...Array(1500).keys()].map((u) => (u % 3 === 0 ? [] : [...p.targets.items.subarray(p.targets.indptr[u], p.targets.indptr[u + 1])]));
    const targets = listsFromArrays(lists, 1500);
    const r = evaluateRankingSync({ ...p, targets, ks: [10], perUser: true });
    assert.strictEqual(r.users, 1000);
    assert.ok(r.perUser!.users.every((u) => u % 3 !== 0));
  });

  it('reads tfjs tensors', async () => {
    const users = tf.tensor2d(p.userEmb, [1500, 12]);
    const items = tf.tensor2d(p.itemEmb, [257, 12]);
    const r = await evaluateTensors(users, items, { exclude: p.exclude, targets: p.targets, ks, threads: 1 });
    assert.deepStrictEqual(r, evaluateRankingSync({ ...p, ks }));
    await assert.rejects(evaluateTensors(users, tf.zeros([257, 5]) as tf.Tensor2D, { exclude: p.exclude, targets: p.targets, ks }), /width/);
    tf.dispose([users, items]);
  });
});
