import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from '../lib/experiments/provenance';
import { EvaluationResult } from '../lib/eval/evaluate';
import { FULL_GRID_PREDICTION, headlineTable } from '../lib/experiments/headline';
import { RunOutcome } from '../lib/experiments/tables';

function outcome(model: string, method: string, seed: number, recall: number, converged = true): RunOutcome {
  const all: EvaluationResult = { ks: [20], ndcgVariant: 'standard', users: 10, recall: { 20: recall }, ndcg: { 20: 0 }, precision: { 20: 0 } };
  return { model, method, dataset: 'default', seed, mode: 'multimodal', ...(method === 'ckd' ? { variant: 'ckd' } : {}), test: { all }, converged };
}

describe('headline: CKD against plain beside the prediction', () => {
  const rows = [{ model: 'vbpr', low: 3, high: 9, helps: 'yes' as const }, { model: 'egogcn', low: 3, high: 8, helps: 'yes' as const }];
  const col = (t: ReturnType<typeof headlineTable>, r: number, name: string) => t.rows[r][t.columns.indexOf(name)];

  it('computes the paired gain, its interval and the verdict; pending with one seed', () => {
    const outcomes = [
      outcome('vbpr', 'plain', 1, 0.20), outcome('vbpr', 'plain', 2, 0.21), outcome('vbpr', 'plain', 3, 0.22),
      outcome('vbpr', 'ckd', 1, 0.21), outcome('vbpr', 'ckd', 2, 0.222), outcome('vbpr', 'ckd', 3, 0.231),
      outcome('egogcn', 'plain', 1, 0.24), outcome('egogcn', 'ckd', 1, 0.25, false),
      // another variant is not the paper's CKD
      { ...outcome('vbpr', 'ckd', 1, 0.5), variant: 'ckd_code_form' },
    ];
    const t = headlineTable(outcomes, rows, 'docs/prediction.md');
    // differences 0.010, 0.012, 0.011: mean 0.011 over a plain mean of 0.21
    assert.ok(Math.abs((col(t, 0, 'gain%') as number) - 100 * 0.011 / 0.21) < 1e-9);
    assert.strictEqual(col(t, 0, 'seeds'), 3);
    assert.strictEqual(col(t, 0, 'CKD helps'), 'yes');
    assert.ok((col(t, 0, 'p seeds') as number) < 0.01);
    assert.strictEqual(col(t, 0, 'in predicted range'), 'yes');
    assert.match(col(t, 0, 'gain% 95% CI') as string, /^\+4\.\d% to \+6\.\d%$/);
    assert.strictEqual(col(t, 1, 'CKD helps'), 'pending');
    assert.strictEqual(col(t, 1, 'note'), 'NOT CONVERGED: 1 of 2 runs');
  });

  it('a gain that is not significant is a no', () => {
    const outcomes = [
      outcome('vbpr', 'plain', 1, 0.20), outcome('vbpr', 'plain', 2, 0.21),
      outcome('vbpr', 'ckd', 1, 0.22), outcome('vbpr', 'ckd', 2, 0.205),
    ];
    const t = headlineTable(outcomes, rows, 'x');
    assert.strictEqual(col(t, 0, 'CKD helps'), 'no');
  });

  it('the full grid\'s prediction names the six backbones', () => {
    assert.deepStrictEqual(FULL_GRID_PREDICTION.rows.map(r => r.model), ['vbpr', 'deepstyle', 'mmgcn', 'grcn', 'egogcn', 'mgcn']);
    assert.ok(FULL_GRID_PREDICTION.rows.every(r => r.low < r.high));
  });

  it('restates the committed prediction document\'s ranges', () => {
    const doc = fs.readFileSync(path.join(PROJECT_ROOT, FULL_GRID_PREDICTION.document), 'utf8');
    const pc = (x: number) => `${x > 0 ? '+' : ''}${x}%`;
    for (const r of FULL_GRID_PREDICTION.rows) {
      const line = doc.split('\n').find(l => l.toLowerCase().startsWith(`| ${r.model} |`));
      assert.ok(line, `${r.model} has a row in ${FULL_GRID_PREDICTION.document}`);
      assert.ok(line!.includes(`${pc(r.low)} to ${pc(r.high)}`), `${r.model}: ${line}`);
    }
  });
});
