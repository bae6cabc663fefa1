import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, FeatureMatrix, Modality } from '../lib/data/dataset';
import { userItemGraph } from '../lib/data/graphs';
import { initEngine } from '../lib/engine/backend';
import { Rng } from '../lib/engine/random';
import { Backbone, BackboneOptions, MASKS, ModalityMask, TripleBatch } from '../lib/models/backbone';
import { EgoGcn, egogcnFactory } from '../lib/models/egogcn';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { plainMethod } from '../lib/train/method';
import { trainModel } from '../lib/train/trainer';
import { evaluateBackbone } from '../lib/train/validate';

function shuffledRows(f: FeatureMatrix, seed: number): FeatureMatrix {
  const order = new Rng(seed).shuffle(Int32Array.from({ length: f.rows }, (_, k) => k));
  const data = new Float32Array(f.data.length);
  order.forEach((src, dst) => data.set(f.data.subarray(src * f.cols, (src + 1) * f.cols), dst * f.cols));
  return { ...f, data };
}

function allScores(data: Dataset, mask: ModalityMask, opts: BackboneOptions = { seed: 3 }): Float32Array {
  const model = egogcnFactory(data, opts);
  const reps = model.forward(mask, {}, false);
  const scores = tf.tidy(() => tf.matMul(reps.users, reps.items, false, true).dataSync() as Float32Array);
  tf.dispose([reps.users, reps.items]);
  model.dispose();
  return scores;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.strictEqual(a.length, b.length);
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k] - b[k]));
  return m;
}

const BATCH: TripleBatch = { users: Int32Array.of(0, 1, 2, 3, 1), pos: Int32Array.of(1, 2, 3, 4, 5), neg: Int32Array.of(9, 8, 7, 6, 0) };

function lossGrads(model: Backbone, data: Dataset, mask: ModalityMask) {
  const ctx = { model, data, mask, epoch: 1, step: 0, rng: new Rng(1) };
  return tf.variableGrads(() => plainMethod.loss(BATCH, ctx).total, model.variables());
}


// ---- a plain-array re-computation of EgoGCN's forward, from the model's variables -----------

type Mat = number[][];
const matmul = (a: Mat, b: Mat): Mat => a.map(r => b[0].map((_, c) => r.reduce((s, x, k) => s + x * b[k][c], 0)));
const addBias = (a: Mat, b: number[]): Mat => a.map(r => r.map((x, c) => x + b[c]));
const dot = (x: number[], y: number[]) => x.reduce((s, v, c) => s + v * y[c], 0);
const unit = (r: number[]) => { const n = Math.max(Math.hypot(...r), 1e-12); return r.map(x => x / n); };
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

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
      for (const v of model.variables()) v.assign(tf.tidy(() => tf.add(v, tf.mul(tf.sin(tf.mul(tf.reshape(tf.range(0, v.size), v.shape), 1.7)), 0.3))));
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
    const shuffled = (m: 'visual' | 'text'): Dataset =>
      ({ ...data, features: { ...data.features, [m]: shuffledRows(data.features[m], 11) } });
    const base = { text: allScores(data, 'text'), visual: allScores(data, 'visual'), all: allScores(data, 'all') };
    const scale = Math.max(...base.all.map(Math.abs));
    // mask 'text' ablates visual; mask 'visual' ablates text.
    assert.ok(maxAbsDiff(allScores(shuffled('visual'), 'text'), base.text) <= 1e-5 * scale);
    assert.ok(maxAbsDiff(allScores(shuffled('text'), 'visual'), base.visual) <= 1e-5 * scale);
    // ...while the full model sees both (the branches read each other's inputs).
    assert.ok(maxAbsDiff(allScores(shuffled('visual'), 'all'), base.all) > 1e-3 * scale);
    assert.ok(maxAbsDiff(allScores(shuffled('text'), 'all'), base.all) > 1e-3 * scale);
    // and ablation changes the scores.
    assert.ok(maxAbsDiff(base.text, base.all) > 1e-3 * scale);
  });

  it('gradients of the BPR loss reach every parameter of every group', () => {
    const model = egogcnFactory(data, { seed: 1 });
    const { value, grads } = lossGrads(model, data, 'all');
    assert.ok(Number.isFinite(value.dataSync()[0]));
    for (const group of ['shared', 'visual', 'text'] as const) {
      assert.ok(model.groups[group].length > 0);
      for (const v of model.groups[group]) {
        const g = grads[v.name];
        assert.ok(g, `no gradient for a ${group} variable of shape ${v.shape}`);
        const norm = tf.tidy(() => tf.norm(g).dataSync()[0]);
        assert.ok(norm > 0 && Number.isFinite(norm), `gradient norm ${norm} for a ${group} variable of shape ${v.shape}`);
      }
    }
    assert.strictEqual(model.variables().length, new Set(model.variables().map(v => v.name)).size);
    tf.dispose([value, ...Object.values(grads)]);
    model.dispose();
  });

  it('gradients agree with finite differences of the loss (along each variable\'s gradient)', () => {
    const model = egogcnFactory(data, { seed: 1, params: {} });
    // Move the parameters away from their initial values so that every term matters.
    for (const v of model.variables()) v.assign(tf.tidy(() => tf.add(v, tf.mul(tf.sin(tf.mul(tf.reshape(tf.range(0, v.size), v.shape), 1.7)), 0.3))));
    for (const mask of ['all', 'text'] as const) {
      const ctx = { model, data, mask, epoch: 1, step: 0, rng: new Rng(1) };
      const loss = () => tf.tidy(() => plainMethod.loss(BATCH, ctx).total.dataSync()[0]);
      const { value, grads } = tf.variableGrads(() => plainMethod.loss(BATCH, ctx).total, model.variables());
      let checked = 0;
      for (const v of model.variables()) {
        const norm = tf.tidy(() => tf.norm(grads[v.name]).dataSync()[0]);
        if (norm < 2e-3) continue; // below what float32 differences resolve
        checked++;
        const orig = v.clone();
        const eps = 1e-2;
        const step = tf.tidy(() => tf.mul(grads[v.name], eps / norm));
        v.assign(tf.tidy(() => tf.add(orig, step)));
        const up = loss();
        v.assign(tf.tidy(() => tf.sub(orig, step)));
        const down = loss();
        v.assign(orig);
        tf.dispose([orig, step]);
        const numeric = (up - down) / (2 * eps);
        assert.ok(Math.abs(numeric - norm) < 0.03 * norm, `mask ${mask}, variable ${v.shape}: |g| ${norm}, finite difference ${numeric}`);
      }
      assert.ok(checked >= 4, `only ${checked} variables checked under mask ${mask}`);
      tf.dispose([value, ...Object.values(grads)]);
    }
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
    const before = tf.memory().numTensors;
    const model = egogcnFactory(data, { seed: 1 });
    // Warm-up: the first backward pass builds and keeps each feature matrix's transpose (FixedLinear).
    const warm = lossGrads(model, data, 'all');
    tf.dispose([warm.value, ...Object.values(warm.grads)]);
    const afterInit = tf.memory().numTensors;
    for (const mask of MASKS) {
      const { value, grads } = lossGrads(model, data, mask);
      tf.dispose([value, ...Object.values(grads)]);
      assert.strictEqual(tf.memory().numTensors, afterInit, `leak under mask ${mask}`);
      const reps = model.forward(mask);
      tf.dispose([reps.users, reps.items]);
      assert.strictEqual(tf.memory().numTensors, afterInit);
    }
    model.dispose();
    assert.strictEqual(tf.memory().numTensors, before);
  });

  it('is deterministic in the seed', () => {
    const a = allScores(data, 'all', { seed: 4 });
    assert.deepStrictEqual(allScores(data, 'all', { seed: 4 }), a);
    assert.ok(maxAbsDiff(allScores(data, 'all', { seed: 5 }), a) > 0);
  });

  it('rejects unknown or invalid parameters', () => {
    assert.throws(() => egogcnFactory(data, { seed: 1, params: { lamda: 1 } }), /unknown parameter 'lamda'/);
    assert.throws(() => egogcnFactory(data, { seed: 1, params: { routing: 1.5 } }), /routing/);
  });

  it('a short training run on tiny beats its initial validation Recall@20', async () => {
    const model = egogcnFactory(data, { seed: 7 });
    try {
      const initial = (await evaluateBackbone(model, data, 'val', ['all'], [20])).all.recall[20];
      const r = await trainModel(model, data, { mode: 'multimodal', seed: 7, epochs: 20, lr: 5e-3, batchSize: 128, evalEvery: 5, patience: 10 });
      assert.ok(r.bestValRecall > initial, `val recall@20 ${initial} -> ${r.bestValRecall}`);
      const losses = r.history.map(h => h.loss.total);
      assert.ok(losses[losses.length - 1] < losses[0], `loss ${losses[0]} -> ${losses[losses.length - 1]}`);
    } finally {
      model.dispose();
    }
  });
});
