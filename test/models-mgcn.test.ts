import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, Modality } from '../lib/data/dataset';
import { userItemGraph } from '../lib/data/graphs';
import { itemKnnGraph } from '../lib/data/knn';
import { initEngine } from '../lib/engine/backend';
import { MASKS, ModalityMask, TripleBatch } from '../lib/models/backbone';
import { Mgcn, mgcnFactory } from '../lib/models/mgcn';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { tripleScores } from '../lib/train/bpr';
import {
  Mat, addBias, allScores, assertBprGradientsReachEveryVariable, assertGradientsMatchFiniteDifferences, assertNoTensorLeaks,
  assertShortRunImproves, matmul, maxAbsDiff, perturbVariables, sigmoid, withShuffled,
} from './model-fixtures';

const BATCH: TripleBatch = { users: Int32Array.of(0, 1, 2, 3, 1), pos: Int32Array.of(1, 2, 3, 4, 5), neg: Int32Array.of(9, 8, 7, 6, 0) };

// ---- a plain-array re-computation of MGCN's forward, from the model's variables -------------

const mapM = (a: Mat, f: (x: number, r: number, c: number) => number): Mat => a.map((row, r) => row.map((x, c) => f(x, r, c)));
function sparseTimes(g: { numRows: number; indptr: Int32Array; indices: Int32Array; values: Float32Array }, x: Mat): Mat {
  const out: Mat = [];
  for (let r = 0; r < g.numRows; r++) {
    const row = new Array(x[0].length).fill(0);
    for (let k = g.indptr[r]; k < g.indptr[r + 1]; k++) for (let c = 0; c < row.length; c++) row[c] += g.values[k] * x[g.indices[k]][c];
    out.push(row);
  }
  return out;
}

function referenceScores(model: Mgcn, data: Dataset, mask: ModalityMask): number[] {
  const [userId, itemId, w1, b1, w2] = model.groups.shared.map(v => v.arraySync()) as [Mat, Mat, Mat, number[], Mat];
  const U = data.numUsers;
  const adj = userItemGraph(data.train, U, data.numItems, 'sym');
  const e0 = userId.concat(itemId);
  const e1 = sparseTimes(adj, e0);
  const e2 = sparseTimes(adj, e1);
  const H = mapM(e0, (x, r, c) => (x + e1[r][c] + e2[r][c]) / 3);
  const view = (m: Modality): Mat => {
    const [pw, pb, gw, gb] = model.groups[m].map(v => v.arraySync()) as [Mat, number[], Mat, number[]];
    const f = data.features[m];
    let rows: Mat = Array.from({ length: f.rows }, (_, i) => Array.from(f.data.subarray(i * f.cols, (i + 1) * f.cols)));
    if (mask !== 'all' && mask !== m) {
      const mean = rows[0].map((_, c) => rows.reduce((s, r) => s + r[c], 0) / rows.length);
      rows = rows.map(() => mean);
    }
    const gate = mapM(addBias(matmul(addBias(matmul(rows, pw), pb), gw), gb), sigmoid);
    let items = mapM(itemId, (x, r, c) => x * gate[r][c]);
    if (mask === 'all' || mask === m) items = sparseTimes(itemKnnGraph(f, { k: 10, normalize: 'sym' }), items);
    const users = sparseTimes(adj, Array.from({ length: U }, () => new Array(items[0].length).fill(0)).concat(items)).slice(0, U);
    return users.concat(items);
  };
  const Mv = view('visual');
  const Mt = view('text');
  const logit = (M: Mat) => matmul(mapM(addBias(matmul(M, w1), b1), Math.tanh), w2).map(r => r[0]);
  const [lv, lt] = [logit(Mv), logit(Mt)];
  const common = mapM(Mv, (x, r, c) => {
    const bv = Math.exp(lv[r]) / (Math.exp(lv[r]) + Math.exp(lt[r]));
    return bv * x + (1 - bv) * Mt[r][c];
  });
  const prefer = (m: Modality) => {
    const [, , , , qw, qb] = model.groups[m].map(v => v.arraySync()) as [Mat, number[], Mat, number[], Mat, number[]];
    return mapM(addBias(matmul(H, qw), qb), sigmoid);
  };
  const [pv, pt] = [prefer('visual'), prefer('text')];
  const z = mapM(H, (h, r, c) => h + (pv[r][c] * (Mv[r][c] - common[r][c]) + pt[r][c] * (Mt[r][c] - common[r][c]) + common[r][c]) / 3);
  const scores: number[] = [];
  for (let u = 0; u < U; u++) for (let i = 0; i < data.numItems; i++) scores.push(z[u].reduce((s, x, c) => s + x * z[U + i][c], 0));
  return scores;
}

describe('MGCN', () => {
  let data: Dataset;
  before(async () => {
    await initEngine({ quiet: true });
    data = synthesizeDataset('tiny', 2);
  });

  it('produces representations of the expected shapes; requested rows equal the full pass', () => {
    const model = mgcnFactory(data, { seed: 1 });
    assert.strictEqual(model.outDim, 64);
    for (const mask of MASKS) {
      const all = model.forward(mask);
      assert.strictEqual(all.aux, undefined, 'no aux outside training');
      assert.deepStrictEqual(all.users.shape, [data.numUsers, 64]);
      assert.deepStrictEqual(all.items.shape, [data.numItems, 64]);
      const users = Int32Array.of(3, 1, data.numUsers - 1);
      const items = Int32Array.of(0, 5, 5, data.numItems - 1);
      const some = model.forward(mask, { users, items }, true);
      assert.deepStrictEqual(some.users.shape, [3, 64]);
      assert.deepStrictEqual(some.items.shape, [4, 64]);
      assert.deepStrictEqual(some.aux?.sideUsers.shape, [3, 64]);
      assert.deepStrictEqual(some.aux?.hUsers.shape, [3, 64]);
      assert.deepStrictEqual(some.aux?.sideItems.shape, [4, 64]);
      assert.deepStrictEqual(some.aux?.hItems.shape, [4, 64]);
      const [fu, fi, su, si] = [all.users, all.items, some.users, some.items].map(t => t.arraySync() as number[][]);
      users.forEach((u, k) => assert.deepStrictEqual(su[k], fu[u]));
      items.forEach((i, k) => assert.deepStrictEqual(si[k], fi[i]));
      // z = H + side on the requested rows.
      const z = tf.tidy(() => tf.add(some.aux!.hItems, some.aux!.sideItems).arraySync() as number[][]);
      assert.ok(maxAbsDiff(z.flat(), si.flat()) < 1e-6);
      tf.dispose([all.users, all.items, some.users, some.items, ...Object.values(some.aux ?? {})]);
    }
    model.dispose();
  });

  it('matches a plain re-computation of the reference forward, under every mask', function () {
    this.timeout(60000);
    const model = mgcnFactory(data, { seed: 1 }) as Mgcn;
    // Move the parameters away from their initial values so that every term matters.
    perturbVariables(model);
    for (const mask of MASKS) {
      const reps = model.forward(mask);
      const got = tf.tidy(() => tf.matMul(reps.users, reps.items, false, true).dataSync());
      const want = referenceScores(model, data, mask);
      const scale = Math.max(...want.map(Math.abs));
      assert.ok(maxAbsDiff(got, want) < 1e-4 * scale, `mask ${mask}: ${maxAbsDiff(got, want)} (scale ${scale})`);
      tf.dispose([reps.users, reps.items]);
    }
    model.dispose();
  });

  it('an ablated forward ignores its modality: shuffled features leave every score unchanged', () => {
    const shuffled = (m: 'visual' | 'text'): Dataset => withShuffled(data, m);
    const base = { text: allScores(mgcnFactory, data, 'text'), visual: allScores(mgcnFactory, data, 'visual'), all: allScores(mgcnFactory, data, 'all') };
    const scale = Math.max(...base.all.map(Math.abs));
    // mask 'text' ablates visual (features and kNN graph); mask 'visual' ablates text.
    assert.ok(maxAbsDiff(allScores(mgcnFactory, shuffled('visual'), 'text'), base.text) <= 1e-5 * scale);
    assert.ok(maxAbsDiff(allScores(mgcnFactory, shuffled('text'), 'visual'), base.visual) <= 1e-5 * scale);
    assert.ok(maxAbsDiff(allScores(mgcnFactory, shuffled('visual'), 'all'), base.all) > 1e-4 * scale);
    assert.ok(maxAbsDiff(allScores(mgcnFactory, shuffled('text'), 'all'), base.all) > 1e-4 * scale);
    assert.ok(maxAbsDiff(base.text, base.all) > 1e-4 * scale);
  });

  it('gradients of the BPR loss reach every parameter of every group', () => {
    assertBprGradientsReachEveryVariable(mgcnFactory(data, { seed: 1 }), data, BATCH);
  });

  it('gradients agree with finite differences of the loss (along each variable\'s gradient)', () => {
    const model = mgcnFactory(data, { seed: 1, params: { cl: 0.5 } });
    // Move the parameters away from their initial values so that every term matters.
    perturbVariables(model);
    assertGradientsMatchFiniteDifferences(model, data, BATCH);
    model.dispose();
  });

  it('regularisation: L2 on the batch representations plus the weighted InfoNCE term', () => {
    const noCl = mgcnFactory(data, { seed: 1, params: { cl: 0, reg: 1 } });
    const withCl = mgcnFactory(data, { seed: 1, params: { cl: 0.5, reg: 1 } });
    const { pos, neg, reps } = tripleScores(noCl, 'all', BATCH, true);
    const B = BATCH.users.length;
    const l2 = tf.tidy(() => (tf.sum(tf.square(reps.users)).dataSync()[0] + tf.sum(tf.square(reps.items)).dataSync()[0]) / 2 / B);
    const r0 = noCl.regularization(BATCH, reps);
    assert.ok(Math.abs(r0.dataSync()[0] - l2) < 1e-5 * l2);
    const r1 = withCl.regularization(BATCH, reps); // same seed: same representations
    // InfoNCE by hand, over the positives (first B item rows) and the users.
    const nce = (a: number[][], b: number[][]) => {
      const n = (r: number[]) => { const s = Math.hypot(...r); return r.map(x => x / s); };
      const [na, nb] = [a.map(n), b.map(n)];
      const dot = (x: number[], y: number[]) => x.reduce((s, v, c) => s + v * y[c], 0);
      return na.reduce((s, r, k) => s - Math.log(Math.exp(dot(r, nb[k]) / 0.2) / nb.reduce((t, q) => t + Math.exp(dot(r, q) / 0.2), 0)), 0) / na.length;
    };
    const ax = Object.fromEntries(Object.entries(reps.aux!).map(([k, t]) => [k, t.arraySync() as number[][]]));
    const cl = nce(ax.sideItems.slice(0, B), ax.hItems.slice(0, B)) + nce(ax.sideUsers, ax.hUsers);
    assert.ok(Math.abs(r1.dataSync()[0] - (l2 + 0.5 * cl)) < 1e-4 * (l2 + 0.5 * cl), `${r1.dataSync()[0]} vs ${l2 + 0.5 * cl}`);
    // Without aux (an inference-mode forward) the contrastive term cannot be computed.
    const inference = withCl.forward('all', { users: BATCH.users, items: Int32Array.from([...BATCH.pos, ...BATCH.neg]) }, false);
    assert.throws(() => withCl.regularization(BATCH, inference), /aux/);
    tf.dispose([pos, neg, reps.users, reps.items, ...Object.values(reps.aux!), r0, r1, inference.users, inference.items]);
    noCl.dispose();
    withCl.dispose();
  });

  it('leaves no tensors behind after forward + backward and after dispose', () => {
    assertNoTensorLeaks(() => mgcnFactory(data, { seed: 1 }), data, BATCH);
  });

  it('is deterministic in the seed', () => {
    const a = allScores(mgcnFactory, data, 'all', { seed: 4 });
    assert.deepStrictEqual(allScores(mgcnFactory, data, 'all', { seed: 4 }), a);
    assert.ok(maxAbsDiff(allScores(mgcnFactory, data, 'all', { seed: 5 }), a) > 0);
  });

  it('rejects unknown or invalid parameters', () => {
    assert.throws(() => mgcnFactory(data, { seed: 1, params: { cl_loss: 1 } }), /unknown parameter 'cl_loss'/);
    assert.throws(() => mgcnFactory(data, { seed: 1, params: { knnK: 0 } }), /knnK/);
  });

  it('a short training run on tiny beats its initial validation Recall@20', async () => {
    await assertShortRunImproves(mgcnFactory(data, { seed: 7 }), data, 20, 5);
  });
});
