/**
 * One loss per method, on both kinds of backend: CKD and OGM-GE read margins to the host in the
 * middle of their loss (lib/nn/host-values.ts, withHostValues). Where reads are synchronous the
 * loss is ready at once; where they are not (webgpu) it is a Promise that the trainer awaits
 * inside the step's tape. Forcing the asynchronous way on wasm must train the same bits; and a
 * loss left pending where reads are synchronous is refused in one line.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset } from '../lib/data/dataset';
import { initEngine } from '../lib/engine/backend';
import { createMethod } from '../lib/methods/registry';
import { Teacher, TeacherPair, disposeTeachers } from '../lib/methods/teacher';
import { backboneFactory } from '../lib/models/registry';
import { setAsyncHostReads } from '../lib/nn/host-values';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { TrainingMethod, plainMethod } from '../lib/train/method';
import { TrainResult, trainModel } from '../lib/train/trainer';

describe('train: a loss that waits for host values (webgpu\'s way) trains the same bits', function () {
  this.timeout(120000);
  let data: Dataset;
  before(async () => {
    await initEngine({ backend: 'wasm', quiet: true });
    data = synthesizeDataset('tiny', 3);
  });
  afterEach(() => setAsyncHostReads(false));

  /** Two epochs of `method` on a fresh model; the final weights with the result. */
  async function run(model: string, method: string, async: boolean): Promise<{ r: TrainResult; weights: Float32Array[] }> {
    setAsyncHostReads(async);
    const m = backboneFactory(model)(data, { seed: 5 });
    let teachers: TeacherPair | undefined;
    if (method === 'ckd') {
      const t = backboneFactory(model)(data, { seed: 9 });
      teachers = { visual: Teacher.freeze(t, data, 'visual', { seed: 9 }), text: Teacher.freeze(t, data, 'text', { seed: 9 }) };
      t.dispose();
    }
    try {
      const r = await trainModel(m, data, {
        mode: 'multimodal', seed: 5, epochs: 2, lr: 5e-3, batchSize: 64, evalEvery: 1, patience: 10,
        method: createMethod(method as 'ckd' | 'ogm', m, data, {}, teachers),
      });
      return { r, weights: m.variables().map(v => v.dataSync() as Float32Array) };
    } finally {
      m.dispose();
      if (teachers) disposeTeachers(teachers);
    }
  }

  for (const [model, method] of [['vbpr', 'ckd'], ['egogcn', 'ckd'], ['grcn', 'ogm']]) {
    it(`${model} with ${method}: history, metrics and weights bit for bit, no tensor left`, async () => {
      const sync = await run(model, method, false);
      const before = tf.memory().numTensors;
      const awaited = await run(model, method, true);
      assert.strictEqual(tf.memory().numTensors, before, 'tensors left');
      assert.deepStrictEqual(awaited.r.history.map(h => [h.loss, h.val, h.diagnostics]), sync.r.history.map(h => [h.loss, h.val, h.diagnostics]));
      assert.deepStrictEqual(awaited.r.test, sync.r.test);
      assert.deepStrictEqual(awaited.weights, sync.weights);
    });
  }

  it('refuses a loss left pending where reads are synchronous, naming the method', async () => {
    const model = backboneFactory('vbpr')(data, { seed: 5 });
    const pending: TrainingMethod = { name: 'pending', loss: async (batch, ctx) => plainMethod.loss(batch, ctx) };
    try {
      await assert.rejects(trainModel(model, data, { mode: 'multimodal', seed: 5, epochs: 1, lr: 5e-3, batchSize: 64, evalEvery: 1, patience: 10, method: pending }),
        /method 'pending': the loss is pending where host reads are synchronous/);
    } finally {
      model.dispose();
    }
  });
});
