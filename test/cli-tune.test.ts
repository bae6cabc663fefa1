/**
 * `ckd tune` end to end on tiny data, as a user runs it: a 2 x 2 space of CKD's weights selects the
 * configuration with the best validation Recall@20, re-runs it and the default on the seeds, and
 * writes tune.md / tune.json; running it again trains nothing; two shards run side by side give
 * the same report; bad spaces are one clear line and exit code 2.
 */
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ResultStore } from '../lib/experiments/result-store';
import { storeFiles } from '../lib/experiments/results-folder';
import { RunCell, RunCellResult } from '../lib/experiments/run-cell';
import { TuneReport } from '../lib/tune/report';
import { assertUserError, ckd } from './cli-process';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'ckd.js');

/** ckd in a child process, asynchronously (to run two shards at once). */
function ckdAsync(...args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CKD_BACKEND: 'wasm' } });
    let stderr = '';
    child.stderr.on('data', d => { stderr += d; });
    child.on('close', code => resolve({ code: code ?? -1, stderr }));
  });
}

const records = (dir: string) => new ResultStore<RunCell, RunCellResult>(path.join(dir, 'store.jsonl'), { files: () => storeFiles(dir) }).records();

describe('ckd tune', function () {
  this.timeout(600000);
  let tmp: string;
  let data: string;
  let space: string;
  const protocol = ['--preset', 'quick', '--lr', '0.01', '--batch-size', '128', '--epochs', '4', '--seeds', '2', '--quiet'];
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-tune-'));
    data = path.join(tmp, 'tiny');
    assert.strictEqual(ckd('data', 'synth', '--preset', 'tiny', '--seed', '1', '--out', data).code, 0);
    space = path.join(tmp, 'space.json');
    fs.writeFileSync(space, JSON.stringify({ lambdaKd: [0.001, 0.1], lambdaG: [1, 5] }));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('selects the best validation configuration, re-runs it and the default on the seeds, writes the report; a second run trains nothing', () => {
    const out = path.join(tmp, 'a');
    const r = ckd('tune', '--data', data, '--model', 'vbpr', '--method', 'ckd', '--space', space, '--out', out, ...protocol);
    assert.strictEqual(r.code, 0, r.stderr);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'tune.json'), 'utf8')) as TuneReport;
    const recs = records(out);
    // Search: 4 CKD cells and 2 teachers (seed 1); final: seed 2's selected, default, plain and teachers, and seed 1's default and plain.
    const searchVals = report.configurations.map(c => recs.find(x => x.key === c.key)!.result.val.all.recall20);
    assert.deepStrictEqual(report.configurations.map(c => c.valRecall20), searchVals);
    const best = searchVals.indexOf(Math.max(...searchVals));
    assert.strictEqual(report.selected!.index, best);
    assert.ok(new Set(searchVals).size > 1, 'the configurations differ (else the test shows nothing)');
    assert.deepStrictEqual(report.seeds, [1, 2]);
    const fused = report.comparison!.find(c => c.metric === 'recall20' && c.mask === 'all')!;
    assert.deepStrictEqual(fused.selected.values.map(v => v.seed), [1, 2]);
    assert.deepStrictEqual(fused.default.values.map(v => v.seed), [1, 2]);
    assert.strictEqual(fused.plain!.n, 2);
    assert.ok(fused.pUsersVsPlain! > 0 && fused.pUsersVsPlain! <= 1, 'selected against plain over test users');
    const ndcg = report.comparison!.find(c => c.metric === 'ndcg20')!.pUsersVsPlain;
    assert.ok(ndcg === null || Number.isNaN(ndcg), 'over users for Recall@20 only (NaN, null in tune.json)');
    assert.strictEqual(report.cells.finished, report.cells.planned);
    assert.strictEqual(recs.length, report.cells.planned);
    const md = fs.readFileSync(path.join(out, 'tune.md'), 'utf8');
    assert.match(md, /\(selected\)/);
    assert.match(md, /against the default configuration on test, seeds 1, 2/);
    assert.match(r.stdout, /Recall@20 fused/);
    assert.match(r.stderr, /\[1\/\d+\] search: vbpr visual-only plain seed 1/);

    const lines = fs.readFileSync(path.join(out, 'store.jsonl'), 'utf8');
    const again = ckd('tune', '--data', data, '--model', 'vbpr', '--method', 'ckd', '--space', space, '--out', out, ...protocol);
    assert.strictEqual(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /\[\d+\/\d+\]/, 'no cell runs again');
    assert.strictEqual(fs.readFileSync(path.join(out, 'store.jsonl'), 'utf8'), lines);
    assert.deepStrictEqual(JSON.parse(fs.readFileSync(path.join(out, 'tune.json'), 'utf8')), report);
  });

  it('two shards side by side (one waiting for the other\'s teachers and search) give the same report as one process', async () => {
    const out = path.join(tmp, 'b');
    const args = ['tune', '--data', data, '--model', 'vbpr', '--method', 'ckd', '--space', space, '--out', out, ...protocol, '--poll', '0.2'];
    const [s1, s2] = await Promise.all([ckdAsync(...args, '--shard', '1/2'), ckdAsync(...args, '--shard', '2/2')]);
    assert.strictEqual(s1.code, 0, s1.stderr);
    assert.strictEqual(s2.code, 0, s2.stderr);
    assert.ok(!fs.existsSync(path.join(out, 'tune.json')), 'a shard writes no report');
    const byShard = [1, 2].map(k => new ResultStore<RunCell, RunCellResult>(path.join(out, `store.shard-${k}-of-2.jsonl`)).records().map(r => r.key));
    assert.ok(byShard[0].length > 0 && byShard[1].length > 0, 'both shards ran cells');
    assert.ok(byShard[0].every(k => !byShard[1].includes(k)), 'no cell ran twice');
    const r = ckd('tune', '--data', data, '--model', 'vbpr', '--method', 'ckd', '--space', space, '--out', out, ...protocol, '--report-only');
    assert.strictEqual(r.code, 0, r.stderr);
    const one = JSON.parse(fs.readFileSync(path.join(tmp, 'a', 'tune.json'), 'utf8')) as TuneReport;
    const two = JSON.parse(fs.readFileSync(path.join(out, 'tune.json'), 'utf8')) as TuneReport;
    assert.deepStrictEqual(two.comparison, one.comparison);
    assert.deepStrictEqual(two.configurations, one.configurations);
  });

  it('--reuse counts another folder\'s finished cells as done and loads its teachers\' weights', () => {
    const out = path.join(tmp, 'd');
    const r = ckd('tune', '--data', data, '--model', 'vbpr', '--method', 'ckd', '--space', space, '--out', out, ...protocol, '--reuse', path.join(tmp, 'a'));
    assert.strictEqual(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /\[\d+\/\d+\]/, 'every cell is in the reused folder');
    assert.ok(!fs.existsSync(path.join(out, 'store.jsonl')));
    const one = JSON.parse(fs.readFileSync(path.join(tmp, 'a', 'tune.json'), 'utf8')) as TuneReport;
    const reused = JSON.parse(fs.readFileSync(path.join(out, 'tune.json'), 'utf8')) as TuneReport;
    assert.deepStrictEqual(reused.comparison, one.comparison);
    assert.strictEqual(reused.cells.reused, reused.cells.planned);
    // A new configuration with the same teachers: only its own cells train, the teachers come from the other folder.
    const other = path.join(tmp, 'other.json');
    fs.writeFileSync(other, JSON.stringify({ lambdaKd: [0.5] }));
    const n = ckd('tune', '--data', data, '--model', 'vbpr', '--method', 'ckd', '--space', other, '--out', out, ...protocol, '--seeds', '1', '--reuse', path.join(tmp, 'a'));
    assert.strictEqual(n.code, 0, n.stderr);
    assert.doesNotMatch(n.stderr, /training it again|plain seed 1 lr/);
    assert.deepStrictEqual(records(out).map(x => [x.config.method, x.config.methodOptions]), [['ckd', { lambdaKd: 0.5 }]]);
  });

  it('refuses a bad space file or an unknown option in the space with one line and exit code 2', () => {
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, '{"lambdaKd": [0.001, 0.1],');
    const base = ['tune', '--data', data, '--model', 'vbpr', '--method', 'ckd', '--out', path.join(tmp, 'c')];
    assertUserError(ckd(...base, '--space', bad), /--space .*bad\.json: not valid JSON/);
    fs.writeFileSync(bad, '{"lambdaKd": [0.001], "temperature": [1]}');
    assertUserError(ckd(...base, '--space', bad), /--space .*bad\.json: unknown option 'temperature' \(options of ckd: lambdaKd/);
    fs.writeFileSync(bad, '{"lambdaKd": "0.1"}');
    assertUserError(ckd(...base, '--space', bad), /'lambdaKd' must be a non-empty list of values/);
    assertUserError(ckd(...base, '--space', 'paper-dropout'), /model vbpr has no dropout parameter/);
    assertUserError(ckd(...base, '--space', path.join(tmp, 'missing.json')), /no such file, and not a named space/);
    assertUserError(ckd(...base, '--space', 'paper-lr', '--teacher-lr', 'text=2'), /--teacher-lr: text must be a learning rate in \(0, 1\)/);
    assertUserError(ckd(...base, '--space', 'paper-lr', '--param', 'dropout=0.1'), /--param dropout: model vbpr has no parameter 'dropout' \(its parameters: reg\)/);
  });
});
