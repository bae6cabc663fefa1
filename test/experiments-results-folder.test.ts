import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CkdError } from '../lib/errors';
import { PRESETS, planListing, planPreset, shardCells } from '../lib/experiments/reproduce-plan';
import { ResultStore, configKey } from '../lib/experiments/result-store';
import {
  STORE_FILE, checkShardCount, foldShardStores, openResultsStore, parseShard, shardFromSlurm, shardStoreFile, storeFiles,
} from '../lib/experiments/results-folder';
import { CellMetrics, RunCell, RunCellResult, RunStore, makeRunCell, sameCellResult } from '../lib/experiments/run-cell';
import { MASKS, ModalityMask } from '../lib/models/backbone';

function resultWith(val: number, wallSeconds = 1): RunCellResult {
  const m: CellMetrics = { recall20: val, ndcg20: val / 2, precision20: val / 10 };
  const all = Object.fromEntries(MASKS.map(k => [k, m])) as Record<ModalityMask, CellMetrics>;
  // Converged by the full preset's rule: best epoch 40, 50 flat epochs after it.
  return { test: all, val: all, bestEpoch: 40, epochsRun: 90, secondsPerEpoch: wallSeconds / 90, wallSeconds };
}

const train = { lr: 1e-3, batchSize: 1024, evalEvery: 1, patience: 5, ndcg: 'standard' as const, epochs: 10 };
const cellOf = (seed: number, model = 'vbpr') => makeRunCell({ dataset: 'fp', model, mode: 'multimodal', method: 'plain', train: { ...train, seed } });

describe('results folder: one store in several files', () => {
  let dir: string;
  let warnings: string[];
  const warn = (m: string) => warnings.push(m);
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-folder-')); warnings = []; });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a shard appends to its own file; every reader sees store.jsonl and every shard file merged', () => {
    const main = openResultsStore(dir, { warn });
    main.append({ config: cellOf(1), result: resultWith(0.1) });
    const s1 = openResultsStore(dir, { shard: { index: 0, count: 2 }, warn });
    const s2 = openResultsStore(dir, { shard: { index: 1, count: 2 }, warn });
    assert.strictEqual(s1.file, path.join(dir, 'store.shard-1-of-2.jsonl'));
    assert.ok(s1.has(configKey(cellOf(1))), 'a shard sees store.jsonl');
    s1.append({ config: cellOf(2), result: resultWith(0.2) });
    s2.append({ config: cellOf(3), result: resultWith(0.3) });
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['store.jsonl', 'store.shard-1-of-2.jsonl', 'store.shard-2-of-2.jsonl']);
    assert.strictEqual(fs.readFileSync(s2.file, 'utf8').split('\n').length, 2, 'one record in the second shard\'s file');
    const all = openResultsStore(dir, { warn });
    assert.deepStrictEqual(all.records().map(r => r.config.train.seed), [1, 2, 3]);
    s1.reload();
    assert.ok(s1.has(configKey(cellOf(3))), 'a reload sees the other shards\' new records');
    assert.deepStrictEqual(storeFiles(dir).map(f => path.basename(f)), ['store.jsonl', 'store.shard-1-of-2.jsonl', 'store.shard-2-of-2.jsonl']);
    assert.deepStrictEqual(warnings, []);
    // An old folder with store.jsonl alone reads as before.
    const old = path.join(dir, 'old');
    fs.mkdirSync(old);
    fs.copyFileSync(path.join(dir, STORE_FILE), path.join(old, STORE_FILE));
    assert.strictEqual(openResultsStore(old).size, 1);
  });

  it('the same cell in two files: kept once, silently when only the timings differ, with a warning naming both files when the results differ', () => {
    const a = openResultsStore(dir, { shard: { index: 0, count: 2 }, warn });
    const b = openResultsStore(dir, { shard: { index: 1, count: 2 }, warn });
    a.append({ config: cellOf(1), result: resultWith(0.1, 5) });
    b.append({ config: cellOf(1), result: resultWith(0.1, 7) });
    assert.ok(sameCellResult(resultWith(0.1, 5), resultWith(0.1, 7)));
    let all = openResultsStore(dir, { warn });
    assert.strictEqual(all.size, 1);
    assert.strictEqual(all.get(configKey(cellOf(1)))!.result.wallSeconds, 5, 'the first file\'s record');
    assert.deepStrictEqual(warnings, []);
    b.append({ config: cellOf(2), result: resultWith(0.2) });
    a.append({ config: cellOf(2), result: resultWith(0.25) });
    all = openResultsStore(dir, { warn });
    assert.strictEqual(all.get(configKey(cellOf(2)))!.result.val.all.recall20, 0.25, 'store.shard-1-of-2.jsonl is read first');
    assert.strictEqual(warnings.length, 1);
    assert.match(warnings[0], /store\.shard-2-of-2\.jsonl: cell [0-9a-f]{16} is also in .*store\.shard-1-of-2\.jsonl, with a different result; keeping the one in .*store\.shard-1-of-2\.jsonl/);
  });

  it('an unreadable store file is a one-line error naming it; a torn line in a shard file is skipped with a warning', () => {
    fs.mkdirSync(path.join(dir, 'store.shard-1-of-2.jsonl'));
    assert.throws(() => openResultsStore(dir), (e: Error) => e instanceof CkdError &&
      /store\.shard-1-of-2\.jsonl: cannot read the result store: is a folder, not a file \(EISDIR\)$/.test(e.message) && !e.message.includes('\n'));
    fs.rmdirSync(path.join(dir, 'store.shard-1-of-2.jsonl'));
    const s = openResultsStore(dir, { shard: { index: 1, count: 2 }, warn });
    s.append({ config: cellOf(1), result: resultWith(0.1) });
    fs.appendFileSync(s.file, '{"key":"abc","con');
    const all = openResultsStore(dir, { warn });
    assert.strictEqual(all.size, 1);
    assert.deepStrictEqual(all.skipped, [{ file: s.file, line: 2 }]);
    assert.match(warnings[0], /store\.shard-2-of-2\.jsonl: line 2 is incomplete/);
  });

  it('--jobs folds its workers\' files into store.jsonl in the order the cells finished, and leaves other shardings alone', () => {
    const main = openResultsStore(dir, { warn });
    main.append({ config: cellOf(1), result: resultWith(0.1) });
    const w1 = new ResultStore<RunCell, RunCellResult>(shardStoreFile(dir, { index: 0, count: 2 }));
    const w2 = new ResultStore<RunCell, RunCellResult>(shardStoreFile(dir, { index: 1, count: 2 }));
    const rec = (seed: number, at: string) => ({ key: configKey(cellOf(seed)), config: cellOf(seed), result: resultWith(seed / 10), finishedAt: at });
    w1.appendRecords([rec(2, '2024-01-01T00:00:01Z'), rec(4, '2024-01-01T00:00:04Z')]);
    w2.appendRecords([rec(3, '2024-01-01T00:00:03Z'), rec(1, '2024-01-01T00:00:05Z')]); // 1: already in store.jsonl
    const other = openResultsStore(dir, { shard: { index: 0, count: 3 } });
    other.append({ config: cellOf(9), result: resultWith(0.9) });
    assert.strictEqual(foldShardStores(dir, 2, warn), 3);
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['store.jsonl', 'store.shard-1-of-3.jsonl']);
    const folded = new ResultStore<RunCell, RunCellResult>(path.join(dir, STORE_FILE));
    assert.deepStrictEqual(folded.records().map(r => r.config.train.seed), [1, 2, 3, 4]);
    assert.strictEqual(folded.get(configKey(cellOf(2)))!.finishedAt, '2024-01-01T00:00:01Z', 'records move as they are');
    assert.strictEqual(openResultsStore(dir).size, 5);
    assert.strictEqual(foldShardStores(dir, 2, warn), 0, 'nothing left to fold');
    assert.deepStrictEqual(warnings, []);
  });

  it('a Slurm array task is shard SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT, or of CKD_SHARDS', () => {
    assert.strictEqual(shardFromSlurm({}), undefined);
    assert.deepStrictEqual(shardFromSlurm({ SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '4' }),
      { shard: { index: 1, count: 4 }, countFrom: 'SLURM_ARRAY_TASK_COUNT' });
    assert.deepStrictEqual(shardFromSlurm({ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MAX: '4', SLURM_ARRAY_TASK_MIN: '1' }),
      { shard: { index: 3, count: 4 }, countFrom: 'SLURM_ARRAY_TASK_MAX' });
    // Task 3 submitted again alone: a one-task array; CKD_SHARDS says how many shards there are.
    const again = { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '1', SLURM_ARRAY_TASK_MIN: '3', SLURM_ARRAY_TASK_MAX: '3' };
    assert.throws(() => shardFromSlurm(again), (e: Error) => e instanceof CkdError &&
      /SLURM_ARRAY_TASK_ID=3 is not a shard of 1 \(SLURM_ARRAY_TASK_COUNT=1\).*set CKD_SHARDS=N/.test(e.message));
    assert.deepStrictEqual(shardFromSlurm({ ...again, CKD_SHARDS: '4' }), { shard: { index: 2, count: 4 }, countFrom: 'CKD_SHARDS' });
    assert.throws(() => shardFromSlurm({ SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '4' }), /array task IDs are the shard numbers 1\.\.N \(submit with --array=1-N\)/);
    assert.throws(() => shardFromSlurm({ SLURM_ARRAY_TASK_ID: '1' }), /SLURM_ARRAY_TASK_MAX is '': cannot tell how many shards/);
    assert.deepStrictEqual(parseShard('2/3'), { index: 1, count: 3 });
    for (const bad of ['0/2', '3/2', '1/0', 'a/b', '2']) assert.throws(() => parseShard(bad), /--shard must be K\/N with 1 <= K <= N/);
  });

  it('refuses a shard count taken from the array size when the folder holds another sharding\'s files', () => {
    openResultsStore(dir, { shard: { index: 0, count: 3 } }).append({ config: cellOf(1), result: resultWith(0.1) });
    checkShardCount(dir, { index: 1, count: 3 }, 'SLURM_ARRAY_TASK_COUNT');
    assert.throws(() => checkShardCount(dir, { index: 0, count: 1 }, 'SLURM_ARRAY_TASK_COUNT'),
      /holds the store files of a 3-shard run .*this array task would be shard 1 of 1 \(SLURM_ARRAY_TASK_COUNT\): set CKD_SHARDS=3/);
    checkShardCount(dir, { index: 0, count: 1 }, 'CKD_SHARDS');
  });
});

describe('shards of the progressive full plan', () => {
  it('deal every backbone to the same shard at every stage of the learning-rate selection, disjointly', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-folder-full-'));
    try {
      const store: RunStore = openResultsStore(dir);
      const counts = [2, 3, 4];
      const dealing = (cells: ReturnType<typeof planPreset>['cells'], n: number) => {
        const owner = new Map<string, number>();
        for (let k = 0; k < n; k++) for (const p of shardCells(cells, k, n)) owner.set(p.group, k);
        return owner;
      };
      const first = planPreset(PRESETS.full, 'fp', undefined, store).cells;
      const initial = counts.map(n => dealing(first, n));
      assert.deepStrictEqual([...new Set(first.map(p => p.group))], ['vbpr', 'deepstyle', 'mmgcn', 'grcn', 'egogcn', 'mgcn', 'bprmf']);
      // Finish cells in the order the shards would (the first cell not done of each shard in
      // turn), with validation scores that make the walks end at different rates.
      let steps = 0;
      let x = 0.37;
      for (;;) {
        const plan = planPreset(PRESETS.full, 'fp', undefined, store);
        counts.forEach((n, c) => {
          const now = dealing(plan.cells, n);
          for (const [g, k] of now) assert.strictEqual(k, initial[c].get(g), `${g} stays in shard ${initial[c].get(g)! + 1}/${n}`);
          const keys = Array.from({ length: n }, (_, k) => shardCells(plan.cells, k, n).map(p => configKey(p.cell)));
          assert.strictEqual(new Set(keys.flat()).size, plan.cells.length, 'the shards cover the plan, disjointly');
        });
        const todo = plan.cells.filter(p => !store.has(configKey(p.cell)));
        if (todo.length === 0) { assert.strictEqual(plan.waiting, 0); break; }
        x = (x * 7.31 + 0.13) % 1;
        store.append({ config: todo[steps % Math.min(todo.length, 3)].cell, result: resultWith(0.1 + x / 5) });
        steps++;
      }
      assert.ok(steps > 200, `${steps} cells`);
      const listing = planListing(planPreset(PRESETS.full, 'fp', ['vbpr'], openResultsStore(dir)), () => true, { index: 0, count: 1 });
      assert.match(listing[0], /^# key\tgroup\tstate\tlr\tcell$/);
      assert.match(listing[1], /^[0-9a-f]{16}\tvbpr\tdone\t0\.005\tvbpr multimodal plain seed 1/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists a plan that waits for rates with a closing line', () => {
    const plan = planPreset(PRESETS.full, 'fp', ['vbpr']);
    const lines = planListing(plan, () => false);
    assert.strictEqual(lines.length, 1 + 3 + 1);
    assert.match(lines[1], /\tvbpr\tto run\t0\.005\tvbpr multimodal plain seed 1 \(learning-rate search\)$/);
    assert.match(lines[4], /^# and \d+ more cells \(over all shards\) join the plan as the learning rates they need are selected/);
    assert.strictEqual(planListing(planPreset(PRESETS.smoke, 'fp'), () => false, { index: 2, count: 3 }).length, 1 + 10);
  });
});
