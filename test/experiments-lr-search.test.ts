import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initEngine } from '../lib/engine/backend';
import { hasConverged } from '../lib/experiments/convergence';
import { walkLearningRates } from '../lib/experiments/lr-search';
import { PRESETS, ReproducePreset, gridCells, planPreset, shardCells } from '../lib/experiments/reproduce-plan';
import { runPreset } from '../lib/experiments/reproduce';
import { provenance } from '../lib/experiments/provenance';
import { ResultStore, configKey } from '../lib/experiments/result-store';
import { CellMetrics, RunCell, RunCellResult, RunStore, cellConverged, ckdVariant, makeRunCell, teacherCells } from '../lib/experiments/run-cell';
import { MASKS, ModalityMask } from '../lib/models/backbone';
import { synthesizeDataset } from '../lib/synth/synthesize';

/** A finished cell's result with the given validation Recall@20 (every mask) and epochs. */
function resultWith(val: number, bestEpoch: number, epochsRun: number): RunCellResult {
  const m: CellMetrics = { recall20: val, ndcg20: val / 2, precision20: val / 10 };
  const all = Object.fromEntries(MASKS.map(k => [k, m])) as Record<ModalityMask, CellMetrics>;
  return { test: all, val: all, bestEpoch, epochsRun, secondsPerEpoch: 1, wallSeconds: epochsRun };
}

describe('learning-rate selection on validation', () => {
  let dir: string;
  let store: RunStore;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-lr-'));
    store = new ResultStore<RunCell, RunCellResult>(path.join(dir, 'store.jsonl'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const train = { lr: 0, batchSize: 1024, evalEvery: 5, patience: 10, epochs: 1000, ndcg: 'standard' as const, seed: 1 };
  const base = makeRunCell({ dataset: 'fp', model: 'vbpr', mode: 'text-only', method: 'plain', train });
  const grid = [1e-4, 5e-3, 5e-4, 1e-3];
  const finish = (lr: number, val: number, bestEpoch = 40, epochsRun = 90) =>
    store.append({ config: { ...base, train: { ...base.train, lr } }, result: resultWith(val, bestEpoch, epochsRun) });

  it('converged means stopped by patience after a flat stretch of at least 20 epochs', () => {
    assert.ok(hasConverged({ bestEpoch: 40, epochsRun: 90 }, { evalEvery: 5, patience: 10 }));
    assert.ok(!hasConverged({ bestEpoch: 995, epochsRun: 1000 }, { evalEvery: 5, patience: 10 }));
    assert.ok(!hasConverged({ bestEpoch: 960, epochsRun: 1000 }, { evalEvery: 5, patience: 10 }));
    // A short patience stops a run, but 5 flat epochs are not convergence.
    assert.ok(!hasConverged({ bestEpoch: 20, epochsRun: 25 }, { evalEvery: 1, patience: 5 }));
    assert.ok(hasConverged({ bestEpoch: 20, epochsRun: 40 }, { evalEvery: 1, patience: 5 }));
  });

  it('walks from the largest rate down and stops at the first that validates worse', () => {
    let w = walkLearningRates(base, grid, store);
    assert.deepStrictEqual(w.cells.map(c => c.train.lr), [5e-3]);
    assert.strictEqual(w.selected, undefined);
    finish(5e-3, 0.20);
    w = walkLearningRates(base, grid, store);
    assert.deepStrictEqual(w.cells.map(c => c.train.lr), [5e-3, 1e-3]);
    finish(1e-3, 0.22);
    finish(5e-4, 0.21);
    w = walkLearningRates(base, grid, store);
    assert.deepStrictEqual(w.cells.map(c => c.train.lr), [5e-3, 1e-3, 5e-4], '1e-4 is not tried once 5e-4 lost');
    assert.strictEqual(w.selected, 1e-3);
  });

  it('stops after a run that reached its cap, selecting the best so far', () => {
    finish(5e-3, 0.20);
    finish(1e-3, 0.21, 998, 1000);
    const w = walkLearningRates(base, grid, store);
    assert.strictEqual(w.selected, 1e-3);
    assert.strictEqual(w.cells.length, 2);
    assert.ok(!cellConverged(store.get(configKey(w.cells[1]))!));
  });

  it('plans the full preset as its rates are selected: the walk first, then the cells that need the rate', () => {
    const preset = PRESETS.full;
    let plan = planPreset(preset, 'fp', ['vbpr'], store);
    // The first rate of each mode's walk; everything else waits for the rates.
    assert.deepStrictEqual(plan.cells.map(p => [p.cell.mode, p.cell.train.lr, !!p.lrSearch]),
      [['multimodal', 5e-3, true], ['text-only', 5e-3, true], ['visual-only', 5e-3, true]]);
    assert.ok(plan.waiting > 0);
    assert.strictEqual(gridCells(preset, 'fp', ['vbpr'], store).length, 0);
    // Each mode's walk ends at its second rate.
    const rates: Record<string, number> = { multimodal: 1e-3, 'text-only': 5e-4, 'visual-only': 5e-3 };
    for (const mode of ['multimodal', 'text-only', 'visual-only'] as const) {
      const b = { ...base, mode, probe: true };
      const vals = mode === 'visual-only' ? [0.2, 0.1] : mode === 'multimodal' ? [0.2, 0.25, 0.24] : [0.2, 0.22, 0.23, 0.21];
      [5e-3, 1e-3, 5e-4, 1e-4].slice(0, vals.length).forEach((lr, k) =>
        store.append({ config: { ...b, train: { ...b.train, lr } }, result: resultWith(vals[k], 40, 90) }));
    }
    plan = planPreset(preset, 'fp', ['vbpr'], store);
    assert.strictEqual(plan.waiting, 0);
    const grid1 = gridCells(preset, 'fp', ['vbpr'], store);
    for (const p of grid1) {
      if (p.cell.method === 'ckd') {
        assert.deepStrictEqual(p.cell.teacherLr, { text: 5e-4, visual: 5e-3 });
        assert.strictEqual(p.cell.train.lr, rates.multimodal);
        for (const [m, t] of Object.entries(teacherCells(p.cell))) {
          assert.strictEqual(t.train.lr, m === 'text' ? 5e-4 : 5e-3);
          assert.strictEqual(t.teacherLr, undefined);
          assert.ok(grid1.some(q => configKey(q.cell) === configKey(t)), `the ${m} teacher of seed ${p.cell.train.seed} is a grid cell`);
        }
      } else {
        assert.strictEqual(p.cell.train.lr, rates[p.cell.mode], `${p.cell.mode} ${p.cell.method}`);
      }
    }
    // 10 seeds of plain (three modes) and CKD; seeds 1-3 of GB, OGM, CKD's code form and four ablations.
    const count = (f: (c: RunCell) => boolean) => grid1.filter(p => f(p.cell)).length;
    assert.strictEqual(count(c => c.method === 'plain'), 30);
    assert.strictEqual(count(c => ckdVariant(c) === 'ckd'), 10);
    assert.strictEqual(count(c => ckdVariant(c) === 'ckd_code_form'), 3);
    assert.strictEqual(count(c => c.method === 'gb' || c.method === 'ogm'), 6);
    assert.strictEqual(count(c => c.method === 'ckd'), 10 + 3 + 4 * 3);
    // The walk's losing rates stay in the plan, out of the grid.
    const all = planPreset(preset, 'fp', ['vbpr'], store).cells;
    assert.strictEqual(all.filter(p => p.lrSearch).length, 2 + 3 + 1);
    // A grid with learning-rate selection shards whole backbones.
    assert.ok(shardCells(planPreset(preset, 'fp', undefined, store).cells, 0, 2).every(p => p.group === p.cell.model));
  });

  it('runs a preset with a rate grid to the end on tiny data, teachers at their own rates', async function () {
    this.timeout(300000);
    const data = synthesizeDataset('tiny', 1);
    const prov = provenance(data, await initEngine({ quiet: true }));
    const preset: ReproducePreset = {
      name: 'full', seeds: [1], train: { lr: 1, batchSize: 256, evalEvery: 1, patience: 2, epochs: 6, ndcg: 'standard' },
      lrGrid: [1e-1, 1e-2], figure1Models: ['vbpr'], probeModels: [], tableModels: ['vbpr'], methods: ['plain', 'ckd'], ablationModels: [],
    };
    const seen: string[] = [];
    await runPreset(data, preset, prov.dataset.fingerprint, {
      store, teachersDir: path.join(dir, 'teachers'), provenance: prov, onCell: (_k, _n, c) => seen.push(`${c.mode} ${c.method} ${c.train.lr}`),
    });
    const plan = planPreset(preset, prov.dataset.fingerprint, undefined, store);
    assert.strictEqual(plan.waiting, 0);
    assert.ok(plan.cells.every(p => store.has(configKey(p.cell))), 'every planned cell ran');
    assert.strictEqual(new Set(seen).size, seen.length, 'no cell ran twice');
    const ckd = plan.cells.find(p => p.cell.method === 'ckd')!.cell;
    assert.ok(ckd.teacherLr, 'the CKD cell names its teachers\' rates');
    for (const t of Object.values(teacherCells(ckd))) assert.ok(store.has(configKey(t)));
    for (const r of store.records()) assert.strictEqual(typeof r.result.converged, 'boolean');
  });
});
