import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, FeatureMatrix, Modality } from '../lib/data/dataset';
import { initEngine } from '../lib/engine/backend';
import { Rng } from '../lib/engine/random';
import { BackboneFactory, MASKS, ModalityMask, TripleBatch } from '../lib/models/backbone';
import { Grcn, grcnFactory } from '../lib/models/grcn';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { plainMethod } from '../lib/train/method';
import { trainModel } from '../lib/train/trainer';
import { evaluateBackbone } from '../lib/train/validate';

const factory: BackboneFactory = grcnFactory;
const OUT_DIM = 192;

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

/** GRCN's equations (BACKBONES.md) with dense tfjs ops, from the model's variables. */
function denseGrcn(model: Grcn, data: Dataset, mask: ModalityMask): tf.Tensor2D {
  const p = model as unknown as {
    idEmb: tf.Tensor2D; pref: Record<Modality, tf.Tensor2D>; proj: Record<Modality, { w: tf.Tensor2D; b: tf.Tensor1D }>;
    conf: Record<Modality, tf.Tensor2D>;
  };
  return tf.tidy(() => {
    const adj = denseAdjacency(data); // adj[i][j] = 1: edge j -> i
    const norm = (x: tf.Tensor2D) => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D;
    const content: tf.Tensor2D[] = [];
    const scores: tf.Tensor2D[] = [];
    for (const m of ['visual', 'text'] as const) {
      const ablate = mask !== 'all' && mask !== m;
      const pref = ablate ? tf.add(tf.zeros(p.pref[m].shape), tf.mean(p.pref[m], 0, true)) as tf.Tensor2D : p.pref[m];
      const feat = tf.leakyRelu(tf.add(tf.matMul(featureTensor(data, m, ablate), p.proj[m].w), p.proj[m].b), 0.01) as tf.Tensor2D;
      const h = tf.concat([norm(pref), norm(feat)], 0);
      // Softmax over each row's edges (in-edges of the row's node); rows without edges stay 0.
      const logits = tf.matMul(h, h, false, true);
      const ex = tf.mul(tf.exp(tf.sub(logits, tf.max(logits, 1, true))), adj);
      const alpha = tf.div(ex, tf.maximum(tf.sum(ex, 1, true), 1e-30)) as tf.Tensor2D;
      content.push(tf.add(h, tf.matMul(alpha, h)) as tf.Tensor2D);
      const conf = ablate ? tf.mean(p.conf[m]) : tf.reshape(p.conf[m], [1, -1]); // by source j (column)
      scores.push(tf.mul(alpha, conf) as tf.Tensor2D);
    }
    const w = tf.mul(tf.relu(tf.maximum(scores[0], scores[1])), adj) as tf.Tensor2D;
    const x = norm(p.idEmb);
    const h1 = tf.matMul(w, x);
    const h2 = tf.matMul(w, h1);
    return tf.concat([tf.add(tf.add(x, h1), h2), ...content], 1) as tf.Tensor2D;
  });
}

const batch: TripleBatch = { users: Int32Array.of(0, 1, 2, 3, 7), pos: Int32Array.of(1, 2, 3, 4, 0), neg: Int32Array.of(9, 8, 7, 6, 5) };

function lossAndGrads(model: Grcn, data: Dataset, mask: ModalityMask = 'all') {
  const ctx = { model, data, mask, epoch: 1, step: 0, rng: new Rng(1) };
  return tf.variableGrads(() => plainMethod.loss(batch, ctx).total, model.variables());
}

describe('GRCN', () => {
  let data: Dataset;
  before(async () => {
    await initEngine({ quiet: true });
    data = synthesizeDataset('tiny', 2);
  });

  it('equals a dense re-computation of its equations, under every mask', () => {
    const model = new Grcn(data, { seed: 1 });
    for (const mask of MASKS) {
      const r = model.forward(mask);
      const ours = tf.concat([r.users, r.items], 0);
      const ref = denseGrcn(model, data, mask);
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
    const model = new Grcn(data, { seed: 1 });
    // E_id; per modality W, b, P, confidence column.
    assert.strictEqual(model.variables().length, 1 + 2 * 4);
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
    // Text-only forward: the visual confidence column enters through its mean only (equal gradient
    // in every row); the visual preference table through its mean plus the L2 term on the batch rows.
    const t = lossAndGrads(model, data, 'text');
    const [, , , confV] = model.groups.visual;
    const gc = t.grads[confV.name];
    const spread = tf.tidy(() => tf.max(tf.abs(tf.sub(gc, tf.mean(gc, 0, true)))).dataSync()[0]);
    assert.ok(spread < 1e-9, `ablated confidence rows get different gradients (${spread})`);
    tf.dispose([t.value, ...Object.values(t.grads)]);
    model.dispose();
  });

  it('an ablated content block is one constant row for every node with edges', () => {
    const model = new Grcn(data, { seed: 1 });
    const hasEdges = (u: number) => data.train.indptr[u + 1] > data.train.indptr[u];
    const itemSeen = new Uint8Array(data.numItems);
    for (const i of data.train.items) itemSeen[i] = 1;
    for (const [mask, block] of [['text', 1], ['visual', 2]] as const) {
      const r = model.forward(mask);
      const users = tf.slice(r.users, [0, 64 * block], [-1, 64]).arraySync() as number[][];
      const items = tf.slice(r.items, [0, 64 * block], [-1, 64]).arraySync() as number[][];
      const rows = [...users.filter((_, u) => hasEdges(u)), ...items.filter((_, i) => itemSeen[i])];
      assert.ok(rows.length > data.numUsers / 2);
      for (const row of rows) row.forEach((x, c) => assert.ok(Math.abs(x - rows[0][c]) < 1e-5, `${mask}: ${x} vs ${rows[0][c]}`));
      tf.dispose([r.users, r.items]);
    }
    model.dispose();
  });

  it('leaks no tensors in forward, forward+backward, and dispose', () => {
    const before = tf.memory().numTensors;
    const model = new Grcn(data, { seed: 1 });
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
    assert.throws(() => grcnFactory(data, { seed: 1, params: { layers: 1 } }), /unknown parameter 'layers'/);
    assert.throws(() => grcnFactory(data, { seed: 1, params: { lambda: -1 } }), /lambda/);
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
