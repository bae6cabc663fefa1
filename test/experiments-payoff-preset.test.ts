import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PRESETS, planListing, planPreset } from '../lib/experiments/reproduce-plan';
import { configKey } from '../lib/experiments/result-store';
import { openResultsStore } from '../lib/experiments/results-folder';
import { CellMetrics, RunCell, RunCellResult, RunStore, ckdVariant } from '../lib/experiments/run-cell';
import { MASKS, ModalityMask } from '../lib/models/backbone';
import { ResultStore } from '../lib/experiments/result-store';

/** A converged result whose validation Recall@20 is `val` under every mask. */
function resultWith(val: number): RunCellResult {
  const m: CellMetrics = { recall20: val, ndcg20: val / 2, precision20: val / 10 };
  const all = Object.fromEntries(MASKS.map(k => [k, m])) as Record<ModalityMask, CellMetrics>;
  return { test: all, val: all, bestEpoch: 40, epochsRun: 90, secondsPerEpoch: 1, wallSeconds: 90 };
}

/** Finishes every learning-rate walk of both presets (the larger rate validates better: each walk ends at its second rate). */
function finishWalks(store: RunStore, dataset: string): void {
  for (let round = 0; round < 10; round++) {
    const todo = [PRESETS.full, PRESETS.payoff].flatMap(p => planPreset(p, dataset, undefined, store).cells)
      .filter(p => p.lrSearch && !store.has(configKey(p.cell)));
    if (todo.length === 0) return;
    for (const p of todo) if (!store.has(configKey(p.cell))) store.append({ config: p.cell, result: resultWith(0.2 + p.cell.train.lr) });
  }
  assert.fail('the walks did not end');
}

describe('the payoff preset: only the payoff figure\'s cells, each one of the full preset\'s', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-payoff-preset-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('plans VBPR and EgoGCN plain and CKD with every teacher budget, and BPR-MF, under full\'s keys', () => {
    const store = new ResultStore<RunCell, RunCellResult>(path.join(dir, 'store.jsonl'));
    finishWalks(store, 'fp');
    const payoff = planPreset(PRESETS.payoff, 'fp', undefined, store);
    const full = planPreset(PRESETS.full, 'fp', undefined, store);
    assert.strictEqual(payoff.waiting, 0);
    const fullKeys = new Set(full.cells.map(p => configKey(p.cell)));
    for (const p of payoff.cells) assert.ok(fullKeys.has(configKey(p.cell)), `payoff cell ${configKey(p.cell)} is not a full cell`);
    const cells = payoff.cells.map(p => p.cell);
    assert.deepStrictEqual([...new Set(cells.map(c => c.model))], ['vbpr', 'egogcn', 'bprmf']);
    assert.deepStrictEqual([...new Set(cells.map(c => c.method))].sort(), ['ckd', 'plain']);
    assert.deepStrictEqual([...new Set(cells.map(c => c.train.seed))].sort(), [1, 2, 3]);
    assert.deepStrictEqual([...new Set(cells.map(c => ckdVariant(c)).filter(Boolean))].sort(),
      ['ckd', 'teachers_10_epochs', 'teachers_20_epochs', 'teachers_40_epochs', 'teachers_5_epochs']);
    // Per backbone: walks of two rates in three modes (the second rate's cell is seed 1's), seeds 2 and 3
    // in three modes, CKD on 3 seeds, and 4 budgets x 3 seeds x (two teachers and CKD); BPR-MF: its
    // walk and seeds 2 and 3.
    assert.strictEqual(cells.length, 2 * (6 + 6 + 3 + 36) + 4);
    assert.strictEqual(payoff.cells.filter(p => p.payoff).length, 2 * 36);
    // The plan listing and the report's cells table name a budget teacher's budget, so its NOT
    // CONVERGED state reads as designed; the CKD cell that uses it names it in its variant.
    const labels = planListing(payoff, () => false).slice(1);
    const budgetTeachers = labels.filter(l => / \(payoff teacher, \d+-epoch budget\)$/.test(l));
    assert.strictEqual(budgetTeachers.length, 2 * 4 * 3 * 2);
    assert.ok(budgetTeachers.some(l => /\tvbpr text-only plain seed 2 \(payoff teacher, 10-epoch budget\)$/.test(l)), budgetTeachers.join('\n'));
    assert.ok(labels.some(l => /\tegogcn multimodal ckd\/teachers_40_epochs seed 3$/.test(l)));
  });

  it('on the committed full-default records, finds the full grid\'s finished cells done', () => {
    const folder = path.resolve(__dirname, '..', '..', 'results', 'full-default');
    const store = openResultsStore(folder, { warn: () => undefined });
    const fingerprint = 'ef6a3d07c8612f83';
    const plan = planPreset(PRESETS.payoff, fingerprint, ['vbpr', 'egogcn'], store);
    const done = plan.cells.filter(p => store.has(configKey(p.cell)));
    // Both backbones' walks have ended there, and their plain and CKD cells of seeds 1-3 are recorded.
    assert.strictEqual(plan.waiting, 0);
    for (const model of ['vbpr', 'egogcn']) {
      for (const seed of [1, 2, 3]) {
        assert.ok(done.some(p => p.cell.model === model && p.cell.train.seed === seed && ckdVariant(p.cell) === 'ckd'), `${model} CKD seed ${seed}`);
      }
    }
  });
});
