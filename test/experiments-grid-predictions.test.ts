import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TEACHER_RULE, gridVerdicts, teacherRuleVerdicts } from '../lib/experiments/grid-predictions';
import { PROJECT_ROOT } from '../lib/experiments/provenance';
import { recordedView } from '../lib/experiments/recorded-view';
import { reproductionOutcomes, reproductionTables } from '../lib/experiments/reproduce';
import { planCells, planPreset, presetByName } from '../lib/experiments/reproduce-plan';
import { configKey } from '../lib/experiments/result-store';
import { RunCell, RunRecord } from '../lib/experiments/run-cell';

/** The converging grid's committed records, as stored (one JSON object per line). */
const committed = path.join(PROJECT_ROOT, 'results', 'full-default');
const full = presetByName('full');
const lines = () => fs.readFileSync(path.join(committed, 'store.jsonl'), 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as RunRecord);

describe('the full grid\'s further registered predictions, decided from the records', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-grid-pred-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  /** `records` as a results folder of their own (the tests remove or add records, so that they hold as the grid grows). */
  const viewOf = (records: RunRecord[]) => {
    fs.writeFileSync(path.join(dir, 'store.jsonl'), records.map(r => JSON.stringify(r)).join('\n') + '\n');
    return recordedView(dir, full);
  };
  const verdicts = (records: RunRecord[]) => {
    const v = viewOf(records);
    return new Map(gridVerdicts(v, reproductionOutcomes(v)).map(x => [x.id, x]));
  };
  const isVbprTeacher = (c: RunCell, mode: string) => c.model === 'vbpr' && c.mode === mode && c.method === 'plain';

  it('F1 reads the ratio of VBPR\'s two teachers\' means over its ten seeds, and waits while a seed is missing', () => {
    const recs = lines();
    const f1 = verdicts(recs).get('F1')!;
    const [, ratio, text, visual] = /^vbpr: ([\d.]+) \(([\d.]+) \/ ([\d.]+)\)$/.exec(f1.detail)!.map(Number);
    assert.ok(Math.abs(ratio - text / visual) < 2e-3, f1.detail);
    assert.strictEqual(f1.verdict, ratio >= 1.15 && ratio <= 1.35 ? 'holds' : 'fails');
    const without = recs.filter(r => !(isVbprTeacher(r.config, 'text-only') && r.config.train.seed === 10));
    const open = verdicts(without).get('F1')!;
    assert.strictEqual(open.verdict, 'open');
    assert.match(open.detail, /^vbpr: [\d.]+ \([\d.]+ \/ [\d.]+\) \(9 of 10 seeds\), so far$/);
  });

  it('GB and OGM-GE: a significant gain over plain decides F6 and F7 against the prediction at once', () => {
    const recs = lines().filter(r => r.config.method !== 'gb' && r.config.method !== 'ogm');
    const v = recordedView(committed, full);
    // VBPR's planned GB cells on seeds 1-3, recorded with the results of the plain cells of their seeds
    // and every fused Recall@20 10% higher: a clear, significant gain.
    const planned = planCells(full, v.dataset.fingerprint, ['vbpr'], v.store).map(p => p.cell);
    const gb = planned.filter(c => c.method === 'gb');
    assert.deepStrictEqual(gb.map(c => c.train.seed), [1, 2, 3]);
    const fake = gb.map(c => {
      const plain = planned.find(p => p.method === 'plain' && p.mode === 'multimodal' && p.train.seed === c.train.seed && p.train.lr === c.train.lr)!;
      const rec = v.store.get(configKey(plain))!;
      const result = JSON.parse(JSON.stringify(rec.result));
      result.test.all.recall20 *= 1.1;
      return { key: configKey(c), config: c, result, meta: rec.meta } as RunRecord;
    });
    const before = verdicts(recs);
    assert.match(before.get('F6')!.detail, /^none of its 12 cases run yet$/);
    const after = verdicts([...recs, ...fake]);
    assert.strictEqual(after.get('F6')!.verdict, 'fails');
    assert.match(after.get('F6')!.detail, /vbpr GB: \+10\.0% over plain, p (<0\.001|0\.0[0-4]\d) \(fails\)/);
    assert.strictEqual(after.get('F7')!.verdict, 'fails');
    assert.match(after.get('F7')!.detail, /vbpr GB: \+10\.0% over plain, p [^;]* \(fails\); not run yet: deepstyle GB, mmgcn GB, grcn GB$/);
  });

  it('F10: one finished cell that did not converge decides it, unless it is a learning-rate walk cell at 1e-4', () => {
    // Without the payoff experiment's teachers, which stop at their budget of epochs by design.
    const budgeted = (r: RunRecord) => r.config.kind === 'run' && r.config.train.epochs < full.train.epochs;
    const recs = lines().filter(r => !budgeted(r));
    const v = recordedView(committed, full);
    const plan = planPreset(full, v.dataset.fingerprint, undefined, v.store).cells;
    const walk = plan.find(p => p.lrSearch && p.cell.train.lr === 1e-4 && v.store.has(configKey(p.cell)))!;
    const grid = plan.find(p => !p.lrSearch && v.store.has(configKey(p.cell)))!;
    assert.strictEqual(verdicts(recs.filter(r => r.key !== configKey(grid.cell))).get('F10')!.verdict, 'open', 'a planned cell is missing');
    const flagged = (key: string) => recs.map(r => r.key === key ? { ...r, result: { ...r.result, converged: false } } : r);
    assert.strictEqual(verdicts(flagged(configKey(walk.cell))).get('F10')!.verdict, 'open');
    assert.match(verdicts(flagged(configKey(walk.cell))).get('F10')!.detail, /and 1 walk cells at 1e-4, allowed/);
    const failed = verdicts(flagged(configKey(grid.cell))).get('F10')!;
    assert.strictEqual(failed.verdict, 'fails');
    assert.match(failed.detail, /^cells: 1 of \d+ finished cells did not converge \(fails\)$/);
  });

  it('F10 says how many of the cells that did not converge are teachers stopped at their budget', () => {
    const recs = lines();
    const budget = recs.find(r => r.config.kind === 'run' && r.config.train.epochs < full.train.epochs && r.config.mode !== 'multimodal');
    assert.ok(budget, 'the committed grid holds teachers of the payoff experiment');
    const detail = verdicts(recs).get('F10')!.detail;
    assert.match(detail, /of them the payoff experiment's teachers, stopped at their budget of epochs by design; \d+ others/);
  });

  it('the teacher rule reads each backbone\'s ratio and gain on seeds 1-3 and checks that they agree', () => {
    const without = viewOf(lines().filter(r => !(['mgcn', 'mmgcn'].includes(r.config.model) && r.config.method === 'ckd')));
    assert.deepStrictEqual(teacherRuleVerdicts(without, reproductionOutcomes(without)).map(x => [x.verdict, x.detail]), [['open', 'none of its 2 cases run yet']], 'without MGCN\'s and MMGCN\'s CKD records');
    const v = recordedView(committed, full);
    const outcomes = reproductionOutcomes(v);
    // The same rule on two backbones whose seeds 1-3 are recorded: EgoGCN's teachers rank above its fused
    // model and it gains more than 2%, VBPR's rank below and it gains less.
    const onRecorded = teacherRuleVerdicts(v, outcomes, { ...TEACHER_RULE, models: ['vbpr', 'egogcn'] })[0];
    assert.strictEqual(onRecorded.verdict, 'holds', onRecorded.detail);
    const read = (model: string, d: string) => new RegExp(`${model}: ratio ([\\d.]+), [^;]*; gain ([-+][\\d.]+)%`).exec(d)!.slice(1).map(Number);
    const [egoRatio, egoGain] = read('egogcn', onRecorded.detail);
    const [vbprRatio, vbprGain] = read('vbpr', onRecorded.detail);
    assert.ok(egoRatio >= 1 && egoGain >= 2 && vbprRatio < 1 && vbprGain < 2, onRecorded.detail);
    // A higher gain line than EgoGCN's gain: EgoGCN no longer agrees, and the rule fails.
    const strict = teacherRuleVerdicts(v, outcomes, { ...TEACHER_RULE, models: ['vbpr', 'egogcn'], gainAt: Math.ceil(egoGain) + 1 })[0];
    assert.strictEqual(strict.verdict, 'fails');
    assert.match(strict.detail, /egogcn: ratio [\d.]+, so the rule expects a gain at least \+\d+\.0%; gain \+[\d.]+% \(fails\)/);
  });

  it('the full preset\'s tables carry both verdict tables on its own data set, and no other preset\'s do', () => {
    const t = reproductionTables(recordedView(committed, full));
    assert.deepStrictEqual(t.furtherPredictions!.rows.map(r => r[0]), ['F1', 'F2', 'F3', 'F4', 'F5', 'F6', 'F7', 'F8', 'F9', 'F10']);
    assert.deepStrictEqual(t.teacherRule!.rows.map(r => r[0]), ['R']);
    const quick = reproductionTables(recordedView(path.join(PROJECT_ROOT, 'results', 'quick-default'), presetByName('quick')));
    assert.strictEqual(quick.furtherPredictions, undefined);
    assert.strictEqual(quick.teacherRule, undefined);
  });
});
