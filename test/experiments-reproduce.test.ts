import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../lib/engine/backend';
import { CkdError } from '../lib/errors';
import { readArm } from '../lib/experiments/compare-runs';
import { provenance } from '../lib/experiments/provenance';
import { PRESETS, ReproducePreset, SECTIONS, planCells, sectionCells, shardCells } from '../lib/experiments/reproduce-plan';
import { ckdAgainstPlain, outcomeOf, protocolText, reproductionTables, runPlan, writeReproductionReport } from '../lib/experiments/reproduce';
import { ResultStore, configKey } from '../lib/experiments/result-store';
import { RunCell, RunCellResult, cellEvaluations, cellLabel, ckdVariant, runOrReuseCell, makeRunCell, teacherCells, teacherDir } from '../lib/experiments/run-cell';
import { teacherFiles } from '../lib/methods/teacher-store';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { trainModel } from '../lib/train/trainer';
import { backboneFactory } from '../lib/models/registry';

describe('reproduction plan', () => {
  it('plans the full-short preset: 6 backbones x 3 seeds x (3 modes + gb, ogm, ckd) plus 4 ablations x 3 backbones x 3 seeds', () => {
    const cells = planCells(PRESETS['full-short'], 'fp');
    assert.strictEqual(cells.length, 6 * 3 * 6 + 3 * 3 * 4);
    assert.strictEqual(new Set(cells.map(c => configKey(c.cell))).size, cells.length, 'no duplicates');
    // Teachers come before the CKD cell that needs them.
    cells.forEach((p, k) => {
      if (p.cell.method !== 'ckd') return;
      for (const t of Object.values(teacherCells(p.cell))) {
        const at = cells.findIndex(q => configKey(q.cell) === configKey(t));
        assert.ok(at >= 0 && at < k, `teacher of ${p.group} planned before its CKD cell`);
      }
    });
    assert.deepStrictEqual(
      cells.filter(c => c.cell.model === 'mmgcn' && c.cell.train.seed === 1 && c.cell.method === 'ckd').map(c => ckdVariant(c.cell)),
      ['ckd', 'without_generic', 'without_reweight', 'kl_instead_of_hinge', 'mse_instead_of_hinge']);
  });

  it('shards whole backbone-and-seed groups: disjoint, covering, teachers with their students', () => {
    const cells = planCells(PRESETS['full-short'], 'fp');
    const shards = [0, 1, 2].map(k => shardCells(cells, k, 3));
    assert.strictEqual(shards.reduce((n, s) => n + s.length, 0), cells.length);
    const groupsOf = shards.map(s => new Set(s.map(c => c.group)));
    for (let a = 0; a < 3; a++) for (let b = a + 1; b < 3; b++) assert.ok([...groupsOf[a]].every(g => !groupsOf[b].has(g)));
    assert.throws(() => shardCells(cells, 3, 3), /not a valid shard/);
  });

  it('plans the quick preset\'s teachers under their own protocol, and every CKD cell finds them', () => {
    const cells = planCells(PRESETS.quick, 'fp');
    const keys = cells.map(c => configKey(c.cell));
    assert.strictEqual(cells.length, 16);
    const teacher = (model: string, mode: string) => cells.find(c => c.cell.model === model && c.cell.mode === mode)!.cell;
    assert.deepStrictEqual(
      [teacher('vbpr', 'text-only').train.lr, teacher('vbpr', 'visual-only').train.lr, teacher('egogcn', 'text-only').train.lr, teacher('egogcn', 'visual-only').train.lr],
      [1e-3, 5e-4, 1e-3, 1e-3]);
    assert.deepStrictEqual({ ...teacher('vbpr', 'text-only').train, lr: 0, seed: 0 }, { lr: 0, seed: 0, epochs: 200, batchSize: 1024, evalEvery: 5, patience: 4, ndcg: 'standard' });
    for (const c of cells) {
      if (c.cell.mode === 'multimodal') assert.deepStrictEqual([c.cell.train.epochs, c.cell.train.lr, c.cell.train.evalEvery], [10, 1e-3, 1], 'students keep 10 epochs');
      if (c.cell.method !== 'ckd') continue;
      for (const t of Object.values(teacherCells(c.cell))) {
        const at = keys.indexOf(configKey(t));
        assert.ok(at >= 0 && at < cells.indexOf(c), `${c.group}: its teacher is the planned uni-modal cell, before it`);
      }
    }
    // The first releases' quick preset is reachable by name: every cell at most 10 epochs, teachers included.
    const short = planCells(PRESETS['quick-short'], 'fp');
    assert.strictEqual(short.length, 16);
    assert.ok(short.every(c => c.cell.train.epochs === 10 && c.cell.train.lr === 1e-3 && c.cell.teacherTrain === undefined && c.cell.teacherLr === undefined));
    assert.strictEqual(short.filter(c => keys.includes(configKey(c.cell))).length, 16 - 4 - 6, 'only the students without teachers are shared');
    // The report and the notebooks say so.
    assert.match(protocolText(PRESETS.quick), /at most 10 epochs\. Teachers \(the uni-modal models\): learning rate vbpr text 0\.001, visual 0\.0005; egogcn text 0\.001, visual 0\.001; validation every 5 epochs, stopping after 4 validations .* at most 200 epochs\.$/);
    assert.doesNotMatch(protocolText(PRESETS['quick-short']), /Teachers/);
  });

  it('sections are subsets of the preset', () => {
    const all = new Set(planCells(PRESETS.quick, 'fp').map(c => configKey(c.cell)));
    for (const s of SECTIONS) {
      const cells = sectionCells(PRESETS.quick, 'fp', s);
      assert.ok(cells.length > 0, s);
      assert.ok(cells.every(c => all.has(configKey(c.cell))), s);
    }
    assert.ok(sectionCells(PRESETS.quick, 'fp', 'figure1').every(c => c.cell.method === 'plain'));
  });
});

describe('run cells and the report', function () {
  this.timeout(300000);
  const preset: ReproducePreset = {
    name: 'quick', seeds: [1, 2], train: { lr: 1e-2, batchSize: 256, evalEvery: 1, patience: 3, epochs: 3, ndcg: 'standard' },
    figure1Models: ['vbpr'], probeModels: ['vbpr'], tableModels: ['vbpr'], methods: ['plain', 'ckd'], ablationModels: ['vbpr'],
  };
  let dir: string;
  before(async () => { await initEngine({ quiet: true }); dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-repro-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a CKD cell trains and records its teachers first, saves their weights, and never runs twice', async () => {
    const data = synthesizeDataset('tiny', 1);
    const prov = provenance(data, 'wasm');
    const store = new ResultStore<RunCell, RunCellResult>(path.join(dir, 'a', 'store.jsonl'));
    const teachersDir = path.join(dir, 'a', 'teachers');
    const cell = makeRunCell({ dataset: prov.dataset.fingerprint, model: 'vbpr', mode: 'multimodal', method: 'ckd', train: { ...preset.train, seed: 1 } });
    const lines: string[] = [];
    const o = { store, teachersDir, provenance: prov, log: (l: string) => lines.push(l) };
    const rec = await runOrReuseCell(data, cell, o);
    assert.strictEqual(store.size, 3, 'two teacher cells and the CKD cell');
    for (const [m, t] of Object.entries(teacherCells(cell))) {
      assert.ok(store.has(configKey(t)));
      assert.ok(fs.existsSync(teacherFiles(teacherDir(teachersDir, t), m as 'text' | 'visual').manifest));
    }
    const again = await runOrReuseCell(data, cell, { ...o, log: () => assert.fail('nothing should run') });
    assert.deepStrictEqual(again.result, rec.result);
    // Teacher weights gone (e.g. a store copied from another machine): retrained, same result.
    fs.rmSync(teachersDir, { recursive: true, force: true });
    const other = makeRunCell({ ...cell, methodOptions: { generic: false } });
    const rec2 = await runOrReuseCell(data, other, { ...o, store: new ResultStore<RunCell, RunCellResult>(store.file) });
    assert.ok(Number.isFinite(rec2.result.test.all.recall20));
    assert.strictEqual(lines.filter(l => /training it again/.test(l)).length, 2);
    assert.strictEqual(lines.filter(l => /the retrained teacher reproduces its record bit for bit/.test(l)).length, 2);
    // A stored teacher record the retrained teacher does not reproduce (here: edited) stops the CKD
    // cell before it trains, naming the teacher and the number that differs.
    const text = teacherCells(cell).text;
    const edited = fs.readFileSync(store.file, 'utf8').split('\n').filter(Boolean).map(l => {
      const r = JSON.parse(l);
      if (r.key === configKey(text)) r.result.val.all.recall20 += 0.01;
      return JSON.stringify(r);
    });
    const editedFile = path.join(dir, 'a-edited', 'store.jsonl');
    fs.mkdirSync(path.dirname(editedFile), { recursive: true });
    fs.writeFileSync(editedFile, edited.join('\n') + '\n');
    fs.rmSync(teachersDir, { recursive: true, force: true });
    const third = makeRunCell({ ...cell, methodOptions: { reweight: 'none' } });
    const editedStore = new ResultStore<RunCell, RunCellResult>(editedFile);
    await assert.rejects(runOrReuseCell(data, third, { ...o, store: editedStore }),
      (e: Error) => e instanceof CkdError && e.message.startsWith(`${cellLabel(text)}: the teacher trained again`) && /val all recall@20 [\d.]+ now, [\d.]+ recorded/.test(e.message));
    assert.ok(!editedStore.has(configKey(third)), 'the CKD cell is not recorded');
  });

  it('keeps per-user Recall@20 exactly, compactly', async () => {
    const data = synthesizeDataset('tiny', 1);
    const prov = provenance(data, 'wasm');
    const store = new ResultStore<RunCell, RunCellResult>(path.join(dir, 'b', 'store.jsonl'));
    const cell = makeRunCell({ dataset: prov.dataset.fingerprint, model: 'vbpr', mode: 'multimodal', method: 'plain', train: { ...preset.train, seed: 4 } });
    const rec = await runOrReuseCell(data, cell, { store, teachersDir: path.join(dir, 'b', 't'), provenance: prov });
    const model = backboneFactory('vbpr')(data, { seed: 4 });
    try {
      const direct = await trainModel(model, data, { ...preset.train, seed: 4, mode: 'multimodal', perUserTest: true });
      const back = cellEvaluations(rec.result);
      for (const m of ['all', 'text', 'visual'] as const) {
        const want = direct.test[m].perUser!;
        const got = back[m].perUser!;
        assert.deepStrictEqual(Array.from(got.users), Array.from(want.users));
        got.recall[20].forEach((v, i) => assert.ok(Math.abs(v - want.recall[20][i]) < 1e-12, `${m} user ${i}`));
        assert.strictEqual(back[m].recall[20], direct.test[m].recall[20]);
      }
    } finally {
      model.dispose();
    }
  });

  it('runs a plan, shard by shard, and writes the report with every table and figure', async () => {
    const data = synthesizeDataset('tiny', 1);
    const prov = provenance(data, 'wasm');
    const out = path.join(dir, 'c');
    const store = new ResultStore<RunCell, RunCellResult>(path.join(out, 'store.jsonl'));
    const cells = planCells(preset, prov.dataset.fingerprint);
    const o = { store, teachersDir: path.join(out, 'teachers'), provenance: prov };
    await runPlan(data, shardCells(cells, 0, 2), o);
    const tensors = tf.memory().numTensors; // after the first shard: data-level caches exist
    await runPlan(data, shardCells(cells, 1, 2), o);
    assert.strictEqual(tf.memory().numTensors, tensors, 'no tensors left behind by a shard');
    assert.strictEqual(store.size, cells.length);
    const view = { preset, dataset: { name: data.name, fingerprint: prov.dataset.fingerprint }, store };
    const t = reproductionTables(view);
    const ckdRow = t.table1.rows.find(r => r[0] === 'VBPR' && r[1] === 'ckd')!;
    assert.strictEqual(ckdRow[t.table1.columns.indexOf('n')], 2);
    assert.ok(Number.isFinite(ckdRow[t.table1.columns.indexOf('p')] as number), 'a paired p over two seeds');
    assert.strictEqual(t.table3.rows.length, 5);
    const fused = t.ckdVsPlain.rows.find(r => r[1] === 'fused')!;
    const outcomes = store.records().map(r => outcomeOf(r, data.name));
    assert.deepStrictEqual(ckdAgainstPlain(outcomes, ['vbpr']).rows[0], fused);
    // A seed with plain but no CKD yet stays out of the comparison: means over the seeds both have.
    const multimodal = (o: typeof outcomes[number]) => (o.mode ?? 'multimodal') === 'multimodal';
    const withoutCkd2 = outcomes.filter(o => !(o.model === 'vbpr' && o.method === 'ckd' && o.variant === 'ckd' && o.seed === 2 && multimodal(o)));
    const row = ckdAgainstPlain(withoutCkd2, ['vbpr']).rows[0];
    const plain1 = outcomes.find(o => o.model === 'vbpr' && o.method === 'plain' && multimodal(o) && o.seed === 1)!.test.all!.recall[20];
    assert.strictEqual(row[2], plain1);
    assert.strictEqual(row[5], 1);
    // ckd compare reads arms straight from the store.
    const ckdArm = readArm(`${store.file}#model=vbpr,method=ckd`);
    assert.deepStrictEqual(ckdArm.map(r => r.seed).sort(), [1, 2]);
    assert.strictEqual(readArm(`${store.file}#model=vbpr,method=ckd,variant=without_generic`)[0].label, 'vbpr+ckd/without_generic');
    assert.strictEqual(readArm(`${store.file}#model=vbpr,method=plain,mode=text-only`).length, 2);
    assert.throws(() => readArm(`${store.file}#model=vbpr`), /store\.jsonl.*needs model= and method=/);
    assert.strictEqual(readArm(`${store.file}#model=vbpr,method=ckd,lr=${preset.train.lr}`).length, 2, 'lr= keeps the runs at that rate');
    assert.throws(() => readArm(`${store.file}#model=vbpr,method=ckd,lr=0.5`), /no finished run matches/);
    assert.throws(() => readArm(`${store.file}#model=vbpr,method=ckd,lr=fast`), /\[,lr=X\]/);
    assert.throws(() => readArm(`${store.file}#model=mgcn,method=plain`), /no finished run matches/);
    const written = await writeReproductionReport(view, out, prov);
    const html = fs.readFileSync(written.report, 'utf8');
    assert.match(html, /Of its 4 uni-modal runs \(the teachers\), 0 converged/, 'the report says whether the teachers converged');
    for (const s of ['Figure 1', 'Table 1', 'Table 2', 'Table 3', 'CKD against plain', 'gradient norm', 'sigmoid(-margin)', 'lambda_m']) {
      assert.ok(html.includes(s), `report has ${s}`);
    }
    assert.match(fs.readFileSync(written.tables, 'utf8'), /\| VBPR \| ckd \|/);
  });
});
