import * as assert from 'assert';
import { EvaluationResult } from '../lib/eval/evaluate';
import {
  PAPER, PAPER_DATASETS, TABLE3_MODELS, paperDatasetName, paperMethodName, paperModelName, paperTable1, paperTable2,
  paperTable3, suspectCell,
} from '../lib/experiments/paper';
import { pairedTTestOverSeeds } from '../lib/experiments/summary';
import {
  RunOutcome, formatCell, renderMarkdown, renderText, table1, table1Frame, table2, table3, toDataFrame,
} from '../lib/experiments/tables';
import { ModalityMask, TrainMode } from '../lib/models/backbone';

describe('experiments: the paper\'s numbers', () => {
  it('reads Table 1, 2 and 3 cells as printed', () => {
    assert.strictEqual(paperTable1('VBPR', 'backbone', 'baby', 'recall@20'), 0.0462);
    assert.strictEqual(paperTable1('vbpr', 'plain', 'Baby', 'NDCG@20'), 0.0208);
    assert.strictEqual(paperTable1('MGCN', 'ckd', 'beauty', 'precision@20'), 0.00757);
    assert.strictEqual(paperTable2('GRCN', 'teacher', 'sports', 'text'), 0.0803);
    assert.strictEqual(paperTable2('GRCN', 'teacher', 'sports', 'visual'), 0.0746);
    assert.strictEqual(paperTable3('EgoGCN', 'kl_instead_of_hinge', 'sports'), 0.0915);
  });

  it('Table 3\'s full-CKD row repeats Table 1\'s CKD Recall@20', () => {
    for (const m of TABLE3_MODELS) {
      for (const d of PAPER_DATASETS) assert.strictEqual(paperTable3(m, 'ckd', d), paperTable1(m, 'ckd', d, 'recall@20'), `${m} ${d}`);
    }
  });

  it('knows the suspect cells and their likely values', () => {
    assert.strictEqual(PAPER.suspect_cells.length, 5);
    const s = suspectCell('vbpr', 'gb', 'baby', 'ndcg@20');
    assert.ok(s && s.printed === 0.0022 && s.likely === 0.022);
    assert.strictEqual(paperTable1('VBPR', 'gb', 'baby', 'ndcg@20'), 0.0022);
    assert.strictEqual(paperTable1('VBPR', 'gb', 'baby', 'ndcg@20', { corrected: true }), 0.022);
    assert.strictEqual(paperTable1('MGCN', 'ckd', 'beauty', 'precision@20', { corrected: true }), 0.00757, 'no likely value: as printed');
    assert.strictEqual(suspectCell('VBPR', 'ckd', 'baby', 'ndcg@20'), undefined);
  });

  it('maps the project\'s names and refuses unknown ones', () => {
    assert.strictEqual(paperModelName('egogcn'), 'EgoGCN');
    assert.strictEqual(paperModelName('bprmf'), undefined);
    assert.strictEqual(paperMethodName('plain'), 'backbone');
    assert.strictEqual(paperDatasetName('amazon-sports'), 'sports');
    assert.strictEqual(paperDatasetName('default'), undefined);
    assert.throws(() => paperTable1('BPRMF', 'plain', 'baby', 'recall@20'), /no model 'BPRMF'/);
    assert.throws(() => paperTable1('VBPR', 'teacher', 'baby', 'recall@20'), /Table 1 has no method 'teacher'/);
    assert.throws(() => paperTable3('GRCN', 'ckd', 'baby'), /Table 3 has no model/);
  });
});

/** A fake evaluation with the given metrics@20. */
function evalOf(recall: number, ndcg = recall / 2, precision = recall / 20): EvaluationResult {
  return { ks: [20], ndcgVariant: 'standard', users: 100, recall: { 20: recall }, ndcg: { 20: ndcg }, precision: { 20: precision } };
}

function run(model: string, method: string, seed: number, test: Partial<Record<ModalityMask, number>>,
  extra: { mode?: TrainMode; variant?: string; dataset?: string } = {}): RunOutcome {
  const t: Partial<Record<ModalityMask, EvaluationResult>> = {};
  for (const [m, v] of Object.entries(test)) t[m as ModalityMask] = evalOf(v);
  return { model, method, seed, dataset: extra.dataset ?? 'baby', mode: extra.mode, variant: extra.variant, test: t };
}

const SEEDS = [1, 2, 3];
const PLAIN = [0.040, 0.042, 0.041];
const CKD = [0.050, 0.051, 0.053];
const RUNS: RunOutcome[] = [
  ...SEEDS.map((s, i) => run('vbpr', 'plain', s, { all: PLAIN[i], text: 0.030 + i * 0.001, visual: 0.020 + i * 0.001 })),
  ...SEEDS.map((s, i) => run('vbpr', 'ckd', s, { all: CKD[i], text: 0.040 + i * 0.001, visual: 0.035 + i * 0.001 })),
  ...SEEDS.map((s, i) => run('vbpr', 'plain', s, { text: 0.038 + i * 0.001 }, { mode: 'text-only' })),
  ...SEEDS.map((s, i) => run('vbpr', 'plain', s, { visual: 0.028 + i * 0.001 }, { mode: 'visual-only' })),
  ...SEEDS.map((s, i) => run('vbpr', 'ckd', s, { all: 0.045 + i * 0.002 }, { variant: 'without_generic' })),
];

describe('experiments: Table 1', () => {
  const t = table1(RUNS);
  const col = (name: string) => t.columns.indexOf(name);
  const row = (method: string) => t.rows.find(r => r[0] === 'VBPR' && r[1] === method)!;

  it('has the paper\'s numbers and ours side by side', () => {
    assert.deepStrictEqual(t.rows.map(r => `${r[0]} ${r[1]}`), ['VBPR backbone', 'VBPR gb', 'VBPR ogm', 'VBPR ckd']);
    for (const c of ['R@20 paper', 'R@20 ours', 'R@20 sd', 'R@20 Δ%', 'N@20 paper', 'P@20 ours', 'gain% ours', 'n', 'p']) {
      assert.ok(col(c) >= 0, `column ${c}`);
    }
    const b = row('backbone');
    assert.strictEqual(b[col('R@20 paper')], 0.0462);
    assert.ok(Math.abs((b[col('R@20 ours')] as number) - 0.041) < 1e-12);
    assert.ok(Math.abs((b[col('R@20 sd')] as number) - 0.001) < 1e-12);
    assert.ok(Math.abs((b[col('R@20 Δ%')] as number) - 100 * (0.041 - 0.0462) / 0.0462) < 1e-9);
    assert.strictEqual(b[col('N@20 paper')], 0.0208);
    assert.strictEqual(b[col('n')], 3);
    const c = row('ckd');
    assert.strictEqual(c[col('R@20 paper')], 0.0568);
    assert.ok(Math.abs((c[col('gain% paper')] as number) - 100 * (0.0568 - 0.0462) / 0.0462) < 1e-9);
    const oursCkd = (0.050 + 0.051 + 0.053) / 3;
    assert.ok(Math.abs((c[col('gain% ours')] as number) - 100 * (oursCkd - 0.041) / 0.041) < 1e-9);
    const expectP = pairedTTestOverSeeds(SEEDS.map((s, i) => ({ seed: s, value: CKD[i] })), SEEDS.map((s, i) => ({ seed: s, value: PLAIN[i] }))).p;
    assert.ok(Math.abs((c[col('p')] as number) - expectP) < 1e-15);
    const gb = row('gb');
    assert.strictEqual(gb[col('n')], 0);
    assert.ok(Number.isNaN(gb[col('R@20 ours')] as number), 'no runs: NaN');
  });

  it('takes gain% over the seeds both rows have, as a grid under way has them', () => {
    // Seed 4 has a backbone run far above the others and no CKD run yet: it must not move the gain.
    const midGrid = table1([...RUNS, run('vbpr', 'plain', 4, { all: 0.090 })]);
    const c = midGrid.rows.find(r => r[0] === 'VBPR' && r[1] === 'ckd')!;
    const oursCkd = (0.050 + 0.051 + 0.053) / 3;
    assert.ok(Math.abs((c[col('gain% ours')] as number) - 100 * (oursCkd - 0.041) / 0.041) < 1e-9);
    const b = midGrid.rows.find(r => r[0] === 'VBPR' && r[1] === 'backbone')!;
    assert.ok(Math.abs((b[col('R@20 ours')] as number) - (0.041 * 3 + 0.090) / 4) < 1e-12, 'the row itself keeps every seed');
    // Sharing no seed, the rows are compared whole.
    const apart = table1([...RUNS.filter(r => !(r.method === 'plain' && (r.mode ?? 'multimodal') === 'multimodal')), run('vbpr', 'plain', 9, { all: 0.040 })]);
    const ca = apart.rows.find(r => r[0] === 'VBPR' && r[1] === 'ckd')!;
    assert.ok(Math.abs((ca[col('gain% ours')] as number) - 100 * (oursCkd - 0.040) / 0.040) < 1e-9);
  });

  it('shows only the methods asked for (a preset\'s), the backbone and the teachers always', () => {
    const t1 = table1(RUNS, { methods: ['plain', 'ckd'] });
    assert.deepStrictEqual(t1.rows.map(r => `${r[0]} ${r[1]}`), ['VBPR backbone', 'VBPR ckd']);
    const t2 = table2(RUNS, { methods: ['ckd'] });
    assert.deepStrictEqual(t2.rows.map(r => r[1]), ['backbone', 'teacher', 'ckd']);
  });

  it('marks the suspect paper cells', () => {
    assert.match(String(row('gb')[col('note')]), /N@20 printed 0.0022 \(likely 0.022\)/);
    assert.ok(t.notes.some(n => n.includes('Table 1 VBPR+GB baby ndcg@20 printed 0.0022')));
    assert.ok(t.notes.some(n => /paired t-test over seeds/.test(n)), 'names the test');
    const corrected = table1(RUNS, { correctedPaper: true });
    assert.strictEqual(corrected.rows[1][corrected.columns.indexOf('N@20 paper')], 0.022);
  });

  it('compares with a paper column of our choice, or none', () => {
    const synth = RUNS.map(r => ({ ...r, dataset: 'default' }));
    const none = table1(synth);
    assert.ok(Number.isNaN(none.rows[0][2] as number));
    assert.ok(none.notes[0].includes("'default' is not one of the paper's"));
    const vsSports = table1(synth, { paperDataset: 'sports' });
    assert.strictEqual(vsSports.rows[0][2], 0.0493);
    assert.throws(() => table1([...RUNS, ...synth]), /several data sets/);
  });

  it('becomes a danfojs DataFrame with the same cells', () => {
    const df = table1Frame(RUNS);
    assert.deepStrictEqual(df.shape, [4, t.columns.length]);
    assert.deepStrictEqual(df.columns, t.columns);
    const paper = df.column('R@20 paper').values as number[];
    assert.deepStrictEqual(paper, [0.0462, 0.0482, 0.0448, 0.0568]);
    const ours = df.column('R@20 ours').values as number[];
    assert.ok(Math.abs(ours[0] - 0.041) < 1e-12);
  });

  it('renders markdown and plain text', () => {
    const md = renderMarkdown(t);
    assert.ok(md.startsWith('**Table 1'));
    assert.ok(md.includes('| model | method | R@20 paper |'));
    assert.ok(md.includes('| VBPR | backbone | 0.0462 | 0.0410 | 0.0010 | -11.3 |'), md);
    assert.ok(md.includes('- paper: Amazon baby as printed'));
    const txt = renderText(t);
    assert.ok(/VBPR\s+ckd\s+0\.0568\s+0\.0513/.test(txt), txt);
    const fromFrame = renderMarkdown(toDataFrame(t));
    assert.ok(fromFrame.includes('0.0462'));
    assert.strictEqual(formatCell(0.0004, 'p'), '<0.001');
    assert.strictEqual(formatCell(NaN, 'metric'), '-');
    assert.strictEqual(formatCell(12.345, 'percent'), '+12.3');
  });

  it('renders a DataFrame\'s p-value columns as p-values, whatever side the p is on', () => {
    const frame = toDataFrame({
      title: 'p', columns: ['model', 'p', 'paired p', 'p users', 'recall'], formats: ['text', 'p', 'p', 'p', 'metric'],
      rows: [['VBPR', 0.00002, 0.25, 0.0004, 0.21]], notes: [],
    });
    assert.ok(renderMarkdown(frame).includes('| VBPR | <0.001 | 0.250 | <0.001 | 0.2100 |'), renderMarkdown(frame));
  });
});

describe('experiments: Tables 2 and 3', () => {
  it('Table 2: channels of the multimodal runs and the uni-modal teachers', () => {
    const t = table2(RUNS);
    const col = (name: string) => t.columns.indexOf(name);
    assert.deepStrictEqual(t.rows.map(r => r[1]), ['backbone', 'teacher', 'gb', 'ogm', 'ckd']);
    const teacher = t.rows[1];
    assert.strictEqual(teacher[col('text paper')], 0.0476);
    assert.strictEqual(teacher[col('visual paper')], 0.0362);
    assert.ok(Math.abs((teacher[col('text ours')] as number) - 0.039) < 1e-12);
    assert.ok(Math.abs((teacher[col('visual ours')] as number) - 0.029) < 1e-12);
    const ckd = t.rows[4];
    assert.ok(Math.abs((ckd[col('visual ours')] as number) - 0.036) < 1e-12);
    assert.strictEqual(ckd[col('text paper')], 0.055);
    assert.ok((ckd[col('text p')] as number) < 0.05, 'ckd text channel vs backbone');
    assert.strictEqual(ckd[col('n')], 3);
    assert.ok(renderMarkdown(t).includes('| VBPR | teacher | 0.0476 | 0.0390 |'));
  });

  it('Table 3: CKD variants against full CKD', () => {
    const t = table3(RUNS);
    const col = (name: string) => t.columns.indexOf(name);
    assert.strictEqual(t.rows.length, 5);
    const full = t.rows[0];
    const wog = t.rows[1];
    assert.strictEqual(full[col('R@20 paper')], 0.0568);
    assert.strictEqual(wog[col('R@20 paper')], 0.0549);
    assert.ok(Math.abs((wog[col('R@20 ours')] as number) - 0.047) < 1e-12);
    assert.ok(Math.abs((wog[col('drop% paper')] as number) - 100 * (0.0549 - 0.0568) / 0.0568) < 1e-9);
    assert.strictEqual(t.rows[2][col('n')], 0, 'no runs of without_reweight');
    assert.ok(Number.isNaN(full[col('p')] as number));
    assert.ok(Number.isFinite(wog[col('p')] as number));
    const oursCkd = (0.050 + 0.051 + 0.053) / 3;
    assert.ok(Math.abs((wog[col('drop% ours')] as number) - 100 * (0.047 - oursCkd) / oursCkd) < 1e-9);
    // A full-CKD seed without its ablation yet stays out of drop%.
    const mid = table3([...RUNS, run('vbpr', 'ckd', 4, { all: 0.2 })]);
    assert.ok(Math.abs((mid.rows[1][col('drop% ours')] as number) - 100 * (0.047 - oursCkd) / oursCkd) < 1e-9);
  });
});
