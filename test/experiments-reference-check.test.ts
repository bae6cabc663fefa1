import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CkdError } from '../lib/errors';
import { CROSS_BACKEND_TOLERANCE, checkAgainstReference, compareTables, openReference, referenceDetails, referenceLine, referenceMatches } from '../lib/experiments/reference-check';
import { ResultStore } from '../lib/experiments/result-store';
import { RunCell, RunCellResult, RunRecord, makeRunCell } from '../lib/experiments/run-cell';

const TRAIN = { lr: 1e-3, batchSize: 1024, evalEvery: 1, patience: 3, ndcg: 'standard' as const, epochs: 10, seed: 1 };
const CELLS: RunCell[] = [
  makeRunCell({ dataset: 'fp', model: 'vbpr', mode: 'multimodal', method: 'plain', train: TRAIN }),
  makeRunCell({ dataset: 'fp', model: 'vbpr', mode: 'multimodal', method: 'ckd', train: TRAIN }),
  makeRunCell({ dataset: 'fp', model: 'vbpr', mode: 'multimodal', method: 'ckd', methodOptions: { generic: false }, train: TRAIN }),
];

function result(recall: number, patch: (r: RunCellResult) => void = () => {}): RunCellResult {
  const m = (r: number) => ({ recall20: r, ndcg20: r / 2, precision20: r / 20 });
  const split = (r: number) => ({ all: m(r), text: m(r - 0.05), visual: m(r - 0.06) });
  const out: RunCellResult = { test: split(recall), val: split(recall + 0.01), bestEpoch: 10, epochsRun: 10, secondsPerEpoch: 1.5, wallSeconds: 20 };
  patch(out);
  return out;
}

/** A real store in `dir` holding `cells`, each with its recall and the backend named in its provenance; read back from disk. */
function store(dir: string, backend: string, cells: [RunCell, RunCellResult][]): RunRecord[] {
  fs.mkdirSync(dir, { recursive: true });
  const s = new ResultStore<RunCell, RunCellResult>(path.join(dir, 'store.jsonl'));
  for (const [config, r] of cells) s.append({ config, result: r, meta: { provenance: { backend }, history: [] } });
  return new ResultStore<RunCell, RunCellResult>(s.file).records();
}

describe('checking a results folder against a reference record', () => {
  let tmp: string;
  let reference: RunRecord[];
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-reference-'));
    reference = store(path.join(tmp, 'ref'), 'wasm', [[CELLS[0], result(0.2345)], [CELLS[1], result(0.2459)], [CELLS[2], result(0.2401)]]);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('identical: the same numbers on the same backend, wall times aside', () => {
    const ours = store(path.join(tmp, 'same'), 'wasm', [
      [CELLS[2], result(0.2401, r => { r.wallSeconds = 99; r.secondsPerEpoch = 9; })], [CELLS[0], result(0.2345)], [CELLS[1], result(0.2459)]]);
    const c = checkAgainstReference(ours, reference, CELLS);
    assert.ok(referenceMatches(c));
    assert.deepStrictEqual([c.cells, c.identical, c.crossBackend], [3, 3, 0]);
    assert.match(referenceLine(c, 'results/ref', 'differs from the reference\'s at line 3: "a" vs "b"'),
      /^differs from results\/ref: all 3 cells match \(bit for bit, wasm on both sides\), but tables\.md differs from the reference's at line 3: "a" vs "b"$/);
    assert.strictEqual(referenceLine(c, 'results/ref', 'identical'),
      'identical to results/ref: all 3 cells (every test and val metric under every mask, bestEpoch and epochsRun), bit for bit, wasm on both sides, and tables.md too');
  });

  it('differing: names the cell and number, with enough digits and the signed difference; bit for bit means any bit', () => {
    const ours = store(path.join(tmp, 'differ'), 'wasm', [
      [CELLS[0], result(0.2345, r => { r.val.text.ndcg20 *= 1 + Number.EPSILON; })],
      [CELLS[1], result(0.2461)],
      [CELLS[2], result(0.2401, r => { r.bestEpoch = 9; })]]);
    const c = checkAgainstReference(ours, reference, CELLS);
    assert.ok(!referenceMatches(c));
    assert.strictEqual(c.identical, 0);
    assert.deepStrictEqual(c.differing.map(d => d.diffs.length), [1, 18, 1]);
    const line = referenceLine(c, 'results/ref');
    assert.match(line, /^differs from results\/ref in 3 of 3 cells \(this run vs the reference; bit for bit, wasm on both sides\): /);
    assert.match(line, /vbpr multimodal ckd seed 1 (test|val) all recall@20 0\.2[45]61 vs 0\.2[45]59 \(\+0\.0002\) and 17 more numbers/);
    assert.match(line, /vbpr multimodal ckd\/without_generic seed 1 bestEpoch 9 vs 10 \(-1\)/);
    // A difference in the last bit shows the digits where the two part.
    assert.match(line, /vbpr multimodal plain seed 1 val text ndcg@20 0\.09725\d{10,} vs 0\.09725\d{10,} \(\+\d(\.\d)?e-1[78]\)/);
    assert.strictEqual(referenceDetails(c).length, 3);
    assert.ok(referenceDetails(c)[1].startsWith('vbpr multimodal ckd seed 1: test all ndcg@20 0.1231 vs 0.1230 (+0.0001), '), referenceDetails(c)[1]);
  });

  it('missing: cells absent on either side, and a reference of another plan', () => {
    const other = makeRunCell({ dataset: 'fp', model: 'vbpr', mode: 'text-only', method: 'plain', train: TRAIN });
    const ours = store(path.join(tmp, 'missing'), 'wasm', [[CELLS[0], result(0.2345)], [CELLS[1], result(0.2459)], [other, result(0.1)]]);
    const c = checkAgainstReference(ours, reference, [...CELLS.slice(0, 2), other]);
    assert.deepStrictEqual(c.missingInReference, ['vbpr text-only plain seed 1']);
    assert.deepStrictEqual(c.missingHere, []);
    assert.strictEqual(c.outside, 1);
    assert.match(referenceLine(c, 'R'), /^differs from R in 1 of 3 cells .*: missing in the reference: vbpr text-only plain seed 1; 1 reference cell outside this plan not compared$/);
    // Without a plan: the union of both sides.
    const u = checkAgainstReference(ours, reference);
    assert.deepStrictEqual([u.cells, u.missingHere, u.missingInReference.length], [4, ['vbpr multimodal ckd/without_generic seed 1'], 1]);
    // A reference with none of the planned cells (another preset or data set).
    const none = checkAgainstReference(ours, reference, [other]);
    assert.match(referenceLine(none, 'R'), /^differs from R: none of the 1 cells is there .*; 3 reference cells outside this plan not compared$/);
  });

  it('another backend: metrics within the tolerance match, beyond it or an epoch count differ', () => {
    const near = CROSS_BACKEND_TOLERANCE / 4;
    const ours = store(path.join(tmp, 'webgpu'), 'webgpu', [[CELLS[0], result(0.2345 + near)], [CELLS[1], result(0.2459 - near)], [CELLS[2], result(0.2401)]]);
    const c = checkAgainstReference(ours, reference, CELLS);
    assert.ok(referenceMatches(c));
    assert.strictEqual(c.crossBackend, 3);
    assert.ok(Math.abs(c.maxAbsDiff - near) < 1e-12);
    assert.match(referenceLine(c, 'R'), new RegExp(`^matches R: all 3 cells .*the reference is from wasm and this run from webgpu, another backend, so metrics are compared within ±${CROSS_BACKEND_TOLERANCE} instead of bit for bit \\(largest difference 0\\.0005\\)`));
    const far = store(path.join(tmp, 'webgpu-far'), 'webgpu', [
      [CELLS[0], result(0.2345 + 2 * CROSS_BACKEND_TOLERANCE)], [CELLS[1], result(0.2459, r => { r.epochsRun = 8; })], [CELLS[2], result(0.2401)]]);
    const d = checkAgainstReference(far, reference, CELLS);
    assert.ok(!referenceMatches(d));
    assert.deepStrictEqual(d.differing.map(x => x.label), ['vbpr multimodal plain seed 1', 'vbpr multimodal ckd seed 1']);
    assert.match(referenceLine(d, 'R'), /^differs from R in 2 of 3 cells \(this run vs the reference; the reference is from wasm and this run from webgpu.*\): .*epochsRun 8 vs 10 \(-2\)/);
  });

  it('a reference folder must hold a store with records; tables.md compares line by line', () => {
    const bad = (dir: string, problem: RegExp) => assert.throws(() => openReference(dir, '--reference'),
      (e: Error) => e instanceof CkdError && e.message.startsWith(`--reference ${dir}: `) && problem.test(e.message) && !e.message.includes('\n'));
    bad(path.join(tmp, 'nowhere'), /no such folder/);
    fs.mkdirSync(path.join(tmp, 'empty'));
    bad(path.join(tmp, 'empty'), /no store\.jsonl there/);
    fs.writeFileSync(path.join(tmp, 'empty', 'store.jsonl'), '');
    bad(path.join(tmp, 'empty'), /holds no finished cell/);
    bad(path.join(tmp, 'empty', 'store.jsonl'), /not a folder/);
    assert.strictEqual(openReference(path.join(tmp, 'ref'), '--reference').size, 3);

    const a = path.join(tmp, 'a.md');
    const b = path.join(tmp, 'b.md');
    fs.writeFileSync(a, '# T\n| x | 0.1234 |\n');
    fs.writeFileSync(b, '# T\n| x | 0.1234 |\n');
    assert.strictEqual(compareTables(a, b), 'identical');
    fs.writeFileSync(b, '# T\n| x | 0.1235 |\n');
    assert.strictEqual(compareTables(a, b), 'differs from the reference\'s at line 2: "| x | 0.1234 |" vs "| x | 0.1235 |"');
    assert.strictEqual(compareTables(a, path.join(tmp, 'none.md')), undefined);
  });
});
