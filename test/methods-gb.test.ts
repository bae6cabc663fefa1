import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, itemsOf } from '../lib/data/dataset';
import { initEngine } from '../lib/engine/backend';
import { Rng } from '../lib/engine/random';
import { fixedTriples, holdOutInteractions } from '../lib/methods/gb/holdout';
import { GbEstimate, GradientBlendingMethod, gbOptions } from '../lib/methods/gb/method';
import { normaliseWeights, ogrWeight } from '../lib/methods/gb/ogr';
import { backboneFactory } from '../lib/models/registry';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { TrainingMethod } from '../lib/train/method';
import { ProgressSink } from '../lib/train/progress';
import { trainModel } from '../lib/train/trainer';
import { assertClose } from './engine-check';

describe('Gradient Blending', function () {
  this.timeout(60000);
  let data: Dataset;
  before(async () => {
    await initEngine({ quiet: true });
    data = synthesizeDataset('tiny', 3);
  });

  it('OGR weight: dG clamped at 0, dO = O(end) - O(start), w = dG / dO^2, normalised', () => {
    const w = ogrWeight({ trainStart: 0.6, valStart: 0.7, trainEnd: 0.3, valEnd: 0.6 });
    assertClose([w.dG, w.dO, w.raw], [0.1, 0.2, 2.5], 1e-9, 'ogr');
    const worse = ogrWeight({ trainStart: 0.6, valStart: 0.7, trainEnd: 0.3, valEnd: 0.8 });
    assert.strictEqual(worse.dG, 0);
    assert.strictEqual(worse.raw, 0);
    assert.deepStrictEqual(normaliseWeights({ a: 2.5, b: 0, c: 7.5 }), { a: 0.25, b: 0, c: 0.75 });
    assert.strictEqual(normaliseWeights({ a: 0, b: 0 }), null);
    assert.throws(() => gbOptions({ holdout: 1 }), /holdout must be in \(0, 1\)/);
  });

  it('holds out about 10% of each user\'s train interactions, never the last one, seeded', () => {
    const split = holdOutInteractions(data.train, 0.1, new Rng(1));
    const again = holdOutInteractions(data.train, 0.1, new Rng(1));
    assert.deepStrictEqual(again, split);
    const held = split.heldOut.items.length;
    const total = data.train.items.length;
    assert.ok(held > 0.06 * total && held < 0.14 * total, `${held} of ${total} held out`);
    for (let u = 0; u < data.numUsers; u++) {
      const all = Array.from(itemsOf(data.train, u));
      const kept = Array.from(itemsOf(split.train, u));
      const out = Array.from(itemsOf(split.heldOut, u));
      if (all.length > 0) assert.ok(kept.length >= 1, `user ${u} keeps an item`);
      assert.deepStrictEqual([...kept, ...out].sort((a, b) => a - b), all, `user ${u}: a partition`);
    }
    const t = fixedTriples(split.heldOut, data.train, data.numItems, 50, new Rng(2));
    assert.strictEqual(t.users.length, Math.min(50, held));
    for (let k = 0; k < t.users.length; k++) {
      const train = Array.from(itemsOf(data.train, t.users[k]));
      assert.ok(train.includes(t.pos[k]) && !train.includes(t.neg[k]));
    }
  });

  it('moves weight away from a planted overfitting modality', async () => {
    // Visual features that spell out the (kept) train interactions: feature u of item i is 5
    // when user u has i among the interactions GB trains on. The visual branch can fit the
    // train triples through them but learns nothing about the held-out ones. The control data
    // set gets informative visual features (a copy of the text ones) instead.
    const probe = new GradientBlendingMethod(undefined as never, data, {});
    const kept = probe.trainInteractions;
    const leak = new Float32Array(data.numItems * data.numUsers);
    for (let u = 0; u < data.numUsers; u++) for (const i of itemsOf(kept, u)) leak[i * data.numUsers + u] = 5;
    const planted: Dataset = { ...data, features: { ...data.features, visual: { rows: data.numItems, cols: data.numUsers, data: leak } } };
    const control: Dataset = { ...data, features: { ...data.features, visual: data.features.text } };
    const estimate = async (d: Dataset): Promise<GbEstimate> => {
      const model = backboneFactory('vbpr')(d, { seed: 5 });
      const gb = new GradientBlendingMethod(model, d, { estimateEpochs: 3 });
      assert.deepStrictEqual(gb.trainInteractions, kept, 'the split depends on the train lists and the seed only');
      const e = await gb.estimate({ model, data: d, mask: 'all', epoch: 1, rng: new Rng(7), lr: 5e-3, batchSize: 256, sampling: 'ckd' });
      model.dispose();
      return e;
    };
    const p = await estimate(planted);
    const c = await estimate(control);
    const v = p.branches.visual;
    assert.ok(v.trainStart - v.trainEnd > 3 * (v.valStart - v.valEnd), `the planted branch overfits: ${JSON.stringify(v)}`);
    assert.ok(p.weights.visual < p.weights.text && p.weights.visual < p.weights.all, JSON.stringify(p.weights));
    assert.ok(p.weights.visual < 0.15, `planted visual weight ${p.weights.visual}`);
    assert.ok(p.weights.visual < 0.5 * c.weights.visual, `planted ${p.weights.visual} vs control ${c.weights.visual}`);
    assertClose([p.weights.text + p.weights.visual + p.weights.all], [1], 1e-12, 'normalised');
  });

  it('trains on the kept interactions only, re-estimates every window, and leaks no tensors', async () => {
    const counts: number[] = [];
    const probe: ProgressSink = { epochStart() {}, step() {}, epochEnd() { counts.push(tf.memory().numTensors); }, done() {} };
    const before = tf.memory().numTensors;
    const model = backboneFactory('vbpr')(data, { seed: 5 });
    const gb = new GradientBlendingMethod(model, data, { window: 2, estimateEpochs: 1 });
    const heldOut = new Set<string>();
    for (let u = 0; u < data.numUsers; u++) for (const i of itemsOf(gb.heldOut, u)) heldOut.add(`${u}:${i}`);
    let seen = 0;
    const spy: TrainingMethod = {
      name: 'gb-spy',
      trainInteractions: gb.trainInteractions,
      beforeEpoch: (ctx) => gb.beforeEpoch(ctx),
      loss: (batch, ctx) => {
        for (let k = 0; k < batch.users.length; k++) assert.ok(!heldOut.has(`${batch.users[k]}:${batch.pos[k]}`), 'a held-out pair was trained on');
        seen += batch.users.length;
        return gb.loss(batch, ctx);
      },
      diagnostics: () => gb.diagnostics(),
    };
    const r = await trainModel(model, data, { mode: 'multimodal', seed: 5, epochs: 5, lr: 5e-3, batchSize: 256, evalEvery: 2, patience: 10, method: spy, progress: probe });
    model.dispose();
    assert.ok(seen > 0);
    assert.deepStrictEqual(gb.estimates.map(e => e.epoch), [1, 3, 5]);
    const w = r.history.map(h => h.diagnostics!);
    assert.deepStrictEqual(w[0], w[1], 'weights fixed within a window');
    assertClose([w[0].w_text + w[0].w_visual + w[0].w_all], [1], 1e-12, 'normalised');
    assert.strictEqual(new Set(counts.slice(1)).size, 1, `tensor counts per epoch: ${counts}`);
    assert.strictEqual(tf.memory().numTensors, before, 'tensors left after training');
    assert.ok(['bpr_text', 'bpr_visual', 'bpr_all', 'bpr', 'reg'].every(k => Number.isFinite(r.history[0].loss[k])));

    // Checkpoint state: a fresh method restored from it continues with the same weights.
    const fresh = new GradientBlendingMethod(undefined as never, data, { window: 2, estimateEpochs: 1 });
    fresh.restoreCheckpointState(JSON.parse(JSON.stringify(gb.checkpointState())));
    assert.deepStrictEqual(fresh.currentWeights, gb.currentWeights);
    assert.deepStrictEqual(fresh.estimates, gb.estimates);
    assert.throws(() => fresh.restoreCheckpointState({ weights: { text: 1 } }), /does not hold Gradient Blending state/);
  });
});
