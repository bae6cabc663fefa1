import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compareRuns, comparisonMarkdown, readRunMetrics } from '../lib/experiments/compare-runs';
import { DataError } from '../lib/errors';
import { configKey } from '../lib/experiments/result-store';
import { makeRunCell } from '../lib/experiments/run-cell';
import { writeRecordFile } from '../lib/experiments/run-record';

function record(dir: string, name: string, seed: number, recall: number): string {
  const m = (r: number) => ({ recall: { 20: r }, ndcg: { 20: r / 2 }, precision: { 20: r / 10 } });
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify({ config: { seed, model: 'vbpr', method: name.split('-')[0] }, result: { test: { all: m(recall), text: m(recall - 0.01), visual: m(recall - 0.02) } } }));
  return file;
}

describe('comparing run records paired by seed', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-compare-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('computes means, sds and the paired t-test by seed (not by position)', () => {
    const a = [record(dir, 'ckd-3', 3, 0.23), record(dir, 'ckd-1', 1, 0.22), record(dir, 'ckd-2', 2, 0.25)].map(readRunMetrics);
    const b = [record(dir, 'plain-1', 1, 0.21), record(dir, 'plain-2', 2, 0.22), record(dir, 'plain-3', 3, 0.22)].map(readRunMetrics);
    const rows = compareRuns(a, b);
    const r20 = rows[0];
    assert.strictEqual(r20.metric, 'Recall@20');
    // differences by seed: 0.01, 0.03, 0.01 -> mean 0.01667, sd 0.011547, t = 2.5, df 2, two-sided p = 0.1296
    assert.ok(Math.abs(r20.test.meanDiff - 0.0166667) < 1e-6);
    assert.ok(Math.abs(r20.test.t - 2.5) < 1e-6, `t ${r20.test.t}`);
    assert.ok(Math.abs(r20.test.p - 0.12960) < 1e-4, `p ${r20.test.p}`);
    assert.ok(Math.abs(r20.a.mean - 0.2333333) < 1e-6);
    const md = comparisonMarkdown('vbpr+ckd', 'vbpr+plain', rows);
    assert.match(md, /\| Recall@20 \| 0\.2333 ± 0\.0153 \| 0\.2167 ± 0\.0058 \| \+0\.0167 \| 3, 0\.13 \|/);
    assert.match(md, /visual channel/);
  });

  it('reads a ckd train record (a run cell\'s store line) as the earlier record shape', () => {
    const m = (r: number) => ({ recall20: r, ndcg20: r / 2, precision20: r / 10 });
    const config = makeRunCell({
      dataset: 'fp', model: 'vbpr', mode: 'multimodal', method: 'ckd', methodOptions: { generic: false },
      train: { seed: 2, epochs: 3, lr: 1e-3, batchSize: 64, evalEvery: 1, patience: 2, ndcg: 'standard' },
    });
    const result = { test: { all: m(0.25), text: m(0.25 - 0.01), visual: m(0.25 - 0.02) }, val: { all: m(0), text: m(0), visual: m(0) }, bestEpoch: 1, epochsRun: 3, secondsPerEpoch: 1, wallSeconds: 3 };
    const file = writeRecordFile(path.join(dir, 'cell.json'), { key: configKey(config), config, result, finishedAt: '' });
    const cell = readRunMetrics(file);
    const old = readRunMetrics(record(dir, 'ckd-2', 2, 0.25));
    assert.deepStrictEqual([cell.seed, cell.label, cell.test], [2, 'vbpr+ckd/without_generic', old.test]);
  });

  it('rejects a file that is not a run record, naming it', () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{"config": {}}');
    assert.throws(() => readRunMetrics(bad), (e: Error) => e instanceof DataError && /bad\.json: not a ckd train record/.test(e.message));
  });
});
