/**
 * The verdict on the converging grid's further registered predictions (docs/prediction.md,
 * "Further": teachers, learning rates, CKD's two forms, GB and OGM-GE, Table 3, convergence),
 * computed from the records so that it is never written by hand. The per-backbone gains are the
 * headline's (headline.ts); these are the rest.
 *
 * Each prediction is a set of cases (a backbone, a pair, the whole grid). A case is decided only
 * when every seed it needs is recorded; until then it reads provisionally ("so far, k of n
 * seeds"). A prediction fails as soon as one decided case fails, holds when every case is decided
 * and holds, and is open otherwise. The readings of the registered words (which seeds, "most",
 * the late-fusion backbones) are in docs/prediction.md's dated note of 2026-12-07.
 */
import { ModalityMask, TRAIN_MODES, TrainMode } from '../models/backbone';
import { walkLearningRates } from './lr-search';
import { PredictionVerdict, Verdict, verdictTable } from './prediction-verdicts';
import type { ReproductionView } from './reproduce';
import { isBudgetTeacher, plainAndCkdSeeds, planPreset, walkBase } from './reproduce-plan';
import { configKey } from './result-store';
import { cellConverged } from './run-cell';
import { pairedTTest } from './summary';
import { ResultTable, RunOutcome, formatCell, signedPercent } from './tables';

/** What one case reads now: decided (complete) or provisional, and whether it holds. */
interface Reading { complete: boolean; ok: boolean; reads: string }
interface Case { label: string; read: () => Reading | undefined }

/** The registered significance rule: gain > 0 and two-sided p <= 0.05 over seeds. */
const ALPHA = 0.05;
/** The late-fusion backbones (docs/backbones.md): each modality keeps its own branch to the score. */
const LATE_FUSION = ['vbpr', 'deepstyle', 'mmgcn', 'grcn'];
/** Table 3's ablations, as ckdVariant names them. */
const ABLATIONS = ['without_generic', 'without_reweight', 'kl_instead_of_hinge', 'mse_instead_of_hinge'];

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const pText = (p: number) => formatCell(p, 'p');
/** 100 (mean a - mean b) / mean b: a's mean in percent over b's. */
const percentOver = (a: readonly number[], b: readonly number[]) => 100 * (mean(a) - mean(b)) / mean(b);
/** Two-sided paired t-test over seeds, NaN with fewer than two. */
const pSeeds = (a: readonly number[], b: readonly number[]) => (a.length >= 2 ? pairedTTest(a, b, 'two-sided', 'seeds').p : NaN);

/** A kind of run: backbone, method, training mode, CKD variant, and the mask its Recall@20 is read under. */
interface Arm { model: string; method: string; mode?: TrainMode; variant?: string; mask?: ModalityMask }

function armValues(outcomes: readonly RunOutcome[], arm: Arm): Map<number, number> {
  const mode = arm.mode ?? 'multimodal';
  const mask = arm.mask ?? 'all';
  const out = new Map<number, number>();
  for (const r of outcomes) {
    if (r.model !== arm.model || r.method !== arm.method || (r.mode ?? 'multimodal') !== mode) continue;
    if (arm.method === 'ckd' && r.variant !== (arm.variant ?? 'ckd')) continue;
    const v = r.test[mask]?.recall[20];
    if (v !== undefined) out.set(r.seed, v);
  }
  return out;
}

/** A backbone's text teacher and visual teacher (each read on its own channel) and its plain fused model. */
const teacherArms = (model: string): Arm[] => [
  { model, method: 'plain', mode: 'text-only', mask: 'text' }, { model, method: 'plain', mode: 'visual-only', mask: 'visual' }, { model, method: 'plain' },
];
/** Mean over seeds of the better teacher's Recall@20 over the plain fused model's (the payoff figure's x). */
const teacherRatio = (text: readonly number[], visual: readonly number[], plain: readonly number[]) =>
  mean(plain.map((x, i) => Math.max(text[i], visual[i]) / x));

/** The values of every arm on the seeds of `seeds` recorded for all of them (in seed order). */
function onSharedSeeds(outcomes: readonly RunOutcome[], arms: readonly Arm[], seeds: readonly number[]): { shared: number[]; values: number[][] } {
  const maps = arms.map(a => armValues(outcomes, a));
  const shared = seeds.filter(s => maps.every(m => m.has(s)));
  return { shared, values: maps.map(m => shared.map(s => m.get(s)!)) };
}

function decide(cases: readonly Case[]): { verdict: Verdict; detail: string } {
  const parts: string[] = [];
  const notRun: string[] = [];
  let failed = false;
  let open = cases.length === 0;
  for (const c of cases) {
    const r = c.read();
    if (!r) { open = true; notRun.push(c.label); continue; }
    if (!r.complete) { open = true; parts.push(`${c.label}: ${r.reads}, so far`); continue; }
    failed ||= !r.ok;
    parts.push(`${c.label}: ${r.reads}${r.ok ? '' : ' (fails)'}`);
  }
  if (notRun.length) parts.push(notRun.length === cases.length && cases.length > 1 ? `none of its ${cases.length} cases run yet` : `not run yet: ${notRun.join(', ')}`);
  return { verdict: failed ? 'fails' : open ? 'open' : 'holds', detail: parts.join('; ') };
}

/**
 * A case over arms that must all be recorded on `seeds`: `test` gets each arm's values on the
 * seeds recorded for every arm (in seed order) and says whether the case holds and how it reads.
 */
function armCase(outcomes: readonly RunOutcome[], label: string, arms: Arm[], seeds: readonly number[],
  test: (values: number[][]) => { ok: boolean; reads: string }): Case {
  return {
    label,
    read: () => {
      const { shared, values } = onSharedSeeds(outcomes, arms, seeds);
      if (shared.length === 0) return undefined;
      const { ok, reads } = test(values);
      const complete = shared.length === seeds.length;
      return { complete, ok, reads: complete ? reads : `${reads} (${shared.length} of ${seeds.length} seeds)` };
    },
  };
}

/** The further predictions of docs/prediction.md against the full grid's records (`outcomes`: its finished grid cells). */
export function gridVerdicts(v: ReproductionView, outcomes: readonly RunOutcome[]): PredictionVerdict[] {
  const p = v.preset;
  const seeds = p.seeds;
  const ckdSeeds = (model: string) => plainAndCkdSeeds(p, model);
  const plainArm = (model: string): Arm => ({ model, method: 'plain' });
  const out: PredictionVerdict[] = [];
  const add = (id: string, prediction: string, cases: Case[]) => out.push({ id, prediction, ...decide(cases) });

  add('F1', 'VBPR\'s converged teachers: text / visual between 1.15 and 1.35 (test Recall@20 on their own channels, means over seeds)', [
    armCase(outcomes, 'vbpr', teacherArms('vbpr').slice(0, 2), ckdSeeds('vbpr'), ([t, vis]) => {
      const ratio = mean(t) / mean(vis);
      return { ok: ratio >= 1.15 && ratio <= 1.35, reads: `${ratio.toFixed(3)} (${mean(t).toFixed(4)} / ${mean(vis).toFixed(4)})` };
    }),
  ]);

  add('F2', 'the best teacher within 0.93-1.07 of the plain fused model, every backbone but MMGCN (mean over seeds of the per-seed ratio)',
    p.tableModels.filter(m => m !== 'mmgcn').map(model => armCase(outcomes, model,
      teacherArms(model), ckdSeeds(model), ([t, vis, plain]) => {
        const ratio = teacherRatio(t, vis, plain);
        return { ok: ratio >= 0.93 && ratio <= 1.07, reads: ratio.toFixed(3) };
      })));

  const walks = p.lrGrid ? p.tableModels.flatMap(model => TRAIN_MODES.map(mode => ({
    model, mode, selected: walkLearningRates(walkBase(p, v.dataset.fingerprint, model, mode), p.lrGrid!, v.store).selected,
  }))) : [];
  const selected = walks.filter(w => w.selected !== undefined);
  add('F3', `learning rates: 5e-3 or 1e-3 selected for most (more than half) of the ${walks.length} backbone-mode pairs`, walks.length ? [{
    label: 'walks', read: () => {
      if (selected.length === 0) return undefined;
      const large = selected.filter(w => w.selected! >= 1e-3);
      // Decided once the remaining walks cannot change it.
      const complete = selected.length === walks.length || large.length > walks.length / 2 || selected.length - large.length >= walks.length / 2;
      const counts = [...new Set(selected.map(w => w.selected!))].sort((a, b) => b - a)
        .map(lr => `${lr}: ${selected.filter(w => w.selected === lr).length}`).join(', ');
      return { complete, ok: large.length > walks.length / 2, reads: `${large.length} of ${selected.length} selected pairs at 5e-3 or 1e-3 (${counts})${complete ? '' : `; ${walks.length - selected.length} pairs still walking`}` };
    },
  }] : []);

  const vbprText = walks.find(w => w.model === 'vbpr' && w.mode === 'text-only');
  add('F4', 'VBPR\'s text-only mode selects 5e-4 (registered as the likeliest to)', vbprText ? [{
    label: 'vbpr text-only', read: () => vbprText.selected === undefined ? undefined
      : { complete: true, ok: vbprText.selected === 5e-4, reads: `selected ${vbprText.selected}` },
  }] : []);

  add('F5', 'CKD in the code\'s form against the paper\'s: |difference| < 2% of fused Recall@20 on every backbone (seeds both forms have)',
    p.ckdCodeForm ? p.tableModels.map(model => armCase(outcomes, model,
      [{ model, method: 'ckd', variant: 'ckd_code_form' }, { model, method: 'ckd' }], seeds, ([code, paper]) => {
        const diff = percentOver(code, paper);
        return { ok: Math.abs(diff) < 2, reads: `${signedPercent(diff)}, p ${pText(pSeeds(code, paper))}` };
      })) : []);

  const gainCase = (model: string, method: 'gb' | 'ogm', ok: (gain: number, pv: number) => boolean) =>
    armCase(outcomes, `${model} ${method === 'gb' ? 'GB' : 'OGM-GE'}`, [{ model, method }, plainArm(model)], seeds, ([a, b]) => {
      const gain = percentOver(a, b);
      const pv = pSeeds(a, b);
      return { ok: ok(gain, pv), reads: `${signedPercent(gain)} over plain, p ${pText(pv)}` };
    });
  const methods = (['gb', 'ogm'] as const).filter(m => p.methods.includes(m));
  add('F6', `GB and OGM-GE: neither helps (gain > 0 and p <= ${ALPHA} over seeds) on any backbone`,
    p.tableModels.flatMap(model => methods.map(m => gainCase(model, m, (gain, pv) => !(gain > 0 && pv <= ALPHA)))));
  add('F7', 'GB below plain (mean fused Recall@20) on the late-fusion backbones: VBPR, DeepStyle, MMGCN, GRCN',
    methods.includes('gb') ? p.tableModels.filter(m => LATE_FUSION.includes(m)).map(model => gainCase(model, 'gb', gain => gain < 0)) : []);

  const ablationModels = p.ablationModels.filter(m => m === 'vbpr' || m === 'egogcn');
  const ablationArms = (model: string, variant: string): Arm[] => [{ model, method: 'ckd' }, { model, method: 'ckd', variant }];
  const ablationCase = (model: string, variant: string) => armCase(outcomes, `${model} ${variant.replace(/_/g, ' ')}`,
    ablationArms(model, variant), seeds, ([full, ablated]) => {
      const drop = -percentOver(ablated, full);
      return { ok: drop >= 0 && drop <= 4, reads: `drop ${signedPercent(drop)}, p ${pText(pSeeds(full, ablated))}` };
    });
  add('F8', 'Table 3: each ablation lowers fused Recall@20 against full CKD by 0% to 4%, on VBPR and EgoGCN',
    ablationModels.flatMap(model => ABLATIONS.map(variant => ablationCase(model, variant))));
  const pairs = ablationModels.flatMap(model => ABLATIONS.map(variant => ({ model, variant })));
  add('F9', `Table 3: at most two of the ${pairs.length} (backbone, ablation) pairs reach p <= ${ALPHA} over seeds`, pairs.length ? [{
    label: 'pairs', read: () => {
      const read = pairs.map(({ model, variant }) => {
        const { shared, values: [full, ablated] } = onSharedSeeds(outcomes, ablationArms(model, variant), seeds);
        return { complete: shared.length === seeds.length, significant: pSeeds(full, ablated) <= ALPHA, started: shared.length > 0 };
      });
      if (!read.some(r => r.started)) return undefined;
      const significant = read.filter(r => r.significant).length;
      // Decided when every pair is complete, or when more than two complete pairs are significant already.
      const complete = read.every(r => r.complete) || read.filter(r => r.complete && r.significant).length > 2;
      return { complete, ok: significant <= 2, reads: `${significant} significant${complete ? '' : ` (${read.filter(r => r.complete).length} of ${pairs.length} pairs complete)`}` };
    },
  }] : []);

  add('F10', `every grid cell converges before the ${p.train.epochs}-epoch cap; only learning-rate walk cells at 1e-4 may not`, [{
    label: 'cells', read: () => {
      const plan = planPreset(p, v.dataset.fingerprint, undefined, v.store);
      const done = plan.cells.map(c => ({ c, r: v.store.get(configKey(c.cell)) })).filter(x => x.r);
      if (done.length === 0) return undefined;
      const unconverged = done.filter(({ r }) => !cellConverged(r!));
      const allowed = unconverged.filter(({ c }) => c.lrSearch && c.cell.train.lr === 1e-4).length;
      const bad = unconverged.length - allowed;
      // The payoff experiment's teachers stop at a budget of epochs by design; the registered reading
      // counts them (docs/prediction.md), so they decide F10 too, but the reading says how many they are.
      const budgeted = unconverged.filter(({ c }) => isBudgetTeacher(c)).length;
      // A finished cell that did not converge decides it at once; otherwise the whole grid must be finished.
      const complete = (done.length === plan.cells.length && plan.waiting === 0) || bad > 0;
      return {
        complete, ok: bad === 0,
        reads: `${bad} of ${done.length} finished cells did not converge${budgeted ? ` (${budgeted} of them the payoff experiment's teachers, stopped at their budget of epochs by design; ${bad - budgeted} others)` : ''}${allowed ? ` (and ${allowed} walk cells at 1e-4, allowed)` : ''}${complete ? '' : ` (${plan.cells.length - done.length + plan.waiting} cells to run)`}`,
      };
    },
  }]);
  return out;
}

/**
 * The teacher rule (docs/prediction-rule.md, committed before any CKD cell of these backbones
 * ran): CKD gains at least `gainAt` percent exactly when the better teacher's own-channel Recall@20
 * is at least `ratioAt` times the plain fused model's, on seeds 1-3.
 */
export const TEACHER_RULE: TeacherRule = { document: 'docs/prediction-rule.md', models: ['mgcn', 'mmgcn'], ratioAt: 1, gainAt: 2 };

export interface TeacherRule { document: string; models: readonly string[]; ratioAt: number; gainAt: number }

/** The teacher rule against the full grid's records (`outcomes`: its finished grid cells). */
export function teacherRuleVerdicts(v: ReproductionView, outcomes: readonly RunOutcome[], rule: TeacherRule = TEACHER_RULE): PredictionVerdict[] {
  const { ratioAt, gainAt } = rule;
  const cases = rule.models.filter(m => v.preset.tableModels.includes(m)).map(model => armCase(outcomes, model,
    [...teacherArms(model), { model, method: 'ckd' }], v.preset.seeds, ([t, vis, plain, ckd]) => {
      const ratio = teacherRatio(t, vis, plain);
      const gain = percentOver(ckd, plain);
      const expected = ratio >= ratioAt ? `at least ${signedPercent(gainAt)}` : `below ${signedPercent(gainAt)}`;
      return { ok: (ratio >= ratioAt) === (gain >= gainAt), reads: `ratio ${ratio.toFixed(3)}, so the rule expects a gain ${expected}; gain ${signedPercent(gain)}` };
    }));
  return [{
    id: 'R', prediction: `on ${rule.models.join(' and ')}: CKD's gain is at least ${signedPercent(gainAt)} exactly when the better teacher / plain fused ratio is at least ${ratioAt.toFixed(2)} (seeds 1-3)`,
    ...decide(cases),
  }];
}

/** The teacher rule's verdict as a table. */
export function teacherRuleTable(verdicts: readonly PredictionVerdict[]): ResultTable {
  return verdictTable(`The teacher rule (${TEACHER_RULE.document}), decided from the records`, 'the records', verdicts, [
    'ratio: the better teacher\'s test Recall@20 on its own channel over the plain fused model\'s, mean over seeds of the per-seed ratio; gain: CKD over plain, fused test Recall@20, mean over seeds',
    'the rule was formed on VBPR, DeepStyle, GRCN and EgoGCN; these backbones had no CKD record when it was committed',
  ]);
}

/** The verdicts as a table for tables.md and the report. */
export function gridVerdictTable(verdicts: readonly PredictionVerdict[], document: string): ResultTable {
  return verdictTable(`The further registered predictions (${document}), decided from the records`, 'the records', verdicts, [
    'a case is decided when every seed it needs is recorded (the preset\'s seeds; for a backbone\'s plain, CKD and teachers, all of its CKD seeds); until then it reads "so far"',
    'a prediction fails when one decided case fails, holds when all are decided and hold, and is open otherwise; the per-backbone gains are the headline\'s table',
  ]);
}
