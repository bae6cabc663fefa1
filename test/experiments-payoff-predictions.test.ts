import { strict as assert } from 'assert';
import type { PayoffPoint } from '../lib/experiments/payoff';
import { payoffVerdictTable, payoffVerdicts } from '../lib/experiments/payoff-predictions';

const BUDGETS = [5, 40];

function point(model: string, dataset: string, gain: number, o: { budget?: number; p?: number; ratio?: number; seeds?: number; protocol?: string } = {}): PayoffPoint {
  return {
    series: `${model} · ${dataset}`, model, dataset, seeds: o.seeds ?? 3, seedsPlanned: 3,
    teacherRatio: o.ratio ?? 1, gain, ci: [gain - 3, gain + 3], p: o.p ?? 0.2,
    ...(o.budget !== undefined ? { teacherEpochs: o.budget } : {}), ...(o.protocol ? { protocol: o.protocol } : {}),
  };
}

/** Every point of the experiment, each prediction holding. */
function holdingPoints(): PayoffPoint[] {
  return [
    point('vbpr', 'weak-ids', 4, { ratio: 0.85 }), point('vbpr', 'default', 1, { ratio: 0.9 }), point('vbpr', 'strong-ids', 0, { ratio: 0.95 }),
    point('egogcn', 'weak-ids', 9, { p: 0.01 }), point('egogcn', 'default', 5.6, { p: 0.009 }), point('egogcn', 'strong-ids', 4, { p: 0.3 }),
    ...['vbpr', 'egogcn'].flatMap(m => BUDGETS.flatMap(b => [point(m, 'weak-ids', 2, { budget: b }), point(m, 'strong-ids', 1, { budget: b })])),
  ];
}

const byId = (points: PayoffPoint[]) => Object.fromEntries(payoffVerdicts(points, BUDGETS).map(v => [v.id, v]));

describe('the payoff predictions, decided from the points', () => {
  it('hold when every complete point agrees with them', () => {
    const v = byId(holdingPoints());
    assert.deepEqual(Object.keys(v), ['P1', 'P2', 'P3', 'P4', 'P5', 'P6']);
    for (const x of Object.values(v)) assert.equal(x.verdict, 'holds', `${x.id}: ${x.detail}`);
    assert.match(v.P1.detail, /vbpr: \+4\.0% \/ \+1\.0% \/ \+0\.0%; egogcn: \+9\.0% \/ \+5\.6% \/ \+4\.0%/);
    assert.match(v.P5.detail, /0\.950 against 0\.850/);
    assert.match(v.P6.detail, /egogcn on weak-ids: \+9\.0%, p 0\.010, helps/);
  });

  it('fail on one complete backbone that disagrees, and say which', () => {
    const points = holdingPoints().map(p => (p.model === 'vbpr' && p.dataset === 'strong-ids' && p.teacherEpochs === undefined ? { ...p, gain: 3 } : p));
    const v = byId(points);
    assert.equal(v.P1.verdict, 'fails');
    assert.match(v.P1.detail, /vbpr: \+4\.0% \/ \+1\.0% \/ \+3\.0% \(fails\)/);
    // P3 still holds: from default the gain moves 3 points to weak-ids, 2 to strong-ids.
    assert.equal(v.P3.verdict, 'holds');
  });

  it('stay open while a point is missing or has seeds to come, with the provisional reading', () => {
    const noStrong = holdingPoints().filter(p => p.dataset !== 'strong-ids');
    const v = byId(noStrong);
    assert.equal(v.P1.verdict, 'open');
    assert.match(v.P1.detail, /vbpr: waits for strong-ids/);
    assert.equal(v.P2.verdict, 'holds'); // needs weak-ids and default only
    assert.equal(v.P4.verdict, 'open');
    const partial = holdingPoints().map(p => (p.dataset === 'weak-ids' && p.model === 'egogcn' && p.teacherEpochs === undefined ? { ...p, seeds: 1, p: NaN } : p));
    const w = byId(partial);
    assert.equal(w.P2.verdict, 'open');
    assert.match(w.P2.detail, /egogcn: \+3\.4% points, so far \(weak-ids 1 of 3 seeds\)/);
    assert.equal(w.P6.verdict, 'open');
    assert.match(w.P6.detail, /p -, does not help, so far/);
  });

  it('read only the payoff preset\'s own points, not another protocol\'s', () => {
    const other = holdingPoints().filter(p => !(p.model === 'vbpr' && p.dataset === 'default')).concat(point('vbpr', 'default', 1, { protocol: 'full-short' }));
    assert.equal(byId(other).P1.verdict, 'open');
  });

  it('P6 fails when CKD helps significantly on strong-ids', () => {
    const points = holdingPoints().map(p => (p.model === 'vbpr' && p.dataset === 'strong-ids' && p.teacherEpochs === undefined ? { ...p, gain: 0.5, p: 0.04 } : p));
    const v = byId(points);
    assert.equal(v.P6.verdict, 'fails');
    assert.match(v.P6.detail, /vbpr on strong-ids: \+0\.5%, p 0\.040, helps \(fails\)/);
  });

  it('prints a p-value below 0.001 as <0.001, as the grid\'s verdicts do', () => {
    const points = holdingPoints().map(p => (p.model === 'egogcn' && p.dataset === 'weak-ids' && p.teacherEpochs === undefined ? { ...p, p: 0.0004 } : p));
    assert.match(byId(points).P6.detail, /egogcn on weak-ids: \+9\.0%, p <0\.001, helps/);
  });

  it('renders one row per prediction', () => {
    const t = payoffVerdictTable(payoffVerdicts(holdingPoints(), BUDGETS));
    assert.equal(t.rows.length, 6);
    assert.deepEqual(t.rows.map(r => r[2]), ['holds', 'holds', 'holds', 'holds', 'holds', 'holds']);
  });
});
