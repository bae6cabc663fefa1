/** `--param NAME=X` on the commands that train: checked against each model's declaration, recorded, one clear line when wrong. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseParamSettings, paramsForModel } from '../lib/cli/params';
import { assertUserError, ckd } from './cli-process';

describe('--param', function () {
  this.timeout(300000);
  let tmp: string;
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-param-')); });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('parses NAME=X and MODEL.NAME=X, keeps only values off their defaults', () => {
    const s = parseParamSettings(['reg=1e-3,mmgcn.layers=2', 'vbpr.reg=1e-5']);
    assert.deepStrictEqual(s, [{ name: 'reg', value: '1e-3' }, { model: 'mmgcn', name: 'layers', value: '2' }, { model: 'vbpr', name: 'reg', value: '1e-5' }]);
    assert.deepStrictEqual(paramsForModel('vbpr', s), {}, 'the last setting wins: the default');
    assert.deepStrictEqual(paramsForModel('mmgcn', [{ model: 'mmgcn', name: 'layers', value: '2' }]), { layers: 2 });
    assert.throws(() => parseParamSettings(['reg']), /--param: 'reg' is not NAME=X or MODEL.NAME=X/);
    assert.throws(() => parseParamSettings(['nope.reg=1']), /unknown model 'nope'/);
    assert.throws(() => paramsForModel('mmgcn', [{ name: 'layers', value: '1.5' }]), /--param mmgcn: parameter 'layers' must be an integer/);
  });

  it('ckd train records the parameters it trained with', () => {
    const out = path.join(tmp, 'r.json');
    const r = ckd('train', '--preset', 'tiny', '--model', 'vbpr', '--param', 'reg=1e-3', '--epochs', '1', '--quiet', '--out', out);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual(JSON.parse(fs.readFileSync(out, 'utf8')).config.params, { reg: 1e-3 });
    assertUserError(ckd('train', '--preset', 'tiny', '--model', 'vbpr', '--param', 'dropout=0.1'), /--param dropout: model vbpr has no parameter 'dropout' \(its parameters: reg\)$/);
    assertUserError(ckd('train', '--preset', 'tiny', '--model', 'mmgcn', '--param', 'layers=0'), /--param mmgcn: parameter 'layers' must be an integer >= 1/);
  });

  it('ckd reproduce applies a parameter to the models it runs, each of which must have it', () => {
    const data = path.join(tmp, 'tiny');
    assert.strictEqual(ckd('data', 'synth', '--preset', 'tiny', '--seed', '1', '--out', data).code, 0);
    const base = ['reproduce', '--preset', 'quick', '--data', data, '--out', path.join(tmp, 'q'), '--plan'];
    assertUserError(ckd(...base, '--param', 'reg=1e-3'), /--param reg: model egogcn has no parameter 'reg' .*write MODEL\.reg=X to set it for one model only/);
    assertUserError(ckd(...base, '--param', 'mgcn.reg=1e-3'), /--param mgcn\.reg: this run does not train mgcn/);
    const plain = ckd(...base);
    assert.match(plain.stdout.trim().split('\n').pop()!, /^# \d+ cells to run \(no like cell recorded here to estimate their time from\)$/, 'the plan ends with its time estimate');
    const withReg = ckd(...base, '--param', 'vbpr.reg=1e-3');
    assert.strictEqual(withReg.code, 0, withReg.stderr);
    const lines = (s: string) => s.trim().split('\n').slice(1);
    assert.ok(lines(withReg.stdout).filter(l => /\tvbpr /.test(l)).every(l => l.includes('vbpr [reg=0.001]')));
    assert.deepStrictEqual(lines(withReg.stdout).filter(l => /\tegogcn /.test(l)), lines(plain.stdout).filter(l => /\tegogcn /.test(l)), 'EgoGCN\'s cells unchanged');
    assert.deepStrictEqual(ckd(...base, '--param', 'vbpr.reg=1e-5').stdout, plain.stdout, 'a default is no parameter: the same cells');
  });
});
