import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const RUN = path.join(__dirname, '..', 'bench', 'run.js');
const MODELS = ['vbpr', 'deepstyle', 'mmgcn', 'grcn', 'egogcn', 'mgcn'];

function positive(x: unknown, what: string): void {
  assert.equal(typeof x, 'number', `${what} is not a number: ${JSON.stringify(x)}`);
  assert.ok(Number.isFinite(x as number) && (x as number) > 0, `${what} = ${x}`);
}

describe('bench/run.js --quick --json (tiny preset, child process)', function () {
  this.timeout(60000);
  let dir: string;
  let record: any;
  let stderr: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-run-'));
    const out = path.join(dir, 'bench.json');
    const r = spawnSync(process.execPath, [RUN, '--quick', '--json', '--out', out], {
      encoding: 'utf8', env: { ...process.env, CKD_BACKEND: 'wasm' }, timeout: 55000,
    });
    stderr = r.stderr;
    assert.equal(r.status, 0, `exit ${r.status}\n${r.stderr}`);
    record = JSON.parse(r.stdout); // stdout holds the JSON only
    assert.deepEqual(JSON.parse(fs.readFileSync(out, 'utf8')), record, 'the file holds the same record');
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('describes the run and its provenance', () => {
    assert.equal(record.bench, 'bench');
    assert.equal(record.setting.preset, 'tiny');
    assert.equal(record.setting.steps, 1);
    assert.equal(record.setting.backend, 'wasm');
    assert.deepEqual(record.setting.models, MODELS);
    for (const k of ['node', 'gitCommit', 'at', 'cpuModel']) assert.ok(k in record, k);
    for (const k of ['rankingThreads', 'graphThreads', 'gemmThreads']) positive(record.setting[k], k);
    positive(record.peakRssMiB, 'peakRssMiB');
    assert.match(stderr, /bench: wrote /);
  });

  it('measures the GEMM throughput on workload shapes', () => {
    assert.ok(record.gemm.results.length >= 3);
    for (const g of record.gemm.results) {
      for (const k of ['m', 'k', 'n', 'seconds', 'gflops']) positive(g[k], `gemm ${g.label} ${k}`);
    }
    assert.equal(record.gemm.bestGflops, Math.max(...record.gemm.results.filter((g: any) => g.threads === 1).map((g: any) => g.gflops)));
  });

  it('has a row of finite positive times, bounds and memory per backbone', () => {
    assert.deepEqual(record.rows.map((r: any) => r.model), MODELS);
    for (const r of record.rows) {
      assert.equal(r.errors, undefined, `${r.model}: ${JSON.stringify(r.errors)}`);
      assert.equal(r.backend, 'wasm');
      // CKD reusing its kept branches is timed where a backbone has them, with a lower bound of its own.
      const kept = ['mmgcn', 'grcn'].includes(r.model);
      assert.equal('ckdKept' in r, kept, `${r.model}: ckdKept`);
      if (kept) assert.ok(r.ckdKept.flopsPerStep.total < r.ckd.flopsPerStep.total, `${r.model}: reusing kept branches costs fewer FLOPs`);
      for (const method of kept ? ['plain', 'ckd', 'ckdKept'] : ['plain', 'ckd']) {
        const m = r[method];
        for (const k of ['secondsPerStep', 'cpuSecondsPerStep', 'epochSeconds', 'lowerBoundEpochSeconds', 'overLowerBound', 'countedMatMulFlopsPerStep']) {
          positive(m[k], `${r.model} ${method} ${k}`);
        }
        positive(m.flopsPerStep.total, `${r.model} ${method} flops`);
        assert.equal(m.stepSeconds.length, record.setting.steps, `${r.model} ${method}: every timed step`);
        for (const t of m.stepSeconds) positive(t, `${r.model} ${method} step`);
        assert.ok(Number.isFinite(m.lastLoss), `${r.model} ${method} loss ${m.lastLoss}`);
        // The dense FLOP estimate matches the matMul kernels of a real step.
        assert.ok(Math.abs(m.denseEstimateOverCounted - 1) < 0.01, `${r.model} ${method}: estimate/counted ${m.denseEstimateOverCounted}`);
      }
      // VBPR's CKD step projects all items once (shared projections) where plain projects 2B
      // batch rows: on the tiny preset 2B exceeds the items, so only graph backbones must cost more.
      if (!['vbpr', 'deepstyle'].includes(r.model)) assert.ok(r.ckd.flopsPerStep.total > r.plain.flopsPerStep.total, `${r.model}: CKD costs more FLOPs than plain`);
      positive(r.ckdOverPlain, `${r.model} ckdOverPlain`);
      for (const mask of ['all', 'text', 'visual']) {
        positive(r.validation.perMaskSeconds[mask], `${r.model} val ${mask}`);
        positive(r.validation.lowerBoundPerMaskSeconds[mask], `${r.model} val lb ${mask}`);
      }
      positive(r.validation.threeMaskSeconds, `${r.model} val`);
      positive(r.peakRssMiB, `${r.model} peak RSS`);
      assert.equal(r.stepsPerEpoch, record.setting.stepsPerEpoch);
    }
  });

  it('reports every target with a verdict and a margin', () => {
    const ids = record.targets.map((t: any) => t.id);
    assert.deepEqual(ids, ['ckd-over-bound', 'ckd-over-plain', 'vbpr-ckd-epoch', 'mmgcn-ckd-epoch', 'validation-one-pass']);
    for (const t of record.targets) {
      assert.equal(typeof t.pass, 'boolean', t.id);
      positive(t.measured, `${t.id} measured`);
      assert.ok(Number.isFinite(t.margin), t.id);
      assert.equal(t.margin, t.limit - t.measured);
    }
    assert.equal(record.targetsAtScale, false);
  });
});
