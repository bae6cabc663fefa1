import * as assert from 'assert';
import { Dataset, MODALITIES } from '../lib/data/dataset';
import { initEngine } from '../lib/engine/backend';
import { CkdError } from '../lib/errors';
import { CkdMethod } from '../lib/methods/ckd/method';
import { GradientBlendingMethod } from '../lib/methods/gb/method';
import { OgmGeMethod } from '../lib/methods/ogm';
import { METHODS, METHOD_NAMES, createMethod, methodEntry, parseMethodOptions } from '../lib/methods/registry';
import { Teacher, TeacherPair, disposeTeachers } from '../lib/methods/teacher';
import { backboneFactory } from '../lib/models/registry';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { plainMethod } from '../lib/train/method';

describe('method registry', () => {
  let data: Dataset;
  let teachers: TeacherPair;
  before(async () => {
    await initEngine({ quiet: true });
    data = synthesizeDataset('tiny', 3);
    teachers = {} as TeacherPair;
    for (const m of MODALITIES) {
      const b = backboneFactory('vbpr')(data, { seed: 1 });
      teachers[m] = Teacher.freeze(b, data, m, { seed: 1 });
      b.dispose();
    }
  });
  after(() => disposeTeachers(teachers));

  it('builds every method by name, with checked options', () => {
    assert.deepStrictEqual([...METHOD_NAMES], ['plain', 'ckd', 'gb', 'ogm']);
    const model = backboneFactory('vbpr')(data, { seed: 1 });
    assert.strictEqual(createMethod('plain', model, data), plainMethod);
    const ckd = createMethod('ckd', model, data, { lambdaKd: 0.1, reweight: 'reference-code' }, teachers);
    assert.ok(ckd instanceof CkdMethod);
    assert.strictEqual((ckd as CkdMethod).options.lambdaKd, 0.1);
    assert.strictEqual((ckd as CkdMethod).options.lambdaG, 5, 'defaults fill the rest');
    assert.ok(createMethod('GB', model, data, { window: 3 }) instanceof GradientBlendingMethod);
    const ogm = createMethod('ogm', model, data, { alpha: 0.8, ge: false });
    assert.ok(ogm instanceof OgmGeMethod);
    assert.strictEqual((ogm as OgmGeMethod).options.alpha, 0.8);
    model.dispose();
  });

  it('parses command-line strings (kebab-case names) and rejects what does not fit', () => {
    assert.deepStrictEqual(
      parseMethodOptions('ckd', { 'lambda-kd': '0.5', generic: 'false', 'sd-loss': 'mse', 'universal-count': '1000' }),
      { lambdaKd: 0.5, generic: false, sdLoss: 'mse', universalCount: 1000 },
    );
    assert.throws(() => parseMethodOptions('ckd', { 'lambda-kd': 'much' }), /option lambdaKd must be a number/);
    assert.throws(() => parseMethodOptions('ckd', { 'universal-count': '2.5' }), /must be an integer/);
    assert.throws(() => parseMethodOptions('ckd', { reweight: 'paper2' }), /must be one of paper, reference-code, none/);
    assert.throws(() => parseMethodOptions('ogm', { beta: '1' }), /method 'ogm' has no option 'beta' \(options: alpha, windowStart/);
    assert.throws(() => parseMethodOptions('plain', { x: '1' }), /options: none/);
    assert.throws(() => methodEntry('distill'), (e: Error) => e instanceof CkdError && /unknown method 'distill' \(expected one of: plain, ckd, gb, ogm\)/.test(e.message));
    const model = backboneFactory('vbpr')(data, { seed: 1 });
    assert.throws(() => createMethod('ckd', model, data), /method 'ckd' needs a teacher per modality/);
    model.dispose();
  });

  it('documents every option with a default of the right kind', () => {
    for (const e of Object.values(METHODS)) {
      assert.ok(e.summary.length > 10);
      for (const o of e.options) {
        assert.ok(o.help.length > 5, `${e.name}.${o.name}`);
        const kind = o.kind === 'int' ? 'number' : o.kind === 'choice' ? 'string' : o.kind;
        assert.strictEqual(typeof o.default, kind, `${e.name}.${o.name}`);
        if (o.kind === 'choice') assert.ok(o.choices!.includes(o.default as string));
      }
    }
  });
});
