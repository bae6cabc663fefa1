/**
 * CKD's reuseKeptBranches (lib/nn/same-in-every-pass.ts): in MMGCN and GRCN a kept branch is
 * computed once per step for every pass that keeps it. The step's loss must be the same bits
 * (the forward values are the same), the update the same to float rounding, the work smaller,
 * no tensor may be left behind, and training with it on must repeat bit for bit.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset } from '../lib/data/dataset';
import { TripleSampler } from '../lib/data/samplers';
import { initEngine } from '../lib/engine/backend';
import { Rng } from '../lib/engine/random';
import { CkdMethod } from '../lib/methods/ckd/method';
import { TeacherPair, disposeTeachers } from '../lib/methods/teacher';
import { backboneFactory } from '../lib/models/registry';
import { sameInEveryPass } from '../lib/nn/same-in-every-pass';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { runStep, trainModel } from '../lib/train/trainer';
import { assertClose } from './engine-check';
import { untrainedTeachers } from './trained-teachers';

/** One CKD step of a fresh model (seed 3) on a fixed batch; its loss terms, updated variables and kernel count. */
async function oneStep(name: string, data: Dataset, teachers: TeacherPair, reuse: boolean) {
  const model = backboneFactory(name)(data, { seed: 3 });
  const method = new CkdMethod(model, data, teachers, { reuseKeptBranches: reuse, universalCount: 200 });
  const optimizer = tf.train.adam(1e-3);
  try {
    const b = new TripleSampler(data.train, data.numItems).ckdBatch(64, new Rng(5));
    const batch = { users: b.users, pos: b.pos, neg: b.neg };
    const ctx = { model, data, mask: 'all' as const, epoch: 1, step: 0, rng: new Rng(6) };
    let terms: Record<string, number> = {};
    const profile = await tf.profile(async () => { terms = await runStep(optimizer, model.variables(), method, batch, ctx); });
    const vars = model.variables().map(v => Array.from(v.dataSync()));
    return { terms, vars, kernels: profile.kernels.length };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

describe('reusing a late-fusion backbone\'s kept branch within a CKD step', function () {
  this.timeout(300000);
  let data: Dataset;
  let teachers: TeacherPair;
  before(async () => {
    await initEngine({ quiet: true });
    data = synthesizeDataset('tiny', 1);
    teachers = untrainedTeachers(data);
  });
  after(() => disposeTeachers(teachers));

  for (const name of ['mmgcn', 'grcn']) {
    it(`${name}: the same loss bits, the same update to rounding, less work, no tensor left`, async () => {
      const off = await oneStep(name, data, teachers, false);
      const before = tf.memory().numTensors;
      const on = await oneStep(name, data, teachers, true);
      assert.strictEqual(tf.memory().numTensors, before, 'tensors left behind by the shared branches');
      assert.deepStrictEqual(on.terms, off.terms, 'the forward values, hence the loss, are the same bits');
      on.vars.forEach((v, k) => assertClose(v, off.vars[k], 1e-5, `variable ${k}`));
      assert.ok(on.kernels < off.kernels, `kernels with reuse ${on.kernels}, without ${off.kernels}`);
    });
  }

  it('training with it on repeats bit for bit, and differs from the default only in rounding', async () => {
    const run = async (reuse: boolean) => {
      const model = backboneFactory('mmgcn')(data, { seed: 4 });
      const method = new CkdMethod(model, data, teachers, { reuseKeptBranches: reuse, universalCount: 200 });
      try {
        const r = await trainModel(model, data, { mode: 'multimodal', method, seed: 4, epochs: 2, lr: 1e-3, batchSize: 256, evalEvery: 1, patience: 5 });
        return { losses: r.history.map(h => h.loss), totals: r.history.map(h => h.loss.total), test: r.test.all.recall[20] };
      } finally {
        model.dispose();
      }
    };
    const a = await run(true);
    const again = await run(true);
    assert.deepStrictEqual([again.losses, again.test], [a.losses, a.test]);
    assertClose(a.totals, (await run(false)).totals, 1e-4, 'epoch losses with and without reuse');
  });

  it('outside a step it just computes, every time', () => {
    const owner = {};
    let calls = 0;
    const t = tf.tidy(() => [sameInEveryPass(owner, 'x', () => { calls++; return tf.ones([2]); }), sameInEveryPass(owner, 'x', () => { calls++; return tf.ones([2]); })]);
    assert.strictEqual(calls, 2);
    tf.dispose(t);
  });
});
