import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset } from '../lib/data/dataset';
import { TripleSampler } from '../lib/data/samplers';
import { initEngine } from '../lib/engine/backend';
import { Rng } from '../lib/engine/random';
import { GradientBlendingMethod } from '../lib/methods/gb/method';
import { BACKBONES, backboneFactory } from '../lib/models/registry';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { leanVariableGrads } from '../lib/train/lean-gradients';
import { createMethod } from '../lib/methods/registry';

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (x: number, i: number) => Object.is(x, b[i]));

describe('train: gradients with an early-freeing backward pass (leanVariableGrads)', () => {
  let data: Dataset;
  before(async () => {
    await initEngine({ backend: 'wasm', quiet: true });
    data = synthesizeDataset('tiny', 3);
  });

  for (const name of Object.keys(BACKBONES)) {
    it(`${name}: tf.variableGrads's value and gradients, bit for bit, leaving no tensor behind`, () => {
      const model = backboneFactory(name)(data, { seed: 4 });
      try {
        const batch = new TripleSampler(data.train, data.numItems).epoch(64, new Rng(5))[0];
        // GB runs three passes (all, text, visual) through the model: a tape with shared subgraphs.
        const method = name === 'bprmf' ? createMethod('plain', model, data) : new GradientBlendingMethod(model, data, {});
        const ctx = { model, data, mask: 'all' as const, epoch: 0, step: 0, rng: new Rng(6) };
        const vars = model.variables();
        const loss = () => method.loss(batch, ctx).total;
        const stock = tf.variableGrads(loss, vars);
        const before = tf.memory().numTensors;
        const lean = leanVariableGrads(loss, vars);
        const leftover = tf.memory().numTensors - before;
        assert.strictEqual(leftover, 1 + Object.keys(lean.grads).length, 'only the value and the gradients remain');
        assert.ok(sameBits(lean.value.dataSync(), stock.value.dataSync()), 'loss');
        assert.deepStrictEqual(Object.keys(lean.grads).sort(), Object.keys(stock.grads).sort());
        for (const [k, g] of Object.entries(stock.grads)) assert.ok(sameBits(lean.grads[k].dataSync(), g.dataSync()), `gradient of ${k}`);
        tf.dispose([stock.value, lean.value, ...Object.values(stock.grads), ...Object.values(lean.grads)]);
        method.dispose?.();
      } finally {
        model.dispose();
      }
    });
  }

  it('refuses a loss that is not a scalar, and variables that are not trainable', () => {
    const v = tf.variable(tf.ones([3]), true, 'lean_test_v');
    const frozen = tf.variable(tf.ones([3]), false, 'lean_test_frozen');
    assert.throws(() => leanVariableGrads(() => tf.mul(v, 2) as unknown as tf.Scalar, [v]), /must be a scalar/);
    assert.throws(() => leanVariableGrads(() => tf.sum(frozen), [frozen]), /none of the variables is trainable/);
    assert.throws(() => leanVariableGrads(() => tf.sum(tf.ones([2])), [v]), /no variable is connected/);
    tf.dispose([v, frozen]);
  });
});
