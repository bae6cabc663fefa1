import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, MODALITIES } from '../lib/data/dataset';
import { TripleSampler } from '../lib/data/samplers';
import { initEngine } from '../lib/engine/backend';
import { Rng } from '../lib/engine/random';
import { CkdError } from '../lib/errors';
import {
  bceWithTemperature, genericLoss, hingeLoss, klWithTemperature, mseLoss, specificLoss,
} from '../lib/methods/ckd/losses';
import { CkdMethod, CkdOptions, ckdOptions } from '../lib/methods/ckd/method';
import {
  BatchMargins, averageTreatmentEffects, modalityWeights, paperLambdas, referenceRatios, relativeEffects,
} from '../lib/methods/ckd/reweight';
import { batchTriples, tripleMargins } from '../lib/methods/margins';
import { TeacherPair } from '../lib/methods/teacher';
import { backboneFactory } from '../lib/models/registry';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { bprLoss, tripleScores } from '../lib/train/bpr';
import { StepContext, settled } from '../lib/train/method';
import { ProgressSink } from '../lib/train/progress';
import { TrainOptions, trainModel } from '../lib/train/trainer';
import { assertClose } from './engine-check';
import { untrainedTeachers } from './trained-teachers';

const t1 = (v: number[]) => tf.tensor1d(v);
const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe('CKD losses against hand-computed values', () => {
  before(async () => { await initEngine({ quiet: true }); });

  it('hinge max(dt - ds, 0) and MSE (dt - ds)^2 per triple', () => {
    tf.tidy(() => {
      const dt = t1([1, 0.5, -2]);
      const ds = t1([0.2, 0.7, -3]);
      assertClose(values(hingeLoss(dt, ds)), [0.8, 0, 1], 1e-6, 'hinge');
      assertClose(values(mseLoss(dt, ds)), [0.64, 0.04, 1], 1e-6, 'mse');
      assertClose(values(specificLoss('hinge', dt, ds, 0.1)), [0.8, 0, 1], 1e-6, 'specificLoss hinge');
    });
  });

  it('BCE between sigma(dt/tau) and sigma(ds/tau), tau = 0.1, exact and the authors\' epsilon form', () => {
    tf.tidy(() => {
      const dt = t1([0.1, -0.05, 0.3]);
      const ds = t1([0.2, 0.3, -0.1]);
      // -(p ln q + (1-p) ln(1-q)), p = sigma(dt/tau), q = sigma(ds/tau), in float64.
      const bce = [0.6648108537829625, 1.9159653451793048, 1.2658358143406558];
      assertClose(values(bceWithTemperature(dt, ds, 0.1)), bce, 1e-5, 'bce exact');
      assertClose(values(bceWithTemperature(dt, ds, 0.1, 'reference-code')), [0.6648108229213509, 1.9159652099670532, 1.2658357782725371], 1e-5, 'bce reference');
      assertClose(values(genericLoss(dt, ds, 0.1)), [(bce[0] + bce[1] + bce[2]) / 3], 1e-5, 'generic mean');
      // Margins far beyond 1/tau: the exact form stays finite and keeps its gradient.
      const big = bceWithTemperature(t1([5]), t1([-5]), 0.1);
      assertClose(values(big), [50 * (1 / (1 + Math.exp(-50))) + Math.log1p(Math.exp(-50))], 1e-5, 'bce saturated');
      const g = tf.grad((s: tf.Tensor) => tf.sum(bceWithTemperature(t1([5]), s as tf.Tensor1D, 0.1)))(t1([-5]));
      assertClose(values(g), [-10], 1e-4, 'd bce / d ds = (q - p) / tau');
    });
  });

  it('KL(Bern(p) || Bern(q)) with temperature, and its gradient equals the BCE\'s', () => {
    tf.tidy(() => {
      const dt = t1([0.1, -0.05, 0.3]);
      const ds = t1([0.2, 0.3, -0.1]);
      assertClose(values(klWithTemperature(dt, ds, 0.1)), [0.0826077448947446, 1.2531180266001254, 1.0749708432342133], 1e-5, 'kl');
      assertClose(values(specificLoss('kl', dt, ds, 0.1)), [0.0826077448947446, 1.2531180266001254, 1.0749708432342133], 1e-5, 'specificLoss kl');
      const gk = tf.grad((s: tf.Tensor) => tf.sum(klWithTemperature(dt, s as tf.Tensor1D, 0.1)))(ds);
      const gb = tf.grad((s: tf.Tensor) => tf.sum(bceWithTemperature(dt, s as tf.Tensor1D, 0.1)))(ds);
      assertClose(values(gk), values(gb), 1e-5, 'kl and bce gradients');
    });
  });
});

describe('CKD counterfactual re-weighting on a constructed batch', () => {
  // Two triples. delta^t = ds - ds^v = [2, 0.5], delta^v = ds - ds^t = [0.5, 1.5].
  const batch: BatchMargins = {
    all: Float32Array.from([3, 2]),
    student: { visual: Float32Array.from([1, 1.5]), text: Float32Array.from([2.5, 0.5]) },
    teacher: { visual: Float32Array.from([1, 1]), text: Float32Array.from([2, 2]) },
  };

  it('paper (Eqs. 15-18): gamma = mean ITE, rho = gamma / sum dt, lambda = 1 - rho / sum rho', () => {
    const gamma = averageTreatmentEffects(batch);
    assertClose([gamma.text, gamma.visual], [1.25, 1.0], 1e-7, 'gamma');
    const rho = relativeEffects(batch);
    assertClose([rho.text, rho.visual], [1.25 / 4, 1.0 / 2], 1e-7, 'rho');
    const w = modalityWeights('paper', batch);
    // rho_t = 0.3125, rho_v = 0.5, sum 0.8125.
    assert.strictEqual(typeof w.lambda.text, 'number');
    assertClose([w.lambda.text as number, w.lambda.visual as number], [1 - 0.3125 / 0.8125, 1 - 0.5 / 0.8125], 1e-7, 'lambda');
    assertClose([(w.lambda.text as number) + (w.lambda.visual as number)], [1], 1e-12, 'two weights sum to 1');
    assert.ok((w.lambda.text as number) > (w.lambda.visual as number), 'the lower rho (text) gets the larger weight');
    assertClose([w.rho.text, w.rho.visual, w.gamma.text, w.gamma.visual], [0.3125, 0.5, 1.25, 1.0], 1e-7, 'recorded');
  });

  it('paper: rho <= 0 or non-finite is floored, so the weights stay in [0, 1]', () => {
    const l = paperLambdas({ visual: -0.2, text: 0.4 });
    assertClose([l.visual, l.text], [1 - 1e-8 / (0.4 + 1e-8), 1e-8 / (0.4 + 1e-8)], 1e-12, 'negative rho');
    const both = paperLambdas({ visual: -1, text: NaN });
    assertClose([both.visual, both.text], [0.5, 0.5], 0, 'both floored');
    // Teacher margins summing to zero: rho infinite -> floored as well.
    const w = modalityWeights('paper', { ...batch, teacher: { visual: Float32Array.from([1, -1]), text: Float32Array.from([2, 2]) } });
    assert.ok(!Number.isFinite(w.rho.visual));
    assertClose([w.lambda.visual as number], [1 - 1e-8 / (0.3125 + 1e-8)], 1e-9, 'infinite rho floored');
  });

  it('reference-code: per-triple c = clamp(delta / ds^m, 1e-8, 10), lambda_t = 1 - (c_t - c_v)/(c_t + c_v), lambda_v = 2 - lambda_t', () => {
    const c = referenceRatios(batch);
    assertClose(Array.from(c.text), [0.8, 1], 1e-7, 'c_t');
    assertClose(Array.from(c.visual), [0.5, 1], 1e-7, 'c_v');
    const w = modalityWeights('reference-code', batch);
    const lt = w.lambda.text as Float32Array;
    const lv = w.lambda.visual as Float32Array;
    assertClose(Array.from(lt), [1 - 0.3 / 1.3, 1], 1e-6, 'lambda_t');
    assertClose(Array.from(lv), [1 + 0.3 / 1.3, 1], 1e-6, 'lambda_v');
    assertClose([lt[0] + lv[0], lt[1] + lv[1]], [2, 2], 1e-6, 'per triple sum 2');
    assertClose([w.rho.text, w.rho.visual, w.lambdaMean.text], [0.9, 0.75, (2 - 0.3 / 1.3) / 2], 1e-6, 'recorded means');
    // Clamps: a huge ratio -> 10, a negative one -> 1e-8, 0/0 -> 1e-8.
    const odd = referenceRatios({
      all: Float32Array.from([5, 1, 1]),
      student: { visual: Float32Array.from([1, 2, 1]), text: Float32Array.from([1e-3, 1, 0]) },
      teacher: batch.teacher,
    });
    assertClose(Array.from(odd.text), [10, 1e-8, 1e-8], 1e-12, 'clamped c_t');
  });

  it('none: weight 1 each, gamma and rho still recorded', () => {
    const w = modalityWeights('none', batch);
    assert.deepStrictEqual(w.lambda, { visual: 1, text: 1 });
    assertClose([w.rho.text, w.gamma.visual], [0.3125, 1.0], 1e-7, 'recorded');
  });
});

describe('CKD method', function () {
  this.timeout(60000);
  let data: Dataset;
  let teachers: TeacherPair;
  before(async () => {
    await initEngine({ quiet: true });
    data = synthesizeDataset('tiny', 3);
    teachers = untrainedTeachers(data);
  });
  after(() => { for (const t of Object.values(teachers)) t.dispose(); });

  for (const reweight of ['paper', 'reference-code'] as const) {
    it(`${reweight}: the loss is BPR + L2 + lambda_kd sum_m lambda_m (lambda_g GD + SD), weights without gradient`, () => {
      const model = backboneFactory('vbpr')(data, { seed: 2 });
      const o = { lambdaKd: 0.5, lambdaG: 2, tau: 0.5, universalCount: 300, reweight };
      const method = new CkdMethod(model, data, teachers, o);
      const batch = new TripleSampler(data.train, data.numItems).ckdBatch(64, new Rng(4));
      const ctx: StepContext = { model, data, mask: 'all', epoch: 1, step: 0, rng: new Rng('step') };
      const vars = model.variables();
      const got = tf.variableGrads(() => settled(method.loss(batch, ctx)).total, vars);

      // The same loss written out, the weights entered as numbers.
      const uni = new TripleSampler(data.train, data.numItems).universal(o.universalCount, new Rng('step'));
      const uniSet = { users: uni.users, a: uni.j, b: uni.k };
      const onBatch = batchTriples(batch);
      const want = tf.variableGrads(() => {
        const { pos, neg, reps } = tripleScores(model, 'all', batch, true);
        const ds = {
          visual: tripleMargins(model, data, 'visual', [onBatch, uniSet], true),
          text: tripleMargins(model, data, 'text', [onBatch, uniSet], true),
        };
        const w = modalityWeights(reweight, {
          all: Float32Array.from(tf.sub(pos, neg).dataSync()),
          student: { visual: Float32Array.from(ds.visual[0].dataSync()), text: Float32Array.from(ds.text[0].dataSync()) },
          teacher: { visual: Float32Array.from(teachers.visual.margins(onBatch).dataSync()), text: Float32Array.from(teachers.text.margins(onBatch).dataSync()) },
        });
        let kd: tf.Tensor = tf.scalar(0);
        for (const m of MODALITIES) {
          const sd = hingeLoss(teachers[m].margins(onBatch), ds[m][0]);
          const gd = genericLoss(teachers[m].margins(uniSet), ds[m][1], o.tau);
          const lam = w.lambda[m];
          const lamT = typeof lam === 'number' ? tf.fill([sd.shape[0]], lam) : tf.tensor1d(lam);
          kd = tf.add(kd, tf.mean(tf.mul(lamT, tf.add(sd, tf.mul(gd, o.lambdaG)))));
        }
        return tf.add(tf.add(bprLoss(pos, neg), model.regularization(batch, reps)), tf.mul(kd, o.lambdaKd)) as tf.Scalar;
      }, vars);
      assertClose(got.value.dataSync(), want.value.dataSync(), 1e-5, 'loss');
      for (const v of vars) assertClose(got.grads[v.name].dataSync(), want.grads[v.name].dataSync(), 1e-4, `gradient of ${v.name}`);
      const rec = method.trace.steps[0].values;
      for (const k of ['lambda_visual', 'lambda_text', 'rho_visual', 'rho_text', 'gamma_visual', 'gamma_text']) assert.ok(Number.isFinite(rec[k]), k);
      tf.dispose([got.value, want.value, ...Object.values(got.grads), ...Object.values(want.grads)]);
      model.dispose();
    });
  }

  it('the terms: kd = lambda_kd sum_m lambda_m (sd_m + lambda_g gd_m) with the recorded lambdas (paper)', () => {
    const model = backboneFactory('vbpr')(data, { seed: 2 });
    const method = new CkdMethod(model, data, teachers, { lambdaKd: 0.1, universalCount: 200 });
    const batch = new TripleSampler(data.train, data.numItems).ckdBatch(32, new Rng(5));
    const r = tf.tidy(() => {
      const { total, terms } = settled(method.loss(batch, { model, data, mask: 'all', epoch: 1, step: 0, rng: new Rng(1) }));
      const all: [string, tf.Scalar][] = [['total', total], ...Object.entries(terms)];
      return Object.fromEntries(all.map(([k, t]) => [k, t.dataSync()[0]]));
    });
    const v = method.trace.steps[0].values;
    const kd = 0.1 * (v.lambda_visual * (r.sd_visual + 5 * r.gd_visual) + v.lambda_text * (r.sd_text + 5 * r.gd_text));
    assertClose([r.kd, r.total], [kd, r.bpr + r.reg + kd], 1e-5, 'kd and total');
    model.dispose();
  });

  it('ablations: generic off has no gd terms; kl and mse run', () => {
    const model = backboneFactory('vbpr')(data, { seed: 2 });
    const batch = new TripleSampler(data.train, data.numItems).ckdBatch(32, new Rng(5));
    for (const o of [{ generic: false }, { sdLoss: 'kl' as const }, { sdLoss: 'mse' as const, reweight: 'none' as const }]) {
      const method = new CkdMethod(model, data, teachers, { ...o, universalCount: 100 });
      const keys = tf.tidy(() => {
        const { total, terms } = settled(method.loss(batch, { model, data, mask: 'all', epoch: 1, step: 0, rng: new Rng(1) }));
        assert.ok(Number.isFinite(total.dataSync()[0]));
        return Object.keys(terms);
      });
      assert.strictEqual(keys.includes('gd_text'), o.generic !== false, JSON.stringify(o));
      if (o.reweight === 'none') assert.strictEqual(method.trace.steps[0].values.lambda_text, 1);
    }
    model.dispose();
  });

  const trainWithLambdaZero = async (backbone: string, ckd: Partial<CkdOptions> | null) => {
    const opts: TrainOptions = { mode: 'multimodal', seed: 5, epochs: 4, lr: 5e-3, batchSize: 256, evalEvery: 2, patience: 10 };
    const model = backboneFactory(backbone)(data, { seed: 5 });
    try {
      const method = ckd ? new CkdMethod(model, data, teachers, { lambdaKd: 0, universalCount: 500, ...ckd }) : undefined;
      return await trainModel(model, data, { ...opts, method });
    } finally {
      model.dispose();
    }
  };

  it('with lambda_kd = 0, CKD training equals plain training bit for bit (projections not shared)', async () => {
    const plain = await trainWithLambdaZero('vbpr', null);
    const ckd = await trainWithLambdaZero('vbpr', { shareProjections: false });
    assert.deepStrictEqual(ckd.test, plain.test);
    assert.deepStrictEqual(ckd.val, plain.val);
    assert.strictEqual(ckd.bestEpoch, plain.bestEpoch);
    assert.deepStrictEqual(ckd.history.map(h => h.val), plain.history.map(h => h.val));
    for (const k of ['total', 'bpr', 'reg']) {
      assert.deepStrictEqual(ckd.history.map(h => h.loss[k]), plain.history.map(h => h.loss[k]), k);
    }
    assert.ok(ckd.history.every(h => h.loss.kd === 0 && h.loss.sd_text > 0), 'the distillation terms were computed');
  });

  it('with shared projections (the default) and lambda_kd = 0: a graph backbone still bit for bit, VBPR to float rounding', async () => {
    const exact = [await trainWithLambdaZero('grcn', null), await trainWithLambdaZero('grcn', {})];
    assert.deepStrictEqual(exact[1].history.map(h => h.loss.total), exact[0].history.map(h => h.loss.total));
    assert.deepStrictEqual(exact[1].test, exact[0].test);
    const plain = await trainWithLambdaZero('vbpr', null);
    const shared = await trainWithLambdaZero('vbpr', {});
    plain.history.forEach((h, e) => {
      const a = h.loss.total, b = shared.history[e].loss.total;
      assert.ok(Math.abs(a - b) <= 1e-5 * Math.abs(a), `epoch ${e}: ${a} vs ${b}`);
    });
    assert.notDeepStrictEqual(shared.history.map(h => h.loss.total), plain.history.map(h => h.loss.total), 'W\'s gradient was summed in another order');
  });

  it('trains with diagnostics (epoch means of lambda, rho, gamma) and leaks no tensors', async () => {
    const counts: number[] = [];
    const probe: ProgressSink = { epochStart() {}, step() {}, epochEnd() { counts.push(tf.memory().numTensors); }, done() {} };
    const before = tf.memory().numTensors;
    const model = backboneFactory('vbpr')(data, { seed: 5 });
    const method = new CkdMethod(model, data, teachers, { universalCount: 500 });
    const r = await trainModel(model, data, { mode: 'multimodal', seed: 5, epochs: 4, lr: 5e-3, batchSize: 256, evalEvery: 2, patience: 10, method, progress: probe });
    model.dispose();
    method.dispose();
    // From epoch 2 on (the best-state snapshot is first taken at the epoch-2 validation).
    assert.strictEqual(new Set(counts.slice(1)).size, 1, `tensor counts per epoch: ${counts}`);
    assert.strictEqual(tf.memory().numTensors, before, 'tensors left after training');
    for (const h of r.history) {
      const d = h.diagnostics!;
      for (const k of ['lambda_visual', 'lambda_text', 'rho_visual', 'rho_text', 'gamma_visual', 'gamma_text']) assert.ok(Number.isFinite(d[k]), `${k} in epoch ${h.epoch}`);
      assertClose([d.lambda_visual + d.lambda_text], [1], 1e-9, 'paper weights sum to 1');
    }
    const steps = method.trace.steps.filter(s => s.epoch === 2);
    const mean = steps.reduce((s, x) => s + x.values.gamma_text, 0) / steps.length;
    assertClose([r.history[1].diagnostics!.gamma_text], [mean], 1e-12, 'diagnostics are epoch means of the trace');
  });

  it('refuses a uni-modal run, bad options, missing teachers and teachers of other data', () => {
    const model = backboneFactory('vbpr')(data, { seed: 2 });
    const method = new CkdMethod(model, data, teachers);
    const batch = new TripleSampler(data.train, data.numItems).ckdBatch(8, new Rng(5));
    assert.throws(() => method.loss(batch, { model, data, mask: 'text', epoch: 1, step: 0, rng: new Rng(1) }), /multimodal student/);
    assert.throws(() => ckdOptions({ tau: 0 }), CkdError);
    assert.throws(() => ckdOptions({ reweight: 'paperish' as never }), /reweight must be one of/);
    assert.throws(() => ckdOptions({ universalCount: 1.5 }), /universalCount/);
    assert.throws(() => new CkdMethod(model, data, undefined), /needs a teacher per modality/);
    assert.throws(() => new CkdMethod(model, data, { visual: teachers.text, text: teachers.text }), /given for visual is the text teacher/);
    const other = synthesizeDataset('tiny', 4);
    assert.throws(() => new CkdMethod(model, other, teachers), /fingerprint/);
    model.dispose();
  });
});
