import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../lib/engine/backend';
import { GradientProbe } from '../lib/methods/gradient-probe';
import { backboneFactory } from '../lib/models/registry';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { trainModel } from '../lib/train/trainer';

describe('gradient probe (Section 2.4)', function () {
  this.timeout(120000);
  before(() => initEngine({ quiet: true }));
  const data = synthesizeDataset('tiny', 1);

  it('measures the shared factor, each modality\'s margin part and per-group gradient norms without changing the model', async () => {
    const model = backboneFactory('vbpr')(data, { seed: 2 });
    try {
      const before = model.variables().map(v => Array.from(v.dataSync()));
      const probe = new GradientProbe(data, 512, 3);
      await probe.measure(model, 'all'); // the first ablated forwards cache the mean features
      const tensors = tf.memory().numTensors;
      const all = await probe.measure(model, 'all');
      assert.strictEqual(tf.memory().numTensors, tensors);
      assert.deepStrictEqual(model.variables().map(v => Array.from(v.dataSync())), before);
      assert.ok(all.shared > 0 && all.shared < 1);
      assert.ok(Math.abs(all.shared - 0.5) < 0.1, 'an untrained model has margins near 0');
      for (const k of ['S_text', 'S_visual', 'grad_text', 'grad_visual', 'grad_shared']) assert.ok(Number.isFinite(all[k]), k);
      assert.ok(all.grad_text > 0 && all.grad_visual > 0);
      const text = await probe.measure(model, 'text');
      assert.ok(text.grad_visual < 1e-6 * text.grad_text, 'visual parameters get no gradient (beyond rounding) when visual is ablated: i and j share the mean feature');
      assert.ok(text.grad_text > 0);
      assert.strictEqual(text.S_text, undefined);
      assert.deepStrictEqual(await probe.measure(model, 'all'), all, 'deterministic');
    } finally {
      model.dispose();
    }
  });

  it('probing every epoch leaves training bit for bit the same, and the shared factor falls', async () => {
    const run = async (withProbe: boolean) => {
      const model = backboneFactory('vbpr')(data, { seed: 5 });
      const probe = new GradientProbe(data, 256, 1);
      try {
        return await trainModel(model, data, {
          mode: 'multimodal', seed: 5, epochs: 4, lr: 1e-2, batchSize: 128, evalEvery: 2, patience: 10,
          probe: withProbe ? (m, mask) => probe.measure(m, mask) : undefined,
        });
      } finally {
        model.dispose();
      }
    };
    const plain = await run(false);
    const probed = await run(true);
    assert.deepStrictEqual(probed.test, plain.test);
    assert.deepStrictEqual(probed.history.map(h => h.loss), plain.history.map(h => h.loss));
    const shared = probed.history.map(h => h.probe!.shared);
    assert.strictEqual(shared.length, 4);
    assert.ok(shared[3] < shared[0], `shared factor falls: ${shared.join(', ')}`);
  });
});
