import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset } from '../lib/data/dataset';
import { TripleSampler } from '../lib/data/samplers';
import { initEngine } from '../lib/engine/backend';
import { Rng } from '../lib/engine/random';
import { GradientBlendingMethod } from '../lib/methods/gb/method';
import { BACKBONES, backboneFactory } from '../lib/models/registry';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { leanVariableGrads, leanVariableGradsAsync } from '../lib/train/lean-gradients';
import { Teacher, disposeTeachers } from '../lib/methods/teacher';
import { createMethod } from '../lib/methods/registry';
import { setAsyncHostReads } from '../lib/nn/host-values';
import { settled } from '../lib/train/method';

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
        const loss = () => settled(method.loss(batch, ctx)).total;
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

  it('leanVariableGradsAsync: CKD\'s loss with its margins awaited mid-forward gives lean\'s bits, leaving no tensor behind', async () => {
    const model = backboneFactory('egogcn')(data, { seed: 4 });
    const teacherModel = backboneFactory('egogcn')(data, { seed: 9 });
    const teachers = { visual: Teacher.freeze(teacherModel, data, 'visual', { seed: 9 }), text: Teacher.freeze(teacherModel, data, 'text', { seed: 9 }) };
    try {
      const batch = new TripleSampler(data.train, data.numItems).epoch(64, new Rng(5))[0];
      const vars = model.variables();
      const run = async (async: boolean) => {
        const ckd = createMethod('ckd', model, data, {}, teachers);
        const ctx = { model, data, mask: 'all' as const, epoch: 0, step: 0, rng: new Rng(6) };
        if (!async) return leanVariableGrads(() => settled(ckd.loss(batch, ctx)).total, vars);
        // webgpu's way: the margins are read asynchronously, so the loss is a Promise awaited inside the tape.
        setAsyncHostReads(true);
        try {
          return await leanVariableGradsAsync(async () => {
            const pending = ckd.loss(batch, ctx);
            assert.ok(pending instanceof Promise, 'the loss waits for its host values');
            return (await pending).total;
          }, vars);
        } finally {
          setAsyncHostReads(false);
        }
      };
      const sync = await run(false);
      const before = tf.memory().numTensors;
      const viaAwait = await run(true);
      assert.strictEqual(tf.memory().numTensors - before, 1 + Object.keys(viaAwait.grads).length, 'only the value and the gradients remain');
      assert.ok(sameBits(viaAwait.value.dataSync(), sync.value.dataSync()), 'loss');
      assert.deepStrictEqual(Object.keys(viaAwait.grads).sort(), Object.keys(sync.grads).sort());
      for (const [k, g] of Object.entries(sync.grads)) assert.ok(sameBits(viaAwait.grads[k].dataSync(), g.dataSync()), `gradient of ${k}`);
      tf.dispose([sync.value, viaAwait.value, ...Object.values(sync.grads), ...Object.values(viaAwait.grads)]);
    } finally {
      disposeTeachers(teachers);
      teacherModel.dispose();
      model.dispose();
    }
  });

  it('refuses a loss that is not a scalar, and variables that are not trainable', () => {
    const v = tf.variable(tf.ones([3]), true, 'lean_test_v');
    const frozen = tf.variable(tf.ones([3]), false, 'lean_test_frozen');
    assert.throws(() => leanVariableGrads(() => tf.mul(v, 2) as unknown as tf.Scalar, [v]), /must be a scalar/);
    assert.throws(() => leanVariableGrads(() => tf.sum(frozen), [frozen]), /none of the variables is trainable/);
    assert.throws(() => leanVariableGrads(() => tf.sum(tf.ones([2])), [v]), /no variable is connected/);
    tf.dispose([v, frozen]);
  });
});
