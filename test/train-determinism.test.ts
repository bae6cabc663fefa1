/**
 * Same seed, same result, bit for bit: early fusion (EgoGCN) and CKD on VBPR (late fusion; the
 * plain VBPR case is in train-trainer.test.ts). Also: CKD and GB runs resumed from a checkpoint
 * equal their uninterrupted runs (GB's weights travel in the checkpoint as method state).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Dataset, MODALITIES } from '../lib/data/dataset';
import { initEngine } from '../lib/engine/backend';
import { CkdMethod } from '../lib/methods/ckd/method';
import { GradientBlendingMethod } from '../lib/methods/gb/method';
import { Teacher, TeacherPair } from '../lib/methods/teacher';
import { Backbone } from '../lib/models/backbone';
import { EgoGcn } from '../lib/models/egogcn';
import { backboneFactory } from '../lib/models/registry';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { ProgressSink } from '../lib/train/progress';
import { TrainOptions, TrainResult, trainModel } from '../lib/train/trainer';

const base: TrainOptions = { mode: 'multimodal', seed: 21, epochs: 4, lr: 5e-3, batchSize: 128, evalEvery: 2, patience: 10 };

function comparable(r: TrainResult) {
  return { bestEpoch: r.bestEpoch, val: r.val, test: r.test, history: r.history.map(h => ({ loss: h.loss, val: h.val, diagnostics: h.diagnostics })) };
}

async function train(make: () => Backbone, data: Dataset, opts: Partial<TrainOptions>, method?: (m: Backbone) => TrainOptions['method']) {
  const model = make();
  try {
    return await trainModel(model, data, { ...base, ...opts, method: method?.(model) });
  } finally {
    model.dispose();
  }
}

describe('determinism: same seed, same result bit for bit', () => {
  let data: Dataset;
  let teachers: TeacherPair;
  let tmp: string;
  before(async () => {
    await initEngine({ quiet: true });
    data = synthesizeDataset('tiny', 5);
    teachers = {} as TeacherPair;
    for (const m of MODALITIES) {
      const model = backboneFactory('vbpr')(data, { seed: 31 + (m === 'text' ? 1 : 0) });
      teachers[m] = Teacher.freeze(model, data, m, { seed: 31 });
      model.dispose();
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-det-'));
  });
  after(() => {
    for (const m of MODALITIES) teachers[m].dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('EgoGCN (early fusion)', async () => {
    const make = () => new EgoGcn(data, { seed: base.seed });
    const opts = { epochs: 2, evalEvery: 1, batchSize: 256 };
    const a = await train(make, data, opts);
    const b = await train(make, data, opts);
    assert.deepStrictEqual(comparable(a), comparable(b));
    const c = await train(() => new EgoGcn(data, { seed: base.seed + 1 }), data, { ...opts, seed: base.seed + 1 });
    assert.notDeepStrictEqual(a.history.map(h => h.loss), c.history.map(h => h.loss));
  });

  it('CKD on VBPR, and a CKD run resumed from a checkpoint', async () => {
    const make = () => backboneFactory('vbpr')(data, { seed: base.seed });
    const ckd = (m: Backbone) => new CkdMethod(m, data, teachers);
    const a = await train(make, data, {}, ckd);
    const b = await train(make, data, {}, ckd);
    assert.ok(a.history.every(h => h.loss.kd > 0), 'the distillation term is active');
    assert.deepStrictEqual(comparable(a), comparable(b));

    const file = path.join(tmp, 'ckd.ckpt');
    const crash: ProgressSink = { epochStart(e) { if (e === 3) throw new Error('crash'); }, step() {}, epochEnd() {}, done() {} };
    await assert.rejects(train(make, data, { checkpointPath: file, progress: crash }, ckd), /crash/);
    const resumed = await train(make, data, { checkpointPath: file, resume: true }, ckd);
    assert.strictEqual(resumed.resumedFromEpoch, 2);
    assert.deepStrictEqual(comparable(resumed), comparable(a));
  });

  it('GB resumed in the middle of its estimation window', async () => {
    const make = () => backboneFactory('vbpr')(data, { seed: base.seed });
    const gb = (m: Backbone) => new GradientBlendingMethod(m, data, { window: 4, estimateEpochs: 1 });
    const a = await train(make, data, {}, gb);
    const file = path.join(tmp, 'gb.ckpt');
    const crash: ProgressSink = { epochStart(e) { if (e === 3) throw new Error('crash'); }, step() {}, epochEnd() {}, done() {} };
    await assert.rejects(train(make, data, { checkpointPath: file, progress: crash }, gb), /crash/);
    const resumed = await train(make, data, { checkpointPath: file, resume: true }, gb);
    assert.notStrictEqual(a.history[3].diagnostics?.w_text, 1 / 3, 'weights estimated at epoch 1 are in force in epoch 4');
    assert.deepStrictEqual(comparable(resumed), comparable(a));
  });
});
