/**
 * The verdict table: for each backbone, CKD's fused gain over the plain backbone with its 95%
 * interval over seeds and its paired test, beside what was predicted before the grid ran
 * (docs/prediction.md, whose table the PREDICTION rows restate). A backbone counts as "CKD helps"
 * when the mean gain is positive and the two-sided paired t-test over seeds gives p <= 0.05.
 */
import { pairBySeed, pairedTTest } from './summary';
import { CellValue, ColumnFormat, ResultTable, RunOutcome, convergenceFlag, signedPercent } from './tables';

export interface PredictedGain {
  model: string;
  /** Predicted range of the fused Recall@20 gain, percent of plain. */
  low: number;
  high: number;
  /** Whether CKD was predicted to help (significantly), or left open. */
  helps: 'yes' | 'no' | 'open';
}

/** docs/prediction.md, committed before the converging grid's first cell ran (the full preset on `default`). */
export const FULL_GRID_PREDICTION: { dataset: string; document: string; rows: PredictedGain[] } = {
  dataset: 'default',
  document: 'docs/prediction.md',
  rows: [
    { model: 'vbpr', low: 3, high: 9, helps: 'yes' },
    { model: 'deepstyle', low: 2, high: 8, helps: 'open' },
    { model: 'mmgcn', low: -2, high: 3, helps: 'no' },
    { model: 'grcn', low: 0, high: 4, helps: 'no' },
    { model: 'egogcn', low: 3, high: 8, helps: 'yes' },
    { model: 'mgcn', low: 0, high: 4, helps: 'no' },
  ],
};

const ALPHA = 0.05;

/** The fused gain of CKD (paper's form) over plain per backbone, beside its prediction. */
export function headlineTable(outcomes: readonly RunOutcome[], predictions: readonly PredictedGain[], document: string): ResultTable {
  const columns = ['backbone', 'predicted gain%', 'predicted helps', 'seeds', 'plain R@20', 'CKD R@20', 'gain%', 'gain% 95% CI', 'p seeds', 'CKD helps', 'in predicted range', 'note'];
  const formats: ColumnFormat[] = ['text', 'text', 'text', 'int', 'metric', 'metric', 'percent', 'text', 'p', 'text', 'text', 'text'];
  const rows: CellValue[][] = [];
  const fused = (r: RunOutcome) => ({ seed: r.seed, value: r.test.all?.recall[20] ?? NaN });
  const multimodal = (r: RunOutcome) => (r.mode ?? 'multimodal') === 'multimodal';
  for (const p of predictions) {
    const plain = outcomes.filter(r => r.model === p.model && r.method === 'plain' && multimodal(r));
    const ckd = outcomes.filter(r => r.model === p.model && r.method === 'ckd' && r.variant === 'ckd' && multimodal(r));
    const paired = pairBySeed(ckd.map(fused), plain.map(fused));
    const t = pairedTTest(paired.a, paired.b, 'two-sided', 'seeds');
    const base = t.meanB;
    const pct = (x: number) => 100 * x / base;
    const gain = paired.seeds.length ? pct(t.meanDiff) : NaN;
    const ci = paired.seeds.length >= 2 ? `${signedPercent(pct(t.ci95[0]))} to ${signedPercent(pct(t.ci95[1]))}` : '-';
    const verdict = paired.seeds.length < 2 ? 'pending' : gain > 0 && t.p <= ALPHA ? 'yes' : 'no';
    const inRange = Number.isNaN(gain) ? '-' : gain >= p.low && gain <= p.high ? 'yes' : 'no';
    rows.push([p.model, `${signedPercent(p.low)} to ${signedPercent(p.high)}`, p.helps, paired.seeds.length, t.meanB, t.meanA, gain, ci, t.p, verdict, inRange, convergenceFlag([...plain, ...ckd])]);
  }
  return {
    title: 'Headline: does CKD lift the fused model? (test Recall@20, all modalities)',
    columns, formats, rows,
    notes: [
      `predicted: ${document}, committed before the grid's first cell ran`,
      'gain%: mean over seeds of CKD minus plain (paired by seed), percent of plain; 95% CI: t interval of that mean difference',
      `CKD helps: mean gain > 0 and two-sided paired t-test over seeds p <= ${ALPHA}; pending: fewer than 2 paired seeds so far`,
    ],
  };
}
