/**
 * The plan of `ckd tune` as the store fills (phases: learning rates, search, final), on a store of
 * made-up results: what is planned when, what is selected (validation only), and that shards keep
 * their groups as the plan grows.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PRESETS, planCells, shardCells } from '../lib/experiments/reproduce-plan';
import { ResultStore, configKey } from '../lib/experiments/result-store';
import { CellMetrics, RunCell, RunCellResult, RunStore, teacherCells } from '../lib/experiments/run-cell';
import { TuneSetup, planTune, readyToRun } from '../lib/tune/plan';
import { loadSpace } from '../lib/tune/space-source';

function result(val: number, test: number): RunCellResult {
  const m = (v: number): CellMetrics => ({ recall20: v, ndcg20: v / 2, precision20: v / 10 });
  return {
    test: { all: m(test), text: m(test), visual: m(test) }, val: { all: m(val), text: m(val), visual: m(val) },
    bestEpoch: 5, epochsRun: 60, converged: true, secondsPerEpoch: 1, wallSeconds: 60,
  };
}

describe('tune plan', () => {
  let dir: string;
  let store: RunStore;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-tune-plan-'));
    store = new ResultStore<RunCell, RunCellResult>(path.join(dir, 'store.jsonl'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const finish = (cell: RunCell, val: number, test = 0.5) => { if (!store.has(configKey(cell))) store.append({ config: cell, result: result(val, test) }); };
  const setup = (over: Partial<TuneSetup> = {}): TuneSetup => ({
    dataset: 'fp', model: 'vbpr', method: 'ckd', space: loadSpace('paper-ckd-lambdas', 'vbpr', 'ckd'), search: { kind: 'grid' },
    protocol: PRESETS.full, seeds: 3, ...over,
  });

  it('walks the learning rates as the full preset does, searches, then runs selected, default and plain on every seed', () => {
    const s = setup();
    const shardOf = new Map<string, number>();
    const checkShards = () => {
      // A group, once planned, stays with its shard as the plan grows.
      const cells = planTune(s, store).cells;
      for (let k = 0; k < 4; k++) {
        for (const p of shardCells(cells, k, 4)) {
          assert.strictEqual(shardOf.get(p.group) ?? k, k, `group ${p.group} moved`);
          shardOf.set(p.group, k);
        }
      }
    };
    let plan = planTune(s, store);
    assert.deepStrictEqual(plan.cells.map(c => [c.phase, c.cell.mode, c.cell.train.lr]),
      [['lr', 'multimodal', 5e-3], ['lr', 'text-only', 5e-3], ['lr', 'visual-only', 5e-3]]);
    assert.match(plan.waiting!, /phase 1/);
    checkShards();
    // Validation rises down to 1e-4 for the student and the visual teacher, to 5e-4 for the text teacher.
    const walkVal: Record<string, Record<number, number>> = {
      multimodal: { 5e-3: 0.1, 1e-3: 0.2, 5e-4: 0.3, 1e-4: 0.4 },
      'text-only': { 5e-3: 0.1, 1e-3: 0.2, 5e-4: 0.3, 1e-4: 0.25 },
      'visual-only': { 5e-3: 0.1, 1e-3: 0.2, 5e-4: 0.3, 1e-4: 0.35 },
    };
    for (let round = 0; round < 5 && plan.waiting?.includes('phase 1'); round++) {
      for (const p of plan.cells) if (p.phase === 'lr') finish(p.cell, walkVal[p.cell.mode][p.cell.train.lr]);
      checkShards();
      plan = planTune(s, store);
    }
    assert.deepStrictEqual(plan.rates, { student: 1e-4, teachers: { text: 5e-4, visual: 1e-4 }, selectedOnValidation: true });
    const search = plan.cells.filter(c => c.phase === 'search');
    assert.strictEqual(search.length, 16, 'the teachers are the walks\' cells at the selected rates');
    assert.ok(search.every(c => c.cell.train.lr === 1e-4 && c.cell.probe && c.cell.train.seed === 1));
    assert.deepStrictEqual(search[0].cell.teacherLr, { text: 5e-4, visual: 1e-4 });
    for (const t of Object.values(teacherCells(search[0].cell))) assert.ok(store.has(configKey(t)), 'teacher = a finished walk cell');
    assert.match(plan.waiting!, /phase 2/);

    // Validation best for lambdaKd 0.1, lambdaG 0.5 (index 9); test best elsewhere, never read.
    search.forEach((p, k) => finish(p.cell, k === 9 ? 0.5 : 0.3, k === 9 ? 0.1 : 0.9));
    checkShards();
    plan = planTune(s, store);
    assert.strictEqual(plan.waiting, undefined);
    assert.strictEqual(plan.final!.selected, 9);
    assert.deepStrictEqual(plan.final!.cells.selected[0].methodOptions, { lambdaKd: 0.1, lambdaG: 0.5 });
    assert.deepStrictEqual(plan.final!.cells.default.map(c => c.methodOptions), [{}, {}, {}]);
    assert.deepStrictEqual(plan.final!.cells.plain!.map(c => [c.method, c.train.seed]), [['plain', 1], ['plain', 2], ['plain', 3]]);
    // New in the final phase: selected on seeds 2, 3, default on 2, 3 (seed 1 is a search cell),
    // plain on 2, 3 (seed 1 is the walk's selected cell), and the teachers of seeds 2 and 3.
    const final = plan.cells.filter(c => c.phase === 'final');
    assert.strictEqual(final.length, 2 + 2 + 2 + 4);
    assert.strictEqual(new Set(plan.cells.map(c => configKey(c.cell))).size, plan.cells.length, 'no cell twice');
    const selected2 = plan.final!.cells.selected[1];
    assert.ok(!readyToRun(selected2, store), 'a CKD cell waits for its teachers');
    for (const t of Object.values(teacherCells(selected2))) finish(t, 0.3);
    assert.ok(readyToRun(selected2, store));
    checkShards();
  });

  it('with the rates given, plans no walk; ties in validation go to the first configuration', () => {
    const s = setup({ lr: 1e-3, teacherLr: { text: 5e-4, visual: 1e-3 }, seeds: 2 });
    let plan = planTune(s, store);
    assert.deepStrictEqual(plan.cells.slice(0, 2).map(c => [c.cell.mode, c.cell.train.lr]), [['visual-only', 1e-3], ['text-only', 5e-4]]);
    assert.strictEqual(plan.cells.filter(c => c.phase === 'search').length, 18);
    assert.ok(plan.cells.every(c => c.phase !== 'lr'));
    for (const p of plan.cells) finish(p.cell, 0.3);
    plan = planTune(s, store);
    assert.strictEqual(plan.final!.selected, 0);
  });

  it('a random search plans its budget of configurations; backbone parameters reach every cell, teachers included', () => {
    const space = loadSpace('paper-l2', 'vbpr', 'ckd');
    const plan = planTune(setup({ space, search: { kind: 'random', budget: 2, seed: 7 }, lr: 1e-3, teacherLr: { text: 1e-3, visual: 1e-3 } }), store);
    const search = plan.cells.filter(c => c.phase === 'search' && c.cell.method === 'ckd');
    assert.strictEqual(search.length, 2);
    const regs = search.map(c => c.cell.params?.reg ?? 1e-5);
    assert.strictEqual(new Set(regs).size, 2);
    for (const c of search) for (const t of Object.values(teacherCells(c.cell))) assert.deepStrictEqual(t.params, c.cell.params);
  });

  it('on the quick protocol, CKD cells train their teachers as the quick preset does: the same teacher cells', () => {
    const plan = planTune(setup({ protocol: PRESETS.quick, seeds: 1 }), store);
    const quick = new Set(planCells(PRESETS.quick, 'fp').map(p => configKey(p.cell)));
    const ckd = plan.cells.filter(c => c.cell.method === 'ckd');
    assert.ok(ckd.length > 0);
    for (const c of ckd) {
      assert.deepStrictEqual(c.cell.teacherLr, { text: 1e-3, visual: 5e-4 });
      for (const t of Object.values(teacherCells(c.cell))) assert.ok(quick.has(configKey(t)), 'a quick preset teacher');
    }
  });
});
