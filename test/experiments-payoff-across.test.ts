import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initEngine } from '../lib/engine/backend';
import { parsePayoffSource, payoffAcross, payoffAcrossFigure, payoffAcrossMarkdown, writePayoffAcross } from '../lib/experiments/payoff-across';
import { provenance } from '../lib/experiments/provenance';
import { PRESETS, ReproducePreset, gridCells, planCells } from '../lib/experiments/reproduce-plan';
import { runPreset } from '../lib/experiments/reproduce';
import { configKey } from '../lib/experiments/result-store';
import { openResultsStore } from '../lib/experiments/results-folder';
import { RunStore, teacherCells } from '../lib/experiments/run-cell';
import { presetConfig } from '../lib/synth/presets';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { assertUserError, ckd } from './cli-process';

/** A payoff grid small enough for a test: two backbones, two seeds, one teacher budget, BPR-MF. */
const preset: ReproducePreset = {
  name: 'payoff', seeds: [1, 2], train: { lr: 1e-2, batchSize: 256, evalEvery: 1, patience: 2, epochs: 3, ndcg: 'standard' },
  figure1Models: [], probeModels: [], tableModels: ['vbpr', 'egogcn'], methods: ['plain', 'ckd'], ablationModels: [],
  idBaseline: true, payoff: { models: ['vbpr', 'egogcn'], teacherEpochs: [1] },
};

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('the payoff figure over several results folders (ckd payoff)', function () {
  this.timeout(900000);
  let root: string;
  const dirs: Record<string, string> = {};
  const fingerprints: Record<string, string> = {};

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-payoff-across-'));
    const backend = await initEngine({ quiet: true });
    // Two variants of the tiny data set that differ in their users only, as weak-ids and strong-ids do.
    for (const [name, users] of [['tiny-few', 100], ['tiny-many', 200]] as const) {
      const data = { ...synthesizeDataset(presetConfig('tiny', { users }), 1), name };
      const prov = provenance(data, backend);
      const dir = path.join(root, `payoff-${name}`);
      const store = openResultsStore(dir);
      await runPreset(data, preset, prov.dataset.fingerprint, { store, teachersDir: path.join(dir, 'teachers'), provenance: prov });
      dirs[name] = dir;
      fingerprints[name] = prov.dataset.fingerprint;
    }
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  /** Fused gain% of CKD (teacherEpochs) over plain, teacher ratio and BPR-MF / plain, from the store directly. */
  function expected(store: RunStore, fingerprint: string, model: string, teacherEpochs?: number) {
    const cells = planCells(preset, fingerprint, [model], store).map(p => p.cell)
      .filter(c => c.model === model && c.method === 'ckd' && c.teacherEpochs === teacherEpochs);
    const r = (c: Parameters<typeof configKey>[0]) => store.get(configKey(c))!.result;
    const ckdR = cells.map(c => r(c).test.all.recall20);
    const plainR = cells.map(c => { const { teacherEpochs: _e, teacherLr: _l, ...rest } = c; return r({ ...rest, method: 'plain', methodOptions: {} }).test.all.recall20; });
    const ratio = mean(cells.map((c, k) => Math.max(r(teacherCells(c).text).test.text.recall20, r(teacherCells(c).visual).test.visual.recall20) / plainR[k]));
    const fused = (m: string) => mean(gridCells(preset, fingerprint, [m], store).filter(p => p.cell.model === m && p.cell.mode === 'multimodal' && p.cell.method === 'plain')
      .map(p => r(p.cell).test.all.recall20));
    return { gain: 100 * (mean(ckdR) - mean(plainR)) / mean(plainR), ratio, idShare: fused('bprmf') / fused(model) };
  }

  it('draws one series per backbone and data set, with the store\'s numbers', () => {
    const r = payoffAcross([dirs['tiny-few'], dirs['tiny-many']], preset);
    assert.deepStrictEqual(r.datasets.map(d => d.name), ['tiny-few', 'tiny-many']);
    assert.strictEqual(r.missing.length, 0);
    const fig = payoffAcrossFigure(r)!;
    assert.strictEqual(fig.data.length, 4, 'two backbones x two data sets');
    for (const name of ['tiny-few', 'tiny-many']) {
      const store = openResultsStore(dirs[name]);
      for (const model of ['vbpr', 'egogcn']) {
        const trace = fig.data.find(t => t.name.startsWith(`${model} · ${name} (`))!;
        assert.ok(trace, `a series for ${model} on ${name}`);
        assert.strictEqual(trace.x.length, 2, 'the 1-epoch budget and converged teachers');
        for (const budget of [1, undefined]) {
          const e = expected(store, fingerprints[name], model, budget);
          const point = r.points.find(p => p.model === model && p.dataset === name && p.teacherEpochs === budget)!;
          assert.strictEqual(point.seeds, 2);
          assert.ok(Math.abs(point.gain - e.gain) < 1e-9, `${model} ${name} ${budget}: gain ${point.gain} vs ${e.gain}`);
          assert.ok(Math.abs(point.teacherRatio - e.ratio) < 1e-12);
          assert.ok(Math.abs(point.idShare! - e.idShare) < 1e-12);
          const k = trace.x.indexOf(point.teacherRatio);
          assert.ok(k >= 0 && trace.y[k] === point.gain, 'the figure plots the point');
        }
        assert.match(trace.name, new RegExp(`BPR-MF / plain ${r.points.find(p => p.model === model && p.dataset === name)!.idShare!.toFixed(2)}`));
      }
    }
  });

  it('merges two folders of one data set into one series, and shows what is missing as missing', () => {
    // The tiny-many records split over two folders: the CKD cells with short teachers in one of them only.
    const lines = fs.readFileSync(path.join(dirs['tiny-many'], 'store.jsonl'), 'utf8').trim().split('\n');
    const short = (l: string) => { const c = JSON.parse(l).config; return c.method === 'ckd' && c.teacherEpochs !== undefined; };
    const [a, b] = [path.join(root, 'split-a'), path.join(root, 'split-b')];
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    fs.writeFileSync(path.join(a, 'store.jsonl'), lines.filter(l => !short(l)).join('\n') + '\n');
    fs.writeFileSync(path.join(b, 'store.jsonl'), lines.filter(short).join('\n') + '\n');
    const both = payoffAcross([a, b], preset);
    const whole = payoffAcross([dirs['tiny-many']], preset);
    assert.deepStrictEqual(both.datasets.map(d => [d.name, d.folders.length]), [['tiny-many', 2]]);
    assert.deepStrictEqual(both.points, whole.points);
    // Without folder b the 1-epoch points have no CKD record: listed as missing, not drawn.
    const partial = payoffAcross([a], preset);
    assert.deepStrictEqual(partial.missing.map(m => [m.model, m.teacherEpochs]), [['vbpr', 1], ['egogcn', 1]]);
    assert.ok(partial.points.every(p => p.teacherEpochs === undefined));
    const fig = payoffAcrossFigure(partial)!;
    assert.ok(fig.data.every(t => t.x.length === 1));
    assert.match(JSON.stringify(fig.layout), /missing \(no seed recorded yet\):<br>vbpr · tiny-many: teachers 1 epochs<br>egogcn · tiny-many: teachers 1 epochs/);
    assert.match(payoffAcrossMarkdown(partial), /\| vbpr · tiny-many \| 1 \| missing \(0 of 2\) \| - \| - \| - \| - \|/);
  });

  it('reads a folder under another grid\'s preset as one point per backbone: CKD with that grid\'s own teachers', () => {
    assert.deepStrictEqual(parsePayoffSource('results/full-short-default@full-short', PRESETS.payoff), { dir: 'results/full-short-default', preset: PRESETS['full-short'] });
    assert.deepStrictEqual(parsePayoffSource('a@b/c', PRESETS.payoff), { dir: 'a@b/c', preset: PRESETS.payoff }, 'not a preset: part of the path');
    const first: ReproducePreset = { ...preset, name: 'full-short', payoff: undefined, idBaseline: false };
    const r = payoffAcross([{ dir: dirs['tiny-few'], preset: first }, dirs['tiny-many']], preset);
    const own = r.points.filter(p => p.protocol === 'full-short');
    assert.deepStrictEqual(own.map(p => [p.series, p.teacherEpochs]), [['vbpr · tiny-few · full-short protocol', undefined], ['egogcn · tiny-few · full-short protocol', undefined]]);
    const converged = payoffAcross([dirs['tiny-few']], preset).points.filter(p => p.teacherEpochs === undefined);
    assert.deepStrictEqual(own.map(p => [p.gain, p.teacherRatio]), converged.map(p => [p.gain, p.teacherRatio]), 'the same cells, read under another name');
    assert.strictEqual(r.points.filter(p => p.dataset === 'tiny-many').length, 4);
    assert.match(payoffAcrossMarkdown(r), /\| vbpr · tiny-few · full-short protocol \| full-short grid's \| 2 \|/);
  });

  it('decides the registered predictions only where the second axis\'s data sets are read, and keeps them open while points are missing', () => {
    assert.equal(payoffAcross([dirs['tiny-few']], preset).verdicts, undefined);
    // The same records under the name of the second axis's weakest data set.
    const weak = path.join(root, 'payoff-weak-ids');
    fs.mkdirSync(weak, { recursive: true });
    const text = fs.readFileSync(path.join(dirs['tiny-few'], 'store.jsonl'), 'utf8');
    assert.ok(text.includes('"name":"tiny-few"'));
    fs.writeFileSync(path.join(weak, 'store.jsonl'), text.split('"name":"tiny-few"').join('"name":"weak-ids"'));
    const r = payoffAcross([weak], preset);
    assert.deepEqual(r.verdicts!.map(v => v.id), ['P1', 'P2', 'P3', 'P4', 'P5', 'P6']);
    // P1-P5 need default or strong-ids; P6's EgoGCN case needs weak-ids only, and fails the whole prediction if it fails.
    for (const v of r.verdicts!.slice(0, 5)) assert.equal(v.verdict, 'open', `${v.id}: ${v.detail}`);
    const p6 = r.verdicts![5];
    assert.equal(p6.verdict, /egogcn on weak-ids: [^;]*does not help/.test(p6.detail) ? 'fails' : 'open', p6.detail);
    assert.match(r.verdicts![0].detail, /vbpr: waits for default, strong-ids/);
    assert.match(payoffAcrossMarkdown(r), /\| P1 \| converged teachers: gain weak-ids > default > strong-ids, on VBPR and on EgoGCN \| open \|/);
  });

  it('writes payoff.md and payoff.html', async () => {
    const out = path.join(root, 'figure');
    const w = await writePayoffAcross(payoffAcross([dirs['tiny-few'], dirs['tiny-many']], preset), out);
    assert.match(fs.readFileSync(w.markdown, 'utf8'), /\| egogcn · tiny-few \| converged \| 2 \|/);
    assert.match(fs.readFileSync(w.report, 'utf8'), /When does CKD pay off\?/);
  });

  it('ckd payoff: reads the folders under the payoff preset, and refuses what is not a results folder', () => {
    // These tiny cells are not the payoff preset's (other settings): every point is missing, none invented.
    const r = ckd('payoff', dirs['tiny-few'], dirs['tiny-many']);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /0 points drawn, 20 missing/);
    assertUserError(ckd('payoff', dirs['tiny-few'], path.join(root, 'nope')), /nope: no such folder/);
    assertUserError(ckd('payoff', path.join(dirs['tiny-few'], 'teachers')), /teachers: not a results folder \(no store\.jsonl/);
    assertUserError(ckd('payoff', path.join(dirs['tiny-few'], 'store.jsonl')), /store\.jsonl: a file, not a results folder/);
    assertUserError(ckd('payoff'), /needs at least one results folder/);
    assertUserError(ckd('payoff', dirs['tiny-few'], '--preset', 'quick'), /preset quick has no payoff experiment/);
  });
});
