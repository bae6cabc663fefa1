/**
 * The verdict on the payoff experiment's registered predictions (docs/prediction-payoff.md,
 * committed before its grids ran), computed from the figure's points so that it is never written
 * by hand: P1-P6 on the three data sets weak-ids, default and strong-ids (the same items and
 * features with 1,000, 3,000 and 6,000 users), VBPR and EgoGCN.
 *
 * A prediction is decided only on complete points: every planned seed recorded (seeds 1-3 in
 * the payoff preset). Until then it is 'open', and the table says which points it waits for and
 * what the points recorded so far read (provisionally). Orderings are of means over seeds, as
 * registered; their intervals are in the figure's table beside them.
 */
import type { PayoffPoint } from './payoff';
import { PredictionVerdict, Verdict, verdictTable } from './prediction-verdicts';
import { formatCell, ResultTable, signedPercent } from './tables';

export type { PredictionVerdict, Verdict };

/** The data sets of the second axis, weakest IDs first, and the backbones, as registered. */
export const PAYOFF_AXIS = { weak: 'weak-ids', mid: 'default', strong: 'strong-ids' } as const;
export const PAYOFF_MODELS = ['vbpr', 'egogcn'] as const;
type Level = keyof typeof PAYOFF_AXIS;

/** The pre-registered significance rule of P6: gain > 0 and two-sided p <= 0.05 over seeds. */
export const HELPS_P = 0.05;


/** Points of a model on a data set at a teacher budget (undefined: converged), the payoff preset's own (no other protocol). */
function pointOf(points: readonly PayoffPoint[], model: string, dataset: string, budget?: number): PayoffPoint | undefined {
  return points.find(p => p.model === model && p.dataset === dataset && p.teacherEpochs === budget && p.protocol === undefined);
}

/**
 * One check over several (model, budget) cases: each case names the points it needs and, when all
 * are there, whether it holds and how it reads. The prediction holds when every case holds, fails
 * when a complete case fails, and is open otherwise.
 */
interface Case {
  label: string;
  needs: { model: string; level: Level; budget?: number }[];
  test: (get: (level: Level, budget?: number) => PayoffPoint) => { ok: boolean; reads: string };
}

function decide(points: readonly PayoffPoint[], cases: Case[]): { verdict: Verdict; detail: string } {
  const parts: string[] = [];
  let failed = false;
  let waiting = false;
  for (const c of cases) {
    const found = c.needs.map(n => ({ n, p: pointOf(points, n.model, PAYOFF_AXIS[n.level], n.budget) }));
    const absent = found.filter(f => !f.p).map(f => PAYOFF_AXIS[f.n.level]);
    if (absent.length) {
      waiting = true;
      parts.push(`${c.label}: waits for ${[...new Set(absent)].join(', ')}`);
      continue;
    }
    const model = c.needs[0].model;
    const get = (level: Level, budget?: number) => pointOf(points, model, PAYOFF_AXIS[level], budget)!;
    const { ok, reads } = c.test(get);
    const partial = found.filter(f => f.p!.seeds < f.p!.seedsPlanned);
    if (partial.length) {
      waiting = true;
      const seeds = partial.map(f => `${PAYOFF_AXIS[f.n.level]} ${f.p!.seeds} of ${f.p!.seedsPlanned} seeds`).join(', ');
      parts.push(`${c.label}: ${reads}, so far (${seeds})`);
      continue;
    }
    failed ||= !ok;
    parts.push(`${c.label}: ${reads}${ok ? '' : ' (fails)'}`);
  }
  return { verdict: failed ? 'fails' : waiting || cases.length === 0 ? 'open' : 'holds', detail: parts.join('; ') };
}

const perModel = (make: (model: string) => Case): Case[] => PAYOFF_MODELS.map(make);
const label = (model: string, budget?: number) => (budget === undefined ? model : `${model}, teachers ${budget} epochs`);
const helps = (p: PayoffPoint) => p.gain > 0 && p.p <= HELPS_P;
const helpsText = (p: PayoffPoint) => `${signedPercent(p.gain)}, p ${formatCell(Number.isFinite(p.p) ? p.p : NaN, 'p')}`;

/** P1-P6 against the points (their teacher budgets: the payoff preset's, for P4). */
export function payoffVerdicts(points: readonly PayoffPoint[], budgets: readonly number[]): PredictionVerdict[] {
  const converged = (needs: Level[]) => (model: string) => needs.map(level => ({ model, level }));
  const out: PredictionVerdict[] = [];
  const add = (id: string, prediction: string, cases: Case[]) => out.push({ id, prediction, ...decide(points, cases) });

  add('P1', 'converged teachers: gain weak-ids > default > strong-ids, on VBPR and on EgoGCN', perModel(model => ({
    label: model, needs: converged(['weak', 'mid', 'strong'])(model),
    test: g => ({
      ok: g('weak').gain > g('mid').gain && g('mid').gain > g('strong').gain,
      reads: `${signedPercent(g('weak').gain)} / ${signedPercent(g('mid').gain)} / ${signedPercent(g('strong').gain)}`,
    }),
  })));
  add('P2', 'converged teachers: the weak-ids gain is at least 1 point above default\'s, on both backbones', perModel(model => ({
    label: model, needs: converged(['weak', 'mid'])(model),
    test: g => ({ ok: g('weak').gain - g('mid').gain >= 1, reads: `${signedPercent(g('weak').gain - g('mid').gain)} points` }),
  })));
  add('P3', 'the gain moves more from default to weak-ids than from default to strong-ids, on both backbones', perModel(model => ({
    label: model, needs: converged(['weak', 'mid', 'strong'])(model),
    test: (g) => {
      const toWeak = Math.abs(g('weak').gain - g('mid').gain), toStrong = Math.abs(g('strong').gain - g('mid').gain);
      return { ok: toWeak > toStrong, reads: `moves ${toWeak.toFixed(1)} against ${toStrong.toFixed(1)} points` };
    },
  })));
  add('P4', 'at every teacher budget, the weak-ids gain is above the strong-ids gain (the budget curves do not cross)',
    PAYOFF_MODELS.flatMap(model => budgets.map(budget => ({
      label: label(model, budget), needs: [{ model, level: 'weak' as Level, budget }, { model, level: 'strong' as Level, budget }],
      test: (g: (l: Level, b?: number) => PayoffPoint) => ({
        ok: g('weak', budget).gain > g('strong', budget).gain,
        reads: `${signedPercent(g('weak', budget).gain)} against ${signedPercent(g('strong', budget).gain)}`,
      }),
    }))));
  add('P5', 'VBPR\'s converged teachers: best teacher / plain fused higher on strong-ids than on weak-ids', [{
    label: 'vbpr', needs: converged(['weak', 'strong'])('vbpr'),
    test: g => ({ ok: g('strong').teacherRatio > g('weak').teacherRatio, reads: `${g('strong').teacherRatio.toFixed(3)} against ${g('weak').teacherRatio.toFixed(3)}` }),
  }]);
  add('P6', `"CKD helps" (gain > 0, p <= ${HELPS_P}) on weak-ids for EgoGCN; on strong-ids for neither backbone`, [
    {
      label: 'egogcn on weak-ids', needs: converged(['weak'])('egogcn'),
      test: g => ({ ok: helps(g('weak')), reads: `${helpsText(g('weak'))}, ${helps(g('weak')) ? 'helps' : 'does not help'}` }),
    },
    ...perModel(model => ({
      label: `${model} on strong-ids`, needs: converged(['strong'])(model),
      test: g => ({ ok: !helps(g('strong')), reads: `${helpsText(g('strong'))}, ${helps(g('strong')) ? 'helps' : 'does not help'}` }),
    })),
  ]);
  return out;
}

/** The verdicts as a table for payoff.md and the report. */
export function payoffVerdictTable(verdicts: readonly PredictionVerdict[]): ResultTable {
  return verdictTable('The registered predictions (docs/prediction-payoff.md), decided from the points', 'the points', verdicts, [
    'gains: CKD\'s fused test Recall@20 over plain, mean over seeds; decided only when every planned seed of the points is recorded (open until then, with what the points recorded so far read)',
    'the data sets, weakest IDs first: weak-ids, default, strong-ids; converged teachers unless a budget is named',
  ]);
}
