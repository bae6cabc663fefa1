import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, FeatureMatrix, Modality } from '../lib/data/dataset';
import { initEngine } from '../lib/engine/backend';
import { Rng } from '../lib/engine/random';
import { BackboneFactory, MASKS, ModalityMask, TripleBatch } from '../lib/models/backbone';
import { MMGCN_DEFAULTS, Mmgcn, mmgcnFactory } from '../lib/models/mmgcn';
import { denseLinear, l2NormalizeRows, leakyRelu } from '../lib/models/mmgcn-ops';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { plainMethod } from '../lib/train/method';
import { trainModel } from '../lib/train/trainer';
import { evaluateBackbone } from '../lib/train/validate';

const factory: BackboneFactory = mmgcnFactory;
const OUT_DIM = 64;

function shuffledRows(f: FeatureMatrix, seed: number): FeatureMatrix {
  const order = new Rng(seed).shuffle(Int32Array.from({ length: f.rows }, (_, k) => k));
  const data = new Float32Array(f.data.length);
  order.forEach((src, dst) => data.set(f.data.subarray(src * f.cols, (src + 1) * f.cols), dst * f.cols));
  return { ...f, data };
}

function allScores(data: Dataset, mask: ModalityMask, seed = 3): Float32Array {
  const model = factory(data, { seed });
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

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]));
  return m;
}

/** The user-item train adjacency as a dense (U+I) x (U+I) 0/1 matrix, users then items. */
function denseAdjacency(data: Dataset): tf.Tensor2D {
  const n = data.numUsers + data.numItems;
  const a = new Float32Array(n * n);
  for (let u = 0; u < data.numUsers; u++) {
    for (let k = data.train.indptr[u]; k < data.train.indptr[u + 1]; k++) {
      const i = data.numUsers + data.train.items[k];
      a[u * n + i] = 1;
      a[i * n + u] = 1;
    }
  }
  return tf.tensor2d(a, [n, n]);
}

function featureTensor(data: Dataset, m: Modality, ablate: boolean): tf.Tensor2D {
  const f = tf.tensor2d(data.features[m].data, [data.features[m].rows, data.features[m].cols]);
  return ablate ? tf.add(tf.zeros(f.shape), tf.mean(f, 0, true)) : f;
}

/** MMGCN's equations (BACKBONES.md) with dense tfjs ops, from the model's variables. */
function denseMmgcn(model: Mmgcn, data: Dataset, mask: ModalityMask): tf.Tensor2D {
  type Dense = { w: tf.Tensor2D; b: tf.Tensor1D };
  const p = model as unknown as {
    userId: tf.Tensor2D; itemId: tf.Tensor2D; pref: Record<Modality, tf.Tensor2D>; proj: Record<Modality, Dense>;
    gcn: Record<Modality, { conv: Dense; lin: Dense; g: Dense }[]>;
  };
  return tf.tidy(() => {
    const adj = denseAdjacency(data);
    const withSelf = tf.add(adj, tf.eye(adj.shape[0]));
    const aHat = tf.div(withSelf, tf.sum(withSelf, 1, true)) as tf.Tensor2D;
    const lrelu = (x: tf.Tensor2D) => tf.leakyRelu(x, 0.01) as tf.Tensor2D;
    const lin = (x: tf.Tensor2D, d: Dense) => tf.add(tf.matMul(x, d.w), d.b) as tf.Tensor2D;
    const idEmb = tf.concat([p.userId, p.itemId], 0);
    const branch = (m: Modality): tf.Tensor2D => {
      const ablate = mask !== 'all' && mask !== m;
      const pref = ablate ? tf.add(tf.zeros(p.pref[m].shape), tf.mean(p.pref[m], 0, true)) : p.pref[m];
      const feat = lin(featureTensor(data, m, ablate), p.proj[m]);
      const x0 = tf.concat([pref, feat], 0);
      let x = tf.div(x0, tf.norm(x0, 'euclidean', 1, true)) as tf.Tensor2D;
      for (const l of p.gcn[m]) {
        const h = lrelu(tf.matMul(aHat, lin(x, l.conv)));
        const xHat = tf.add(lrelu(lin(x, l.lin)), idEmb) as tf.Tensor2D;
        x = lrelu(tf.add(lin(h, l.g), xHat) as tf.Tensor2D);
      }
      return x;
    };
    return tf.div(tf.add(branch('visual'), branch('text')), 2) as tf.Tensor2D;
  });
}

const batch: TripleBatch = { users: Int32Array.of(0, 1, 2, 3, 7), pos: Int32Array.of(1, 2, 3, 4, 0), neg: Int32Array.of(9, 8, 7, 6, 5) };

function lossAndGrads(model: Mmgcn, data: Dataset, mask: ModalityMask = 'all') {
  const ctx = { model, data, mask, epoch: 1, step: 0, rng: new Rng(1) };
  return tf.variableGrads(() => plainMethod.loss(batch, ctx).total, model.variables());
}

describe('MMGCN (CKD code form)', () => {
  let data: Dataset;
  before(async () => {
    await initEngine({ quiet: true });
    data = synthesizeDataset('tiny', 2);
  });

  it('its fast linear, LeakyReLU and row-normalisation ops match tfjs\'s own, in values and gradients', () => {
    const rng = new Rng(5);
    const rand = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal()), shape);
    const [x, w, b, c] = [rand([37, 16]), rand([16, 16]), rand([16]), rand([37, 16])];
    // Row 3 of X W + b is zeroed (by the mask) to exercise the normalisation's clamp.
    const zeroRow = tf.tensor2d(Float32Array.from({ length: 37 }, (_, k) => (k === 3 ? 0 : 1)), [37, 1]);
    const ours = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(l2NormalizeRows(tf.mul(
      leakyRelu(denseLinear(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D), 0.01), zeroRow) as tf.Tensor2D), c));
    const stock = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
      const y = tf.mul(tf.leakyRelu(tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b), 0.01), zeroRow);
      return tf.sum(tf.mul(tf.mul(y, tf.rsqrt(tf.maximum(tf.sum(tf.square(y), 1, true), 1e-24))), c));
    };
    const a = tf.valueAndGrads(ours)([x, w, b]);
    const s = tf.valueAndGrads(stock)([x, w, b]);
    assert.ok(Math.abs(a.value.dataSync()[0] - s.value.dataSync()[0]) < 1e-3);
    a.grads.forEach((g, k) => assert.ok(maxAbsDiff(g.dataSync() as Float32Array, s.grads[k].dataSync() as Float32Array) < 1e-4, `gradient ${k}`));
    tf.dispose([x, w, b, c, zeroRow, a.value, s.value, ...a.grads, ...s.grads]);
  });

  it('equals a dense re-computation of its equations, under every mask', () => {
    const model = new Mmgcn(data, { seed: 1 });
    for (const mask of MASKS) {
      const r = model.forward(mask);
      const ours = tf.concat([r.users, r.items], 0);
      const ref = denseMmgcn(model, data, mask);
      const diff = maxAbsDiff(ours.dataSync() as Float32Array, ref.dataSync() as Float32Array);
      assert.ok(diff < 1e-4 * Math.max(1, maxAbs(ref.dataSync() as Float32Array)), `${mask}: max difference ${diff}`);
      tf.dispose([r.users, r.items, ours, ref]);
    }
    model.dispose();
  });

  it('produces representations of the expected shapes; requested rows equal the full pass', () => {
    const model = factory(data, { seed: 1 });
    assert.strictEqual(model.outDim, OUT_DIM);
    for (const mask of MASKS) {
      const all = model.forward(mask);
      assert.deepStrictEqual(all.users.shape, [data.numUsers, OUT_DIM]);
      assert.deepStrictEqual(all.items.shape, [data.numItems, OUT_DIM]);
      const users = Int32Array.of(3, 1, data.numUsers - 1);
      const items = Int32Array.of(0, 5, 5, data.numItems - 1);
      const some = model.forward(mask, { users, items }, true);
      assert.deepStrictEqual(some.users.shape, [3, OUT_DIM]);
      assert.deepStrictEqual(some.items.shape, [4, OUT_DIM]);
      const [fu, fi, su, si] = [all.users, all.items, some.users, some.items].map(t => t.arraySync() as number[][]);
      users.forEach((u, k) => assert.deepStrictEqual(su[k], fu[u]));
      items.forEach((i, k) => assert.deepStrictEqual(si[k], fi[i]));
      const onlyUsers = model.forward(mask, { users });
      assert.deepStrictEqual(onlyUsers.items.shape, [data.numItems, OUT_DIM]);
      tf.dispose([all.users, all.items, some.users, some.items, onlyUsers.users, onlyUsers.items]);
    }
    model.dispose();
  });

  it('an ablated forward ignores its modality: shuffled features leave every score unchanged', () => {
    const shuffled = (m: Modality): Dataset => ({ ...data, features: { ...data.features, [m]: shuffledRows(data.features[m], 11) } });
    const ref = { text: allScores(data, 'text'), visual: allScores(data, 'visual'), all: allScores(data, 'all') };
    // Mask 'text' ablates visual; mask 'visual' ablates text. Equal up to the summation order of the mean.
    const tol = 1e-5 * maxAbs(ref.all);
    assert.ok(maxAbsDiff(allScores(shuffled('visual'), 'text'), ref.text) <= tol);
    assert.ok(maxAbsDiff(allScores(shuffled('text'), 'visual'), ref.visual) <= tol);
    // ...while the full model, and the channel that keeps the modality, do see them.
    assert.ok(maxAbsDiff(allScores(shuffled('visual'), 'all'), ref.all) > 1e-3 * maxAbs(ref.all));
    assert.ok(maxAbsDiff(allScores(shuffled('text'), 'text'), ref.text) > 1e-3 * maxAbs(ref.all));
    // The masks differ from each other.
    assert.ok(maxAbsDiff(ref.text, ref.visual) > 1e-3 * maxAbs(ref.all));
  });

  it('gradients of the BPR loss reach every parameter group, and only through kept modalities', () => {
    const model = new Mmgcn(data, { seed: 1 });
    assert.strictEqual(model.variables().length, 2 + 2 * (3 + 6 * MMGCN_DEFAULTS.layers));
    const { value, grads } = lossAndGrads(model, data);
    assert.ok(Number.isFinite(value.dataSync()[0]));
    for (const group of ['shared', 'visual', 'text'] as const) {
      for (const v of model.groups[group]) {
        const g = grads[v.name];
        assert.ok(g, `no gradient for a ${group} variable`);
        const norm = tf.tidy(() => tf.norm(g).dataSync()[0]);
        assert.ok(norm > 0 && Number.isFinite(norm), `gradient norm ${norm} for a ${group} variable of shape ${v.shape}`);
      }
    }
    tf.dispose([value, ...Object.values(grads)]);
    // Text-only forward: the visual projection's gradient only sees the mean feature row, not zero,
    // but the visual preference table gets the same gradient in every row (through its mean).
    const t = lossAndGrads(model, data, 'text');
    const gv = t.grads[model.groups.visual[2].name];
    const spread = tf.tidy(() => tf.max(tf.abs(tf.sub(gv, tf.mean(gv, 0, true)))).dataSync()[0]);
    assert.ok(spread < 1e-9, `ablated preference rows get different gradients (${spread})`);
    tf.dispose([t.value, ...Object.values(t.grads)]);
    model.dispose();
  });

  it('leaks no tensors in forward, forward+backward, and dispose', () => {
    const before = tf.memory().numTensors;
    const model = new Mmgcn(data, { seed: 1 });
    // Warm-up: the fixed-feature layers keep their transposed features after the first backward pass.
    const w = lossAndGrads(model, data);
    tf.dispose([w.value, ...Object.values(w.grads)]);
    const steady = tf.memory().numTensors;
    for (const mask of MASKS) {
      const r = model.forward(mask);
      tf.dispose([r.users, r.items]);
      assert.strictEqual(tf.memory().numTensors, steady, `forward under ${mask}`);
      const g = lossAndGrads(model, data, mask);
      tf.dispose([g.value, ...Object.values(g.grads)]);
      assert.strictEqual(tf.memory().numTensors, steady, `forward+backward under ${mask}`);
    }
    model.dispose();
    assert.strictEqual(tf.memory().numTensors, before, 'tensors left after dispose');
  });

  it('is deterministic in the seed', () => {
    assert.deepStrictEqual(allScores(data, 'all', 4), allScores(data, 'all', 4));
    assert.notDeepStrictEqual(allScores(data, 'all', 4), allScores(data, 'all', 5));
  });

  it('rejects unknown or invalid hyper-parameters', () => {
    assert.throws(() => mmgcnFactory(data, { seed: 1, params: { lamda: 1 } }), /unknown parameter 'lamda'/);
    assert.throws(() => mmgcnFactory(data, { seed: 1, params: { layers: 0 } }), /layers/);
    const two = new Mmgcn(data, { seed: 1, params: { layers: 2 } });
    assert.strictEqual(two.variables().length, 2 + 2 * (3 + 6 * 2));
    two.dispose();
  });

  it('trains: a short run on tiny beats its initial validation Recall@20', async () => {
    const model = factory(data, { seed: 7 });
    try {
      const initial = (await evaluateBackbone(model, data, 'val', ['all'], [20])).all.recall[20];
      const r = await trainModel(model, data, { mode: 'multimodal', seed: 7, epochs: 10, lr: 5e-3, batchSize: 128, evalEvery: 2, patience: 10 });
      assert.ok(r.bestValRecall > initial, `val recall@20 ${initial} -> best ${r.bestValRecall}`);
      const losses = r.history.map(h => h.loss.total);
      assert.ok(losses[losses.length - 1] < losses[0], `loss ${losses[0]} -> ${losses[losses.length - 1]}`);
    } finally {
      model.dispose();
    }
  });
});
