import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, Modality } from '../lib/data/dataset';
import { userItemGraph } from '../lib/data/graphs';
import { initEngine } from '../lib/engine/backend';
import { MASKS, ModalityMask, TripleBatch } from '../lib/models/backbone';
import { EgoGcn, egogcnFactory } from '../lib/models/egogcn';
import { synthesizeDataset } from '../lib/synth/synthesize';
import {
  Mat, addBias, allScores, assertBprGradientsReachEveryVariable, assertGradientsMatchFiniteDifferences, assertNoTensorLeaks,
  assertShortRunImproves, matmul, maxAbsDiff, perturbVariables, sigmoid, withShuffled,
} from './model-fixtures';

const BATCH: TripleBatch = { users: Int32Array.of(0, 1, 2, 3, 1), pos: Int32Array.of(1, 2, 3, 4, 5), neg: Int32Array.of(9, 8, 7, 6, 0) };

// ---- a plain-array re-computation of EgoGCN's forward, from the model's variables -----------

const dot = (x: number[], y: number[]) => x.reduce((s, v, c) => s + v * y[c], 0);
const unit = (r: number[]) => { const n = Math.max(Math.hypot(...r), 1e-12); return r.map(x => x / n); };

function referenceScores(model: EgoGcn, data: Dataset, mask: ModalityMask, reattn = true): number[] {
  const U = data.numUsers;
  const g = userItemGraph(data.train, U, data.numItems, 'sym');
  const neighbours = (i: number) => Array.from(g.indices.subarray(g.indptr[i], g.indptr[i + 1]));
  const inputs = (m: Modality): Mat => {
    const [w, b, P] = model.groups[m].map(v => v.arraySync()) as [Mat, number[], Mat];
    const f = data.features[m];
    let rows: Mat = Array.from({ length: f.rows }, (_, i) => Array.from(f.data.subarray(i * f.cols, (i + 1) * f.cols)));
    let pref = P.map(unit);
    if (mask !== 'all' && mask !== m) {
      const mean = (a: Mat) => a[0].map((_, c) => a.reduce((s, r) => s + r[c], 0) / a.length);
      const [mr, mp] = [mean(rows), unit(mean(pref))];
      rows = rows.map(() => mr);
      pref = pref.map(() => mp);
    }
    const items = addBias(matmul(rows, w), b).map(r => unit(r.map(x => (x > 0 ? x : 0.01 * x))));
    return pref.concat(items);
  };
  // sum over i's in-edges of softmax_j(<q_i, k_j>) v_j
  const attend = (q: Mat, k: Mat, v: Mat, i: number): number[] => {
    const nb = neighbours(i);
    const out = new Array(64).fill(0);
    if (nb.length === 0) return out;
    const logits = nb.map(j => dot(q[i], k[j]));
    const mx = Math.max(...logits);
    const ex = logits.map(l => Math.exp(l - mx));
    const z = ex.reduce((s, e) => s + e, 0);
    nb.forEach((j, t) => { for (let c = 0; c < 64; c++) out[c] += (ex[t] / z) * v[j][c]; });
    return out;
  };
  const branch = (m: Modality, x: Mat, y: Mat): Mat => {
    const [, , , A, a] = model.groups[m].map(v => v.arraySync()) as [Mat, number[], Mat, Mat, number[]];
    const gate = addBias(matmul(y, A), a);
    const mod = x.map((r, i) => r.map((v, c) => (v + sigmoid(gate[i][c]) * y[i][c]) / 2));
    let h = x.map((_, i) => unit(attend(x, reattn ? mod : x, mod, i)));
    for (let r = 0; r < 3; r++) {
      const prev = h;
      h = prev.map((row, i) => { const agg = attend(prev, prev, prev, i); return unit(row.map((v, c) => v + agg[c])); });
    }
    return h;
  };
  const E = (model.groups.shared[0].arraySync() as Mat).map(unit);
  const prop = (x: Mat): Mat => x.map((_, i) => {
    const out = new Array(64).fill(0);
    for (let k = g.indptr[i]; k < g.indptr[i + 1]; k++) for (let c = 0; c < 64; c++) out[c] += g.values[k] * x[g.indices[k]][c];
    return out;
  });
  const e1 = prop(E), e2 = prop(e1), e3 = prop(e2);
  const id = E.map((r, i) => r.map((v, c) => v + e1[i][c] + e2[i][c] + e3[i][c]));
  const xv = inputs('visual'), xt = inputs('text');
  const rv = branch('visual', xv, xt), rt = branch('text', xt, xv);
  const rep = id.map((r, i) => r.concat(rv[i], rt[i]));
  const scores: number[] = [];
  for (let u = 0; u < U; u++) for (let i = 0; i < data.numItems; i++) scores.push(dot(rep[u], rep[U + i]));
  return scores;
}

describe('EgoGCN', () => {
  let data: Dataset;
  before(async () => {
    await initEngine({ quiet: true });
    data = synthesizeDataset('tiny', 2);
  });

  it('produces representations of the expected shapes; requested rows equal the full pass', () => {
    const model = egogcnFactory(data, { seed: 1 });
    assert.strictEqual(model.outDim, 192);
    for (const mask of MASKS) {
      const all = model.forward(mask);
      assert.deepStrictEqual(all.users.shape, [data.numUsers, 192]);
      assert.deepStrictEqual(all.items.shape, [data.numItems, 192]);
      const users = Int32Array.of(3, 1, data.numUsers - 1);
      const items = Int32Array.of(0, 5, 5, data.numItems - 1);
      const some = model.forward(mask, { users, items }, true);
      assert.deepStrictEqual(some.users.shape, [3, 192]);
      assert.deepStrictEqual(some.items.shape, [4, 192]);
      const [fu, fi, su, si] = [all.users, all.items, some.users, some.items].map(t => t.arraySync() as number[][]);
      users.forEach((u, k) => assert.deepStrictEqual(su[k], fu[u]));
      items.forEach((i, k) => assert.deepStrictEqual(si[k], fi[i]));
      for (const row of fu.concat(fi)) for (const v of row) assert.ok(Number.isFinite(v));
      tf.dispose([all.users, all.items, some.users, some.items]);
    }
    model.dispose();
  });

  it('matches a plain re-computation of the reference forward, under every mask', function () {
    this.timeout(60000);
    for (const reattn of [1, 0]) {
      const model = egogcnFactory(data, { seed: 1, params: { reattn } }) as EgoGcn;
      // Move the parameters away from their initial values so that every term matters.
      perturbVariables(model);
      for (const mask of MASKS) {
        const reps = model.forward(mask);
        const got = tf.tidy(() => tf.matMul(reps.users, reps.items, false, true).dataSync());
        const want = referenceScores(model, data, mask, reattn === 1);
        const scale = Math.max(...want.map(Math.abs));
        assert.ok(maxAbsDiff(got as Float32Array, Float32Array.from(want)) < 1e-4 * scale, `reattn ${reattn} mask ${mask}: ${maxAbsDiff(got as Float32Array, Float32Array.from(want))} (scale ${scale})`);
        tf.dispose([reps.users, reps.items]);
      }
      model.dispose();
    }
  });

  it('an ablated forward ignores its modality: shuffled features leave every score unchanged', () => {
    const shuffled = (m: 'visual' | 'text'): Dataset => withShuffled(data, m);
    const base = { text: allScores(egogcnFactory, data, 'text'), visual: allScores(egogcnFactory, data, 'visual'), all: allScores(egogcnFactory, data, 'all') };
    const scale = Math.max(...base.all.map(Math.abs));
    // mask 'text' ablates visual; mask 'visual' ablates text.
    assert.ok(maxAbsDiff(allScores(egogcnFactory, shuffled('visual'), 'text'), base.text) <= 1e-5 * scale);
    assert.ok(maxAbsDiff(allScores(egogcnFactory, shuffled('text'), 'visual'), base.visual) <= 1e-5 * scale);
    // ...while the full model sees both (the branches read each other's inputs).
    assert.ok(maxAbsDiff(allScores(egogcnFactory, shuffled('visual'), 'all'), base.all) > 1e-3 * scale);
    assert.ok(maxAbsDiff(allScores(egogcnFactory, shuffled('text'), 'all'), base.all) > 1e-3 * scale);
    // and ablation changes the scores.
    assert.ok(maxAbsDiff(base.text, base.all) > 1e-3 * scale);
  });

  it('gradients of the BPR loss reach every parameter of every group', () => {
    assertBprGradientsReachEveryVariable(egogcnFactory(data, { seed: 1 }), data, BATCH);
  });

  it('gradients agree with finite differences of the loss (along each variable\'s gradient)', () => {
    const model = egogcnFactory(data, { seed: 1, params: {} });
    // Move the parameters away from their initial values so that every term matters.
    perturbVariables(model);
    assertGradientsMatchFiniteDifferences(model, data, BATCH);
    model.dispose();
  });

  it('regularisation follows the reference form', () => {
    const model = egogcnFactory(data, { seed: 1, params: { lambda: 1 } }) as EgoGcn;
    const reps = model.forward('all', { users: BATCH.users, items: Int32Array.from([...BATCH.pos, ...BATCH.neg]) }, true);
    const reg = model.regularization(BATCH, reps);
    const [E, Pv, Pt] = model.groups.shared.concat(model.groups.visual[2], model.groups.text[2]).map(v => v.arraySync() as number[][]);
    const sq = (r: number[]) => r.reduce((s, x) => s + x * x, 0);
    const B = BATCH.users.length;
    const U = data.numUsers;
    let e = 0, p = 0;
    for (let k = 0; k < B; k++) {
      e += 2 * sq(E[BATCH.users[k]]) + sq(E[U + BATCH.pos[k]]) + sq(E[U + BATCH.neg[k]]);
      p += sq(Pv[BATCH.users[k]]) + sq(Pt[BATCH.users[k]]);
    }
    const expected = e / (2 * B * 64) + p / (B * 64);
    assert.ok(Math.abs(reg.dataSync()[0] - expected) < 1e-5 * expected, `${reg.dataSync()[0]} vs ${expected}`);
    tf.dispose([reps.users, reps.items, reg]);
    model.dispose();
  });

  it('leaves no tensors behind after forward + backward and after dispose', () => {
    assertNoTensorLeaks(() => egogcnFactory(data, { seed: 1 }), data, BATCH);
  });

  it('is deterministic in the seed', () => {
    const a = allScores(egogcnFactory, data, 'all', { seed: 4 });
    assert.deepStrictEqual(allScores(egogcnFactory, data, 'all', { seed: 4 }), a);
    assert.ok(maxAbsDiff(allScores(egogcnFactory, data, 'all', { seed: 5 }), a) > 0);
  });

  it('rejects unknown or invalid parameters', () => {
    assert.throws(() => egogcnFactory(data, { seed: 1, params: { lamda: 1 } }), /unknown parameter 'lamda'/);
    assert.throws(() => egogcnFactory(data, { seed: 1, params: { routing: 1.5 } }), /routing/);
  });

  it('a short training run on tiny beats its initial validation Recall@20', async () => {
    await assertShortRunImproves(egogcnFactory(data, { seed: 7 }), data, 20, 5);
  });
});
