import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeDataset } from '../lib/data/loaders';
import { ResultStore, configKey } from '../lib/experiments/result-store';
import { makeRunCell } from '../lib/experiments/run-cell';
import { backboneEntry } from '../lib/models/registry';
import { TRAIN_DEFAULTS } from '../lib/train/trainer';
import { presetConfig } from '../lib/synth/presets';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { assertUserError, ckd } from './cli-process';


describe('ckd command line', () => {
  let tmp: string;
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-cli-')); });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('synth, inspect (text and --json) and convert round trip', () => {
    const lattice = path.join(tmp, 'tiny');
    const mmrec = path.join(tmp, 'tiny-mmrec');
    let r = ckd('data', 'synth', '--preset', 'tiny', '--seed', '4', '--out', lattice);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.ok(fs.existsSync(path.join(lattice, '5-core', 'train.json')));
    r = ckd('data', 'inspect', lattice, '--json');
    assert.strictEqual(r.code, 0, r.stderr);
    const a = JSON.parse(r.stdout);
    assert.strictEqual(a.users, 150);
    assert.strictEqual(a.items, 100);
    r = ckd('data', 'convert', '--from', lattice, '--to', mmrec, '--layout', 'mmrec');
    assert.strictEqual(r.code, 0, r.stderr);
    r = ckd('data', 'inspect', mmrec, '--json');
    const b = JSON.parse(r.stdout);
    assert.deepStrictEqual(b.interactions, a.interactions);
    r = ckd('data', 'inspect', mmrec);
    assert.match(r.stdout, /users\s+150/);
  });

  it('reports Amazon Baby sizes for a Baby-sized LATTICE folder', function () {
    this.timeout(120000);
    const dir = path.join(tmp, 'baby');
    const cfg = presetConfig('baby-scale', { factors: 4, visualDim: 4, textDim: 2 });
    writeDataset(synthesizeDataset(cfg, 1), dir, 'lattice');
    const r = ckd('data', 'inspect', dir, '--json');
    assert.strictEqual(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout);
    assert.strictEqual(d.users, 19445);
    assert.strictEqual(d.items, 7050);
  });

  it('trains a model and writes a result record with provenance', () => {
    const out = path.join(tmp, 'record.json');
    const r = ckd('train', '--preset', 'tiny', '--model', 'vbpr', '--epochs', '2', '--eval-every', '1', '--quiet', '--out', out);
    assert.strictEqual(r.code, 0, r.stderr);
    const printed = JSON.parse(r.stdout);
    assert.ok(printed.test.all.recall[20] > 0);
    const record = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.strictEqual(record.meta.provenance.backend, 'wasm');
    assert.match(record.meta.provenance.dataset.fingerprint, /^[0-9a-f]{16}$/);
    assert.strictEqual(record.config.model, 'vbpr');
    assert.strictEqual(record.config.dataset, record.meta.provenance.dataset.fingerprint);
    assert.strictEqual(record.meta.history.length, 2);
    // The record is a result-store line: the file reads as a store of one cell, keyed as printed.
    const asStore = new ResultStore(out);
    assert.deepStrictEqual([asStore.size, asStore.records()[0].key, printed.key], [1, configKey(record.config), record.key]);
    // ... the key of the cell ckd reproduce would build for the same settings.
    const same = makeRunCell({
      dataset: record.config.dataset, model: 'vbpr', mode: 'multimodal', method: 'plain',
      train: { seed: 123, epochs: 2, lr: backboneEntry('vbpr').lr, batchSize: TRAIN_DEFAULTS.batchSize, evalEvery: 1, patience: TRAIN_DEFAULTS.patience, ndcg: 'standard' },
    });
    assert.strictEqual(record.key, configKey(same));
  });

  it('trains and saves teachers, then trains CKD with them; GB and OGM-GE take their options', () => {
    const dir = path.join(tmp, 'teachers');
    let r = ckd('teachers', '--preset', 'tiny', '--model', 'vbpr', '--epochs', '2', '--eval-every', '1', '--out', dir, '--quiet');
    assert.strictEqual(r.code, 0, r.stderr);
    // One folder per teacher cell, named by its key, and the cells' records in store.jsonl.
    const frozen = fs.readdirSync(dir).filter(d => /^vbpr-[0-9a-f]{16}$/.test(d)).flatMap(d => fs.readdirSync(path.join(dir, d)));
    assert.deepStrictEqual(frozen.sort(), ['teacher-text.bin', 'teacher-text.json', 'teacher-visual.bin', 'teacher-visual.json']);
    assert.strictEqual(new ResultStore(path.join(dir, 'store.jsonl')).size, 2);
    assertUserError(ckd('teachers', '--preset', 'tiny', '--model', 'vbpr', '--epochs', '2', '--eval-every', '1', '--out', dir), /already saved there/);
    const rec = path.join(tmp, 'ckd.json');
    r = ckd('train', '--preset', 'tiny', '--model', 'vbpr', '--method', 'ckd', '--teachers', dir, '--lambda-kd', '0.1',
      '--reweight', 'reference-code', '--no-generic', '--epochs', '2', '--eval-every', '1', '--quiet', '--out', rec);
    assert.strictEqual(r.code, 0, r.stderr);
    // The teachers were loaded, not trained again: the store gained only the CKD run's line.
    assert.strictEqual(fs.readFileSync(path.join(dir, 'store.jsonl'), 'utf8').trim().split('\n').length, 3);
    const config = JSON.parse(fs.readFileSync(rec, 'utf8')).config;
    assert.deepStrictEqual([config.method, config.methodOptions], ['ckd', { lambdaKd: 0.1, reweight: 'reference-code', generic: false }]);
    const history = JSON.parse(fs.readFileSync(rec, 'utf8')).meta.history;
    assert.ok('lambda_text' in history[0].diagnostics || Object.keys(history[0].diagnostics).some((k: string) => /lambda/.test(k)));
    for (const args of [['--method', 'gb', '--window', '2', '--estimate-epochs', '1'], ['--method', 'ogm', '--alpha', '0.5']]) {
      r = ckd('train', '--preset', 'tiny', '--model', 'vbpr', ...args, '--epochs', '2', '--quiet', '--out', path.join(tmp, 'm.json'));
      assert.strictEqual(r.code, 0, r.stderr);
    }
    assertUserError(ckd('train', '--preset', 'tiny', '--model', 'vbpr', '--method', 'gb', '--lambda-kd', '1'), /--lambda-kd is an option of --method ckd, not of gb/);
    assertUserError(ckd('train', '--preset', 'tiny', '--model', 'vbpr', '--method', 'magic'), /--method must be one of plain, ckd, gb, ogm/);
    assertUserError(ckd('train', '--preset', 'tiny', '--model', 'vbpr', '--method', 'ckd', '--mode', 'text-only'), /use --mode multimodal/);
  });

  it('every command has --help', () => {
    for (const cmd of [['data', 'synth'], ['data', 'inspect'], ['data', 'convert'], ['teachers'], ['train'], ['demo']]) {
      const r = ckd(...cmd, '--help');
      assert.strictEqual(r.code, 0);
      assert.match(r.stdout, /^usage: ckd /);
    }
    assert.match(ckd('--help').stdout, /commands:/);
  });

  it('user errors are one line on stderr and exit code 2', () => {
    assertUserError(ckd('frobnicate'), /unknown command 'frobnicate'/);
    assertUserError(ckd('data', 'inspect', path.join(tmp, 'nope')), /nope: missing folder/);
    assertUserError(ckd('data', 'inspect'), /needs a folder/);
    assertUserError(ckd('data', 'synth', '--preset', 'huge', '--out', tmp), /--preset must be one of tiny, default, baby-scale/);
    assertUserError(ckd('data', 'synth', '--preset', 'tiny'), /--out is required/);
    assertUserError(ckd('data', 'synth', '--bogus'), /unknown option --bogus/);
    assertUserError(ckd('data', 'convert', '--from', tmp, '--to', tmp, '--layout', 'csv'), /--layout must be one of lattice, mmrec/);
    assertUserError(ckd('train', '--preset', 'tiny', '--model', 'nope'), /unknown model 'nope'/);
    assertUserError(ckd('train', '--preset', 'tiny', '--model', 'vbpr', '--lr', 'fast'), /--lr must be a number/);
    assertUserError(ckd('train', '--preset', 'tiny', '--model', 'vbpr', '--epochs', '0'), /--epochs must be a positive integer/);
  });
});
