import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset } from '../lib/data/dataset';
import { initEngine } from '../lib/engine/backend';
import { backboneFactory } from '../lib/models/registry';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { EarlyStopping } from '../lib/train/early-stopping';
import { ProgressSink } from '../lib/train/progress';
import { TrainOptions, trainModel } from '../lib/train/trainer';
import { evaluateBackbone } from '../lib/train/validate';
import { MASKS } from '../lib/models/backbone';

const base: TrainOptions = { mode: 'multimodal', seed: 5, epochs: 6, lr: 5e-3, batchSize: 256, evalEvery: 2, patience: 10 };

async function run(data: Dataset, opts: Partial<TrainOptions> = {}, model = 'vbpr') {
  const m = backboneFactory(model)(data, { seed: opts.seed ?? base.seed });
  try {
    return await trainModel(m, data, { ...base, ...opts });
  } finally {
    m.dispose();
  }
}

describe('trainer', () => {
  let data: Dataset;
  before(async () => {
    await initEngine({ quiet: true });
    data = synthesizeDataset('tiny', 3);
  });

  it('the same seed gives identical metrics and history, bit for bit', async () => {
    const a = await run(data);
    const b = await run(data);
    assert.deepStrictEqual(a.test, b.test);
    assert.deepStrictEqual(a.history.map(h => h.loss), b.history.map(h => h.loss));
    const c = await run(data, { seed: 6 });
    assert.notDeepStrictEqual(a.history.map(h => h.loss), c.history.map(h => h.loss));
  });

  it('does not leak tensors across epochs', async () => {
    const counts: number[] = [];
    const probe: ProgressSink = { epochStart() {}, step() {}, epochEnd() { counts.push(tf.memory().numTensors); }, done() {} };
    const before = tf.memory().numTensors;
    await run(data, { epochs: 8, progress: probe });
    assert.strictEqual(new Set(counts.slice(1)).size, 1, `tensor counts per epoch: ${counts}`);
    assert.strictEqual(tf.memory().numTensors, before, 'tensors left after training');
  });

  it('learns: the loss falls and validation beats a random ranking', async () => {
    const r = await run(data, { epochs: 20, evalEvery: 5 });
    const first = r.history[0].loss.total;
    const last = r.history[r.history.length - 1].loss.total;
    assert.ok(last < first, `loss ${first} -> ${last}`);
    // A random ranking of ~100 items finds about 20/100 of the targets in the top 20.
    assert.ok(r.test.all.recall[20] > 0.25, `test recall@20 ${r.test.all.recall[20]}`);
    assert.ok(r.bestEpoch > 0 && r.history.some(h => h.val));
    for (const mask of ['all', 'text', 'visual'] as const) assert.ok(Number.isFinite(r.test[mask].ndcg[20]));
  });

  it('stops early after `patience` validations without improvement and restores the best state', async () => {
    // A large learning rate on tiny data peaks within a few epochs and then overfits.
    const model = backboneFactory('vbpr')(data, { seed: base.seed });
    try {
      const r = await trainModel(model, data, { ...base, epochs: 60, evalEvery: 1, patience: 2, lr: 0.05 });
      assert.ok(r.stoppedEarly, 'expected an early stop');
      assert.strictEqual(r.epochsRun, r.bestEpoch + 2);
      assert.strictEqual(r.history.length, r.epochsRun);
      assert.strictEqual(r.val.all.recall[20], r.bestValRecall);
      // The weights left in the model are the best epoch's: validating them again gives its figure.
      const again = await evaluateBackbone(model, data, 'val', MASKS, [10, 20]);
      assert.deepStrictEqual(again, r.val, 'the best state is restored');
    } finally {
      model.dispose();
    }
  });

  it('rejects out-of-range options with a clear message', async () => {
    await assert.rejects(run(data, { lr: 0 }), /--lr must be in \(0, 1\)/);
    await assert.rejects(run(data, { batchSize: 0 }), /--batch-size must be a positive integer/);
  });
});

describe('early stopping', () => {
  it('counts validations since the best and stops at patience', () => {
    const s = new EarlyStopping(2);
    assert.ok(s.update(0.1, 5));
    assert.ok(!s.update(0.1, 10), 'equal is not better');
    assert.ok(!s.shouldStop);
    assert.ok(!s.update(0.05, 15));
    assert.ok(s.shouldStop);
    assert.strictEqual(s.bestEpoch, 5);
  });
});
