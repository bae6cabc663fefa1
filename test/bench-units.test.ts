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
import { median } from '../bench/steps';
import { evaluateTargets, fastestCkd } from '../bench/targets';
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

  it('MMGCN and GRCN: reusing kept branches removes each ablated pass\'s kept branch from the bound, nothing else', () => {
    const saved = (model: string) => totalFlops(trainStepFlops(model, BABY, 'ckd')) - totalFlops(trainStepFlops(model, BABY, 'ckd', { reuseKeptBranches: true }));
    const { dim: d } = BABY;
    const nodes = BABY.users + BABY.items;
    const edges = 2 * BABY.trainInteractions;
    // MMGCN: per ablated pass, the kept branch's 3 layers of three d x d dense layers (3x forward
    // with the bias gradient) and one spmm over A + I (2x forward); its projection is shared anyway.
    const mmgcnLayer = 3 * (3 * 2 * nodes * d * d + 2 * nodes * d) + 2 * 2 * (edges + nodes) * d;
    assert.equal(saved('mmgcn'), 2 * 3 * mmgcnLayer);
    // GRCN: per ablated pass, the kept branch's sddmm and weighted spmm (3x forward each).
    assert.equal(saved('grcn'), 2 * 2 * 3 * 2 * edges * d);
    for (const m of ['vbpr', 'deepstyle', 'egogcn', 'mgcn']) assert.equal(saved(m), 0, m);
    // Plain steps have no ablated pass.
    assert.deepEqual(trainStepFlops('mmgcn', BABY, 'plain', { reuseKeptBranches: true }), trainStepFlops('mmgcn', BABY, 'plain'));
  });

  it('counts a matMul record whatever the transposes', () => {
    assert.equal(matMulRecordFlops([[7050, 4096], [4096, 64]], [7050, 64]), 2 * 7050 * 4096 * 64);
    assert.equal(matMulRecordFlops([[4096, 7050], [7050, 64]], [4096, 64]), 2 * 7050 * 4096 * 64); // A^T B
    assert.equal(matMulRecordFlops([[1, 30, 20], [1, 20, 10]], [1, 30, 10]), 2 * 30 * 20 * 10);
    assert.equal(matMulRecordFlops([null], [3, 4]), 0);
  });
});

describe('bench: step times', () => {
  it('a step\'s time is the median of the timed steps: one slowed step does not move it', () => {
    assert.equal(median([0.3, 0.1, 0.2]), 0.2);
    assert.equal(median([0.4, 0.1, 0.3, 0.2]), 0.25);
    assert.equal(median([0.1, 0.1, 0.1, 0.1, 0.1, 9]), 0.1);
  });
});

describe('bench: options', () => {
  it('defaults to baby-scale, all six backbones, 6 steps', () => {
    const o = parseRunOptions([]);
    assert.equal(o.preset, 'baby-scale');
    assert.deepEqual(o.models, [...BENCH_MODELS]);
    assert.equal(o.steps, 6);
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
  const timing = (epochSeconds: number, bound: number) => ({ epochSeconds, overLowerBound: epochSeconds / bound });
  const row = (model: string, plain: number, ckd: number, val: number, bound = ckd, kept?: number): BackboneRow => {
    const r = {
      model, plain: { epochSeconds: plain }, ckd: timing(ckd, bound), validation: { slowestMaskSeconds: val },
      ...(kept === undefined ? {} : { ckdKept: timing(kept, bound / 2) }),
    } as unknown as BackboneRow;
    r.ckdOverPlain = fastestCkd(r)!.epochSeconds / plain;
    return r;
  };

  it('passes and misses with the worst backbone and the margin', () => {
    const t = evaluateTargets([row('vbpr', 10, 15, 0.5, 12), row('mmgcn', 20, 100, 2, 50)]);
    const by = Object.fromEntries(t.map(x => [x.id, x]));
    assert.deepEqual(t.map(x => x.id), ['ckd-over-bound', 'ckd-over-plain', 'vbpr-ckd-epoch', 'mmgcn-ckd-epoch', 'validation-one-pass']);
    assert.equal(by['vbpr-ckd-epoch'].limit, 18);
    assert.equal(by['vbpr-ckd-epoch'].pass, true);
    assert.equal(by['vbpr-ckd-epoch'].margin, 3);
    assert.equal(by['mmgcn-ckd-epoch'].limit, 84.25);
    assert.equal(by['mmgcn-ckd-epoch'].pass, false);
    assert.equal(by['validation-one-pass'].pass, false);
    assert.equal(by['validation-one-pass'].worst, 'mmgcn');
    assert.equal(by['ckd-over-plain'].pass, false);
    assert.deepEqual(by['ckd-over-plain'].failing, ['mmgcn']);
    assert.equal(by['ckd-over-plain'].measured, 5);
    assert.equal(by['ckd-over-bound'].measured, 2);
    assert.deepEqual(by['ckd-over-bound'].failing, ['mmgcn']);
  });

  it('takes CKD\'s faster form, with its own bound', () => {
    const slowKept = row('grcn', 40, 60, 0.5, 50, 70);
    assert.equal(fastestCkd(slowKept)!.epochSeconds, 60);
    const fastKept = row('mmgcn', 40, 120, 0.5, 100, 70);
    assert.equal(fastestCkd(fastKept)!.epochSeconds, 70);
    const by = Object.fromEntries(evaluateTargets([fastKept]).map(x => [x.id, x]));
    assert.equal(by['mmgcn-ckd-epoch'].measured, 70);
    assert.equal(by['mmgcn-ckd-epoch'].pass, true);
    assert.equal(by['ckd-over-plain'].measured, 70 / 40);
    assert.equal(by['ckd-over-bound'].measured, 70 / 50);
  });

  it('counts a backbone whose measurement failed as a miss', () => {
    const failed = { model: 'mmgcn', plain: { epochSeconds: 20 }, validation: { slowestMaskSeconds: 1 } } as unknown as BackboneRow;
    const t = evaluateTargets([row('vbpr', 10, 15, 1), failed]);
    const by = Object.fromEntries(t.map(x => [x.id, x]));
    assert.equal(by['mmgcn-ckd-epoch'].pass, false);
    assert.equal(by['mmgcn-ckd-epoch'].measured, null);
    assert.deepEqual(by['ckd-over-bound'].failing, ['mmgcn']);
    assert.equal(by['ckd-over-bound'].measured, 1);
    assert.equal(by['ckd-over-bound'].pass, false);
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
