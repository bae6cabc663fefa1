import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { estimatePlan, estimateText } from '../lib/experiments/plan-estimate';
import { ResultStore } from '../lib/experiments/result-store';
import { RunCell, RunCellResult, makeRunCell } from '../lib/experiments/run-cell';

describe('the time estimate of the cells still to run', () => {
  const train = { seed: 1, epochs: 10, lr: 1e-3, batchSize: 256, evalEvery: 1, patience: 3, ndcg: 'standard' as const };
  const cell = (model: string, method: RunCell['method'], seed: number, methodOptions?: Record<string, unknown>) =>
    makeRunCell({ dataset: 'd', model, mode: 'multimodal', method, train: { ...train, seed }, ...(methodOptions ? { methodOptions } : {}) });
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-estimate-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('counts the mean wall time of the most like recorded cells, and says what it could not estimate', () => {
    const store = new ResultStore<RunCell, RunCellResult>(path.join(dir, 'store.jsonl'));
    // Only the wall time is read; the rest of a result is irrelevant here.
    const record = (c: RunCell, wallSeconds: number) => store.append({ config: c, result: { wallSeconds } as RunCellResult });
    record(cell('vbpr', 'plain', 1), 1000);
    record(cell('vbpr', 'plain', 2), 3000);
    record(cell('vbpr', 'ckd', 1), 7200);
    const plan = [
      cell('vbpr', 'plain', 1), // done: not counted
      cell('vbpr', 'plain', 3), // like: plain, 2000
      cell('vbpr', 'ckd', 2), // like: CKD, 7200
      cell('vbpr', 'ckd', 2, { generic: false }), // no such variant yet: CKD's 7200
      cell('vbpr', 'gb', 1), // no GB yet: VBPR multimodal's mean, (1000 + 3000 + 7200) / 3
      cell('deepstyle', 'plain', 1), // nothing like it
    ];
    const e = estimatePlan(plan, store);
    assert.deepStrictEqual({ toRun: e.toRun, unknown: e.unknown }, { toRun: 5, unknown: 1 });
    assert.ok(Math.abs(e.seconds - (2000 + 7200 + 7200 + 11200 / 3)) < 1e-9, String(e.seconds));
    assert.strictEqual(estimateText(e), '5 cells to run, about 5.6 cell-hours by the wall times of like cells recorded here (one worker each); 1 more with no like cell recorded, not counted');
    assert.strictEqual(estimateText(estimatePlan([plan[0]], store)), 'nothing to run');
    assert.strictEqual(estimateText(estimatePlan([plan[5]], store)), '1 cell to run (no like cell recorded here to estimate their time from)');
  });
});
