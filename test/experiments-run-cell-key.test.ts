/**
 * A run cell's key (configKey) must not change for cells without backbone parameters or with
 * default options: every committed record in results/ is found by it. Pinned on committed cells.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { configKey } from '../lib/experiments/result-store';
import { RunCell, makeRunCell, teacherCells } from '../lib/experiments/run-cell';

const ROOT = path.resolve(__dirname, '..', '..');

function committed(folder: string, pick: (c: RunCell) => boolean): { key: string; config: RunCell } {
  const lines = fs.readFileSync(path.join(ROOT, 'results', folder, 'store.jsonl'), 'utf8').split('\n').filter(Boolean);
  const rec = lines.map(l => JSON.parse(l) as { key: string; config: RunCell }).find(r => pick(r.config));
  assert.ok(rec, `a matching cell in results/${folder}`);
  return rec;
}

/** The cell as makeRunCell builds it from the committed config's fields. */
function rebuilt(c: RunCell, extra: { params?: Record<string, unknown>; methodOptions?: Record<string, unknown> } = {}): RunCell {
  return makeRunCell({
    dataset: c.dataset, model: c.model, mode: c.mode, method: c.method, methodOptions: { ...c.methodOptions, ...extra.methodOptions },
    train: c.train, probe: c.probe, teacherLr: c.teacherLr, teacherEpochs: c.teacherEpochs, params: extra.params,
  });
}

describe('run cell keys', () => {
  it('a committed quick-default cell keeps its key (b99b6ce15127f4fa: VBPR plain seed 1)', () => {
    const rec = committed('quick-default', c => c.model === 'vbpr' && c.method === 'plain' && c.mode === 'multimodal');
    assert.strictEqual(rec.key, 'b99b6ce15127f4fa');
    assert.strictEqual(configKey(rec.config), rec.key);
    assert.strictEqual(configKey(rebuilt(rec.config)), rec.key);
    assert.strictEqual(configKey(rebuilt(rec.config, { params: { reg: 1e-5 } })), rec.key, 'a parameter set to its default is no parameter');
  });

  it('a committed converging CKD cell with teacher rates keeps its key, also with its options at their defaults', () => {
    const rec = committed('full-default', c => c.model === 'vbpr' && c.method === 'ckd' && c.train.seed === 1);
    assert.strictEqual(rec.key, '7f1c20167194e611');
    assert.deepStrictEqual(rec.config.teacherLr, { text: 5e-4, visual: 1e-4 });
    assert.strictEqual(configKey(rebuilt(rec.config, { methodOptions: { lambdaKd: 0.01, lambdaG: 5 } })), rec.key);
    assert.strictEqual(rebuilt(rec.config).params, undefined);
  });

  it('a parameter off its default enters the key, and the teachers carry it', () => {
    const rec = committed('full-default', c => c.model === 'vbpr' && c.method === 'ckd' && c.train.seed === 1);
    const cell = rebuilt(rec.config, { params: { reg: 1e-3 } });
    assert.deepStrictEqual(cell.params, { reg: 1e-3 });
    assert.notStrictEqual(configKey(cell), rec.key);
    for (const t of Object.values(teacherCells(cell))) assert.deepStrictEqual(t.params, { reg: 1e-3 });
    assert.throws(() => rebuilt(rec.config, { params: { dropout: 0.1 } }), /vbpr: parameter dropout does not exist \(known: reg\)/);
    assert.throws(() => rebuilt(rec.config, { params: { reg: -1 } }), /vbpr: parameter reg must be >= 0/);
  });
});
