import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initEngine } from '../lib/engine/backend';
import { payoffFigure, payoffPoints, payoffTable } from '../lib/experiments/payoff';
import { provenance } from '../lib/experiments/provenance';
import { ReproducePreset, gridCells, planCells } from '../lib/experiments/reproduce-plan';
import { reproductionTables, runPreset, writeReproductionReport } from '../lib/experiments/reproduce';
import { ResultStore, configKey } from '../lib/experiments/result-store';
import { RunCell, RunCellResult, ckdVariant, teacherCells } from '../lib/experiments/run-cell';
import { synthesizeDataset } from '../lib/synth/synthesize';

describe('when does CKD pay off: CKD with short-trained teachers', function () {
  this.timeout(600000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-payoff-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const preset: ReproducePreset = {
    name: 'full', seeds: [1, 2], train: { lr: 1e-2, batchSize: 256, evalEvery: 1, patience: 3, epochs: 4, ndcg: 'standard' },
    figure1Models: ['vbpr'], probeModels: [], tableModels: ['vbpr'], methods: ['plain', 'ckd'], ablationModels: [],
    payoff: { models: ['vbpr'], teacherEpochs: [1] },
  };

  it('plans teachers with the budget and CKD on them, outside the tables', () => {
    const cells = planCells(preset, 'fp');
    const payoff = cells.filter(p => p.payoff);
    assert.strictEqual(payoff.length, 2 * 3, 'per seed: two 1-epoch teachers and a CKD cell');
    const ckd = payoff.filter(p => p.cell.method === 'ckd');
    for (const p of ckd) {
      assert.strictEqual(ckdVariant(p.cell), 'teachers_1_epochs');
      for (const t of Object.values(teacherCells(p.cell))) {
        assert.strictEqual(t.train.epochs, 1);
        assert.ok(payoff.some(q => configKey(q.cell) === configKey(t)));
      }
    }
    assert.ok(gridCells(preset, 'fp').every(p => !p.payoff && p.cell.teacherEpochs === undefined));
  });

  it('runs them, and the figure has a point per budget and for converged teachers', async () => {
    const data = synthesizeDataset('tiny', 1);
    const prov = provenance(data, await initEngine({ quiet: true }));
    const store = new ResultStore<RunCell, RunCellResult>(path.join(dir, 'store.jsonl'));
    await runPreset(data, preset, prov.dataset.fingerprint, { store, teachersDir: path.join(dir, 'teachers'), provenance: prov });
    const view = { preset, dataset: { name: data.name, fingerprint: prov.dataset.fingerprint }, store };
    const points = payoffPoints(view);
    assert.deepStrictEqual(points.map(p => p.teacherEpochs), [1, undefined]);
    for (const p of points) {
      assert.strictEqual(p.seeds, 2);
      assert.ok(p.teacherRatio > 0 && Number.isFinite(p.gain) && p.ci[0] <= p.gain && p.gain <= p.ci[1]);
    }
    assert.strictEqual(payoffFigure(points)!.data.length, 1);
    assert.strictEqual(payoffTable(points).rows.length, 2);
    assert.match(String(payoffTable(points).rows[0][6]), /^-?\d+\.\d to -?\d+\.\d$/);
    // One seed has no interval: said so, not 'NaN to NaN'.
    assert.strictEqual(payoffTable([{ ...points[0], seeds: 1, ci: [NaN, NaN] }]).rows[0][6], '- (one seed)');
    // Table 2's teachers are the grid's: two seeds, not the short-trained ones too.
    const t2 = reproductionTables(view).table2;
    assert.strictEqual(t2.rows.find(r => r[1] === 'teacher')![t2.columns.indexOf('n')], 2);
    const written = await writeReproductionReport(view, dir, prov);
    assert.match(fs.readFileSync(written.report, 'utf8'), /When does CKD pay off\?/);
    assert.match(fs.readFileSync(written.tables, 'utf8'), /When does CKD pay off/);
  });
});
