import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { BackboneRow } from '../bench/backbone-bench';
import { runChild } from '../bench/child-runner';
import { readSnapshot, writeSnapshot } from '../bench/dataset-snapshot';
import { matMulRecordFlops } from '../bench/flop-count';
import { WorkloadShape, totalFlops, trainStepFlops, validationFlops } from '../bench/flops';
import { BENCH_MODELS, UsageError, parseRunOptions } from '../bench/run-options';
import { evaluateTargets } from '../bench/targets';
import { datasetFingerprint } from '../lib/experiments/provenance';
import { synthesizeDataset } from '../lib/synth/synthesize';

const BABY: WorkloadShape = {
  users: 19445, items: 7050, featureDims: { visual: 4096, text: 1024 }, trainInteractions: 118551, dim: 64, batch: 1024, universalCount: 5000,
};

describe('bench: FLOP estimates', () => {
  it('VBPR: a plain step is the two batch projections, forward and dW', () => {
    const { batch: B, dim: d } = BABY;
    assert.equal(trainStepFlops('vbpr', BABY, 'plain').dense, 2 * 2 * (2 * B) * (4096 + 1024) * d);
    assert.equal(trainStepFlops('vbpr', BABY, 'plain').sparse, 0);
  });

  it('VBPR: CKD projects all items once per modality instead of the batch (6,024 triples cover all 7,050 items)', () => {
    const extra = totalFlops(trainStepFlops('vbpr', BABY, 'ckd')) - totalFlops(trainStepFlops('vbpr', BABY, 'plain'));
    const ablatedMeans = 2 * 2 * (4096 + 1024) * 64; // mean(F) W of the masked modality, forward and dW
    assert.equal(extra, 2 * 2 * (7050 - 2 * 1024) * (4096 + 1024) * 64 + ablatedMeans);
  });

  it('every backbone: CKD costs more than plain; validation is a forward plus the score product', () => {
    for (const m of BENCH_MODELS) {
      assert.ok(totalFlops(trainStepFlops(m, BABY, 'ckd')) > totalFlops(trainStepFlops(m, BABY, 'plain')), m);
      const val = validationFlops(m, BABY, 'all');
      assert.ok(val.scoring >= 2 * BABY.users * BABY.items * BABY.dim, m);
      assert.ok(totalFlops(val.forward) > 0, m);
    }
    assert.throws(() => trainStepFlops('nope', BABY, 'plain'), /no FLOP estimate/);
  });

  it('counts a matMul record whatever the transposes', () => {
    assert.equal(matMulRecordFlops([[7050, 4096], [4096, 64]], [7050, 64]), 2 * 7050 * 4096 * 64);
    assert.equal(matMulRecordFlops([[4096, 7050], [7050, 64]], [4096, 64]), 2 * 7050 * 4096 * 64); // A^T B
    assert.equal(matMulRecordFlops([[1, 30, 20], [1, 20, 10]], [1, 30, 10]), 2 * 30 * 20 * 10);
    assert.equal(matMulRecordFlops([null], [3, 4]), 0);
  });
});

describe('bench: options', () => {
  it('defaults to baby-scale, all six backbones, 4 steps', () => {
    const o = parseRunOptions([]);
    assert.equal(o.preset, 'baby-scale');
    assert.deepEqual(o.models, [...BENCH_MODELS]);
    assert.equal(o.steps, 4);
    assert.equal(o.json, false);
    assert.match(o.out, /results[\\/]bench[\\/]bench-baby-scale\.json$/);
  });

  it('--quick means tiny and 1 step, explicit options win', () => {
    const q = parseRunOptions(['--quick', '--json']);
    assert.equal(q.preset, 'tiny');
    assert.equal(q.steps, 1);
    assert.equal(q.json, true);
    const o = parseRunOptions(['--quick', '--steps', '3', '--models', 'VBPR,mmgcn', '--out', 'x.json']);
    assert.equal(o.steps, 3);
    assert.deepEqual(o.models, ['vbpr', 'mmgcn']);
    assert.equal(o.out, 'x.json');
  });

  it('refuses bad options', () => {
    assert.throws(() => parseRunOptions(['--steps', '0']), UsageError);
    assert.throws(() => parseRunOptions(['--steps']), /needs a value/);
    assert.throws(() => parseRunOptions(['--models', 'bprmf']), /unsupported backbone 'bprmf'/);
    assert.throws(() => parseRunOptions(['--preset', 'huge']), /unknown preset/);
    assert.throws(() => parseRunOptions(['--fast']), /unknown option/);
  });
});

describe('bench: targets', () => {
  const row = (model: string, plain: number, ckd: number, val: number): BackboneRow => ({
    model, plain: { epochSeconds: plain }, ckd: { epochSeconds: ckd }, ckdOverPlain: ckd / plain,
    validation: { slowestMaskSeconds: val },
  } as unknown as BackboneRow);

  it('passes and misses with the worst backbone and the margin', () => {
    const t = evaluateTargets([row('vbpr', 10, 30, 1), row('mmgcn', 20, 100, 2)]);
    const by = Object.fromEntries(t.map(x => [x.id, x]));
    assert.equal(by['vbpr-ckd-epoch'].pass, true);
    assert.equal(by['vbpr-ckd-epoch'].margin, 6);
    assert.equal(by['mmgcn-ckd-epoch'].limit, 168.5);
    assert.equal(by['mmgcn-ckd-epoch'].pass, true);
    assert.equal(by['validation-one-pass'].pass, false);
    assert.equal(by['validation-one-pass'].worst, 'mmgcn');
    assert.equal(by['ckd-over-plain'].pass, false);
    assert.deepEqual(by['ckd-over-plain'].failing, ['mmgcn']);
    assert.equal(by['ckd-over-plain'].measured, 5);
    assert.equal(by['ckd-epoch-under-60s'].margin, -40);
  });

  it('counts a backbone whose measurement failed as a miss', () => {
    const failed = { model: 'mmgcn', plain: { epochSeconds: 20 }, validation: { slowestMaskSeconds: 1 } } as unknown as BackboneRow;
    const t = evaluateTargets([row('vbpr', 10, 30, 1), failed]);
    const by = Object.fromEntries(t.map(x => [x.id, x]));
    assert.equal(by['mmgcn-ckd-epoch'].pass, false);
    assert.equal(by['mmgcn-ckd-epoch'].measured, null);
    assert.deepEqual(by['ckd-epoch-under-60s'].failing, ['mmgcn']);
    assert.equal(by['ckd-epoch-under-60s'].measured, 30);
    assert.equal(by['ckd-epoch-under-60s'].pass, false);
    assert.equal(by['validation-one-pass'].pass, true);
  });

  it('marks targets of backbones not run as not measured', () => {
    const t = evaluateTargets([row('grcn', 10, 20, 1)]);
    const vbpr = t.find(x => x.id === 'vbpr-ckd-epoch')!;
    assert.equal(vbpr.measured, null);
    assert.equal(vbpr.pass, null);
  });
});

describe('bench: dataset snapshot and child processes', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-units-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a snapshot reads back as the same data set (same fingerprint)', () => {
    const ds = synthesizeDataset('tiny', 3);
    ds.itemCategories = Int32Array.from({ length: ds.numItems }, (_, i) => i % 4);
    const file = path.join(dir, 'tiny.bin');
    writeSnapshot(ds, file);
    const back = readSnapshot(file);
    assert.equal(datasetFingerprint(back), datasetFingerprint(ds));
    assert.equal(back.name, ds.name);
    assert.deepEqual(back.itemCategories, ds.itemCategories);
    assert.deepEqual([back.features.visual.rows, back.features.visual.cols], [ds.features.visual.rows, ds.features.visual.cols]);
  });

  it('a child that fails yields a row that says why', async function () {
    this.timeout(30000);
    const file = path.join(dir, 'tiny.bin');
    const stderrWrite = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write; // keep the child's error off the test report
    let row: BackboneRow;
    try {
      row = await runChild({ dataFile: file, resultFile: path.join(dir, 'x.row.json'), model: 'nope', steps: 1, batchSize: 64, gflops: 1, countFlops: false }, dir, 7);
    } finally {
      process.stderr.write = stderrWrite;
    }
    assert.equal(row.model, 'nope');
    assert.equal(row.plain, undefined);
    assert.equal(row.stepsPerEpoch, 7);
    assert.match(row.errors!.process!, /exit code 1.*unknown model 'nope'/);
  });
});
