import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, Modality } from '../lib/data/dataset';
import { TripleSampler } from '../lib/data/samplers';
import { initEngine } from '../lib/engine/backend';
import { Rng } from '../lib/engine/random';
import { OgmGeMethod, geNoise, ogmCoefficients, ogmOptions } from '../lib/methods/ogm';
import { Backbone, TripleBatch } from '../lib/models/backbone';
import { backboneFactory } from '../lib/models/registry';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { StepContext, plainMethod, settled } from '../lib/train/method';
import { ProgressSink } from '../lib/train/progress';
import { trainModel } from '../lib/train/trainer';
import { assertClose } from './engine-check';

function norm(ts: tf.Tensor[]): number {
  return Math.sqrt(ts.reduce((s, t) => s + tf.tidy(() => tf.sum(tf.square(t)).dataSync()[0]), 0));
}

/** Gradients of plain training's loss for one batch, keyed by variable name. */
function plainGrads(model: Backbone, data: Dataset, batch: TripleBatch): Record<string, tf.Tensor> {
  const ctx: StepContext = { model, data, mask: 'all', epoch: 1, step: 0, rng: new Rng(1) };
  const { value, grads } = tf.variableGrads(() => plainMethod.loss(batch, ctx).total, model.variables());
  value.dispose();
  return grads;
}

describe('OGM-GE', function () {
  this.timeout(60000);
  let data: Dataset;
  let model: Backbone;
  let batch: TripleBatch;
  before(async () => {
    await initEngine({ quiet: true });
    data = synthesizeDataset('tiny', 3);
    // A few epochs of plain training, so that one modality leads.
    model = backboneFactory('vbpr')(data, { seed: 5 });
    await trainModel(model, data, { mode: 'multimodal', seed: 5, epochs: 5, lr: 5e-3, batchSize: 256, evalEvery: 5, patience: 10 });
    batch = new TripleSampler(data.train, data.numItems).ckdBatch(128, new Rng(3));
  });
  after(() => model.dispose());

  it('coefficients: the official formula, k = 1 - tanh(alpha * rho) for the dominant modality', () => {
    const a = ogmCoefficients(3, 2, 0.5);
    assertClose([a.rho, a.k.visual, a.k.text], [1.5, 1 - Math.tanh(0.75), 1], 1e-12, 'visual dominant');
    const b = ogmCoefficients(1, 2, 0.5);
    assertClose([b.rho, b.k.visual, b.k.text], [0.5, 1, 1 - Math.tanh(1)], 1e-12, 'text dominant');
    const c = ogmCoefficients(2, 2, 0.1);
    assertClose([c.k.visual, c.k.text], [1, 1 - Math.tanh(0.1)], 1e-12, 'balanced: the official code still damps text');
    assert.deepStrictEqual(ogmCoefficients(0, 0, 0.1).k, { visual: 1, text: 1 });
    assert.throws(() => ogmOptions({ windowStart: 3, windowEnd: 2 }), /window/);
    assert.throws(() => ogmOptions({ score: 'logit' as never }), /score must be one of/);
  });

  for (const score of ['contribution', 'branch'] as const) {
    it(`damps the dominant group's gradient by k and leaves the rest alone (GE off, score ${score})`, () => {
      const method = new OgmGeMethod(model, data, { alpha: 0.5, ge: false, score });
      const ctx: StepContext = { model, data, mask: 'all', epoch: 1, step: 0, rng: new Rng(2) };
      const { value, grads } = tf.variableGrads(() => settled(method.loss(batch, ctx)).total, model.variables());
      const ref = plainGrads(model, data, batch);
      const out = method.transformGradients(grads, ctx);
      const { rho, k } = method.coefficients;
      const dominant: Modality = rho > 1 ? 'visual' : 'text';
      const weak: Modality = dominant === 'visual' ? 'text' : 'visual';
      assert.ok(k[dominant] < 1 && k[weak] === 1, `rho ${rho}, k ${JSON.stringify(k)}`);
      const names = (m: 'shared' | Modality) => model.groups[m].map(v => v.name);
      const before = (m: 'shared' | Modality) => norm(names(m).map(n => ref[n]));
      const after = (m: 'shared' | Modality) => norm(names(m).map(n => out[n]));
      assertClose([after(dominant) / before(dominant)], [k[dominant]], 1e-5, 'dominant group scaled by k');
      assert.ok(after(dominant) < 0.9 * before(dominant), 'measurably damped');
      assertClose([after(weak), after('shared')], [before(weak), before('shared')], 1e-6, 'other groups unchanged');
      tf.dispose([value, ...Object.values(grads), ...Object.values(out), ...Object.values(ref)]);
    });
  }

  it('GE: noise with the gradient\'s std on the rows the batch touched, none elsewhere; outside the window nothing changes', () => {
    const method = new OgmGeMethod(model, data, { alpha: 0.5, windowStart: 1, windowEnd: 2 });
    const ctx: StepContext = { model, data, mask: 'all', epoch: 2, step: 0, rng: new Rng(2) };
    const { value, grads } = tf.variableGrads(() => settled(method.loss(batch, ctx)).total, model.variables());
    const out = method.transformGradients(grads, ctx);
    const { k } = method.coefficients;
    for (const m of ['visual', 'text'] as const) {
      const table = model.groups[m][0]; // the user preference table
      const g = grads[table.name].arraySync() as number[][];
      const o = out[table.name].arraySync() as number[][];
      const touched = new Set(Array.from(batch.users));
      const noise: number[] = [];
      const gv: number[] = [];
      g.forEach((row, u) => row.forEach((x, c) => {
        if (touched.has(u)) { noise.push(o[u][c] - k[m] * x); gv.push(x); } else assert.strictEqual(o[u][c], 0, `untouched row ${u}`);
      }));
      const sd = (a: number[]) => { const mu = a.reduce((s, x) => s + x, 0) / a.length; return Math.sqrt(a.reduce((s, x) => s + (x - mu) ** 2, 0) / (a.length - 1)); };
      const ratio = sd(noise) / sd(gv);
      assert.ok(ratio > 0.85 && ratio < 1.15, `${m}: noise std / gradient std = ${ratio}`);
    }
    // The same step in epoch 3, outside the window: gradients pass through untouched.
    const late = method.transformGradients(grads, { ...ctx, epoch: 3 });
    assert.strictEqual(late, grads);
    tf.dispose([value, ...Object.values(grads), ...Object.values(out)]);
    tf.tidy(() => {
      const n = geNoise(tf.tensor1d([1, 2, 3, 4]), 7);
      assert.strictEqual(n.shape[0], 4);
    });
  });

  it('trains with diagnostics (k, rho, s per modality) and leaks no tensors', async () => {
    const counts: number[] = [];
    const probe: ProgressSink = { epochStart() {}, step() {}, epochEnd() { counts.push(tf.memory().numTensors); }, done() {} };
    const before = tf.memory().numTensors;
    const m = backboneFactory('vbpr')(data, { seed: 5 });
    const method = new OgmGeMethod(m, data, { alpha: 0.3, windowEnd: 3 });
    const r = await trainModel(m, data, { mode: 'multimodal', seed: 5, epochs: 4, lr: 5e-3, batchSize: 256, evalEvery: 2, patience: 10, method, progress: probe });
    m.dispose();
    assert.strictEqual(new Set(counts.slice(1)).size, 1, `tensor counts per epoch: ${counts}`);
    assert.strictEqual(tf.memory().numTensors, before, 'tensors left after training');
    const d = r.history.map(h => h.diagnostics!);
    for (const x of d) for (const key of ['k_visual', 'k_text', 'rho', 's_visual', 's_text']) assert.ok(Number.isFinite(x[key]), key);
    assert.deepStrictEqual(d.map(x => x.modulated), [1, 1, 1, 0]);
    assert.ok(d.every(x => Math.min(x.k_visual, x.k_text) < 1));
  });
});
