/**
 * When does CKD pay off? CKD's fused gain over the plain backbone (mean over seeds, with its 95%
 * t interval) against how good its teachers are relative to the plain fused model: the better
 * teacher's test Recall@20 divided by plain's, per seed, then averaged. The teachers' quality is
 * varied by stopping them after a few epochs (the preset's payoff budgets) or letting them
 * converge (the grid's own teachers); a second axis is the data set (the generator's settings:
 * weak-ids, default, strong-ids), one series per backbone and data set (payoff-across.ts).
 *
 * Each series carries its data set's precondition, the IDs' share: BPR-MF's test Recall@20
 * over the plain fused model's (means over the preset's seeds), how much of the fused ranking
 * the item and user IDs alone reach.
 *
 * Reading: points to the left have teachers far below the fused model, so there is little for
 * the student to learn; our first grid's short protocol sat there.
 */
import { MODALITIES } from '../data/dataset';
import { COLORS, FigureSpec, ScatterTrace } from './figures';
import { configKey } from './result-store';
import type { ReproductionView } from './reproduce';
import { gridCells, planCells } from './reproduce-plan';
import { RunCell, RunRecord, teacherCells } from './run-cell';
import { pairedTTest } from './summary';
import { CellValue, ResultTable } from './tables';

export interface PayoffPoint {
  /** Series label: backbone, and data set where several are shown. */
  series: string;
  model: string;
  /** The data set's name, where the figure shows several. */
  dataset?: string;
  /** Teachers' epoch budget; undefined = converged (the grid's teachers). */
  teacherEpochs?: number;
  /** The grid's own teachers under another preset's protocol (e.g. 'full-short'), where not the payoff preset's. */
  protocol?: string;
  seeds: number;
  /** The preset's seeds: fewer in `seeds` means some are still missing. */
  seedsPlanned: number;
  /** Mean over seeds of max(teacher test R@20) / plain fused test R@20. */
  teacherRatio: number;
  /** CKD's fused gain over plain, percent of plain, and its 95% interval. */
  gain: number;
  ci: [number, number];
  /** Two-sided paired t-test over seeds of CKD's against plain's fused Recall@20 (NaN with one seed). */
  p: number;
  /** BPR-MF / plain fused test Recall@20 on this data set (payoffIdShare), where both are recorded. */
  idShare?: number;
}

/** A point of the experiment with none of its seeds recorded yet (CKD, plain and both teachers). */
export interface MissingPayoffPoint {
  series: string;
  model: string;
  dataset?: string;
  teacherEpochs?: number;
  protocol?: string;
  seedsPlanned: number;
}

const fusedRecall = (r: RunRecord) => r.result.test.all.recall20;

/** The series of a backbone: its name, with the data set's (and another protocol's) where several are shown. */
export function payoffSeries(model: string, dataset?: string, protocol?: string): string {
  return [model, ...(dataset ? [dataset] : []), ...(protocol ? [`${protocol} protocol`] : [])].join(' · ');
}

/** The payoff experiment's points for one results folder (view), converged teachers included. */
export function payoffPoints(v: ReproductionView, dataset?: string): PayoffPoint[] {
  return payoffState(v, dataset).points;
}

/** The experiment's points with no recorded seed at all: shown as missing, never drawn. */
export function missingPayoffPoints(v: ReproductionView, dataset?: string): MissingPayoffPoint[] {
  return payoffState(v, dataset).missing;
}

/**
 * Every (backbone, budget) of the experiment: a point where any seed is complete, else missing.
 * With `protocol`, the view's preset is another grid's (e.g. the first, short one) and its one
 * point per backbone is CKD with that grid's own teachers.
 */
export function payoffState(v: ReproductionView, dataset?: string, protocol?: string): { points: PayoffPoint[]; missing: MissingPayoffPoint[] } {
  const p = v.preset.payoff;
  if (!p) return { points: [], missing: [] };
  const cells = planCells(v.preset, v.dataset.fingerprint, p.models, v.store).map(c => c.cell);
  const points: PayoffPoint[] = [];
  const missing: MissingPayoffPoint[] = [];
  const seedsPlanned = v.preset.seeds.length;
  for (const model of p.models) {
    const series = payoffSeries(model, dataset, protocol);
    const idShare = payoffIdShare(v, model);
    const where = { series, model, ...(dataset !== undefined ? { dataset } : {}), ...(protocol !== undefined ? { protocol } : {}) };
    for (const budget of [...p.teacherEpochs, undefined]) {
      const ckd = cells.filter(c => c.model === model && c.method === 'ckd' && c.teacherEpochs === budget
        && Object.keys(c.methodOptions).length === 0 && v.preset.seeds.includes(c.train.seed));
      const ratios: number[] = [];
      const a: number[] = [];
      const b: number[] = [];
      for (const c of ckd) {
        const rec = v.store.get(configKey(c));
        const plain = v.store.get(configKey(plainOf(c)));
        const teachers = MODALITIES.map(m => v.store.get(configKey(teacherCells(c)[m])));
        if (!rec || !plain || teachers.some(t => !t)) continue;
        ratios.push(Math.max(...teachers.map(t => fusedOrOwn(t!))) / fusedRecall(plain));
        a.push(fusedRecall(rec));
        b.push(fusedRecall(plain));
      }
      const budgetField = budget !== undefined ? { teacherEpochs: budget } : {};
      if (a.length === 0) { missing.push({ ...where, ...budgetField, seedsPlanned }); continue; }
      const t = pairedTTest(a, b, 'two-sided', 'seeds');
      const pct = (x: number) => 100 * x / t.meanB;
      points.push({
        ...where, ...budgetField, seeds: a.length, seedsPlanned,
        teacherRatio: ratios.reduce((s, x) => s + x, 0) / ratios.length,
        gain: pct(t.meanDiff), ci: [pct(t.ci95[0]), pct(t.ci95[1])], p: t.p,
        ...(idShare !== undefined ? { idShare } : {}),
      });
    }
  }
  return { points, missing };
}

/** A mean test Recall@20 over the preset's recorded seeds. */
export interface SeedMean { mean: number; seeds: number }

/**
 * The data set's precondition for a backbone: BPR-MF's fused test Recall@20 (at its selected
 * rate) and the backbone's plain fused one, each a mean over the preset's seeds that are
 * recorded, and their ratio, the IDs' share; parts are absent while unrecorded, or when the
 * preset runs no BPR-MF.
 */
export function payoffPrecondition(v: ReproductionView, model: string): { bprmf?: SeedMean; plain?: SeedMean; idShare?: number } {
  const recorded = (m: string): SeedMean | undefined => {
    const recs = gridCells(v.preset, v.dataset.fingerprint, [m], v.store)
      .filter(p => p.cell.model === m && p.cell.mode === 'multimodal' && p.cell.method === 'plain' && v.preset.seeds.includes(p.cell.train.seed))
      .map(p => v.store.get(configKey(p.cell))).filter((r): r is RunRecord => !!r);
    return recs.length > 0 ? { mean: recs.reduce((s, r) => s + fusedRecall(r), 0) / recs.length, seeds: recs.length } : undefined;
  };
  const bprmf = v.preset.idBaseline ? recorded('bprmf') : undefined;
  const plain = recorded(model);
  return { ...(bprmf ? { bprmf } : {}), ...(plain ? { plain } : {}), ...(bprmf && plain ? { idShare: bprmf.mean / plain.mean } : {}) };
}

/** The IDs' share on the view's data set (payoffPrecondition). */
export function payoffIdShare(v: ReproductionView, model: string): number | undefined {
  return payoffPrecondition(v, model).idShare;
}

/** A teacher's quality: its own modality's channel (it was trained with the other ablated). */
function fusedOrOwn(t: RunRecord): number {
  const mode = t.config.mode;
  return mode === 'text-only' ? t.result.test.text.recall20 : mode === 'visual-only' ? t.result.test.visual.recall20 : fusedRecall(t);
}

/** The plain multimodal cell of the same backbone, seed and settings as a CKD cell. */
function plainOf(c: RunCell): RunCell {
  const { teacherLr: _lr, teacherEpochs: _e, teacherTrain: _t, ...rest } = c;
  return { ...rest, method: 'plain', methodOptions: {} };
}

const SERIES_COLORS = [COLORS.text, COLORS.visual, '#2ca02c', '#9467bd', '#8c564b', '#ff7f0e'];
const MODEL_DASH = ['solid', 'dash', 'dot', 'dashdot'] as const;
const MODEL_SYMBOL = ['circle', 'square', 'diamond', 'triangle-up'];

type Budget = Pick<PayoffPoint, 'teacherEpochs' | 'protocol'>;
const budgetText = (p: Budget) => (p.teacherEpochs !== undefined ? `teachers ${p.teacherEpochs} epochs` : p.protocol ? `teachers of the ${p.protocol} grid` : 'converged teachers');
const budgetCell = (p: Budget) => (p.teacherEpochs !== undefined ? String(p.teacherEpochs) : p.protocol ? `${p.protocol} grid's` : 'converged');
const shareText = (x: number | undefined) => (x === undefined ? 'BPR-MF / plain: not recorded' : `BPR-MF / plain ${x.toFixed(2)}`);

/**
 * The figure: one line per series, points ordered by teacher quality, bars for the 95% interval.
 * With data sets, a data set has one colour and a backbone one dash, and every point's hover text
 * names its data set and the IDs' share; `missing` points are listed under the plot.
 */
export function payoffFigure(points: readonly PayoffPoint[], title = 'When does CKD pay off? Fused gain against teacher quality',
  missing: readonly MissingPayoffPoint[] = []): FigureSpec | undefined {
  if (points.length === 0) return undefined;
  const series = [...new Set(points.map(p => p.series))];
  // A colour per data set (and per other protocol on it), a dash and marker per backbone.
  const groupOf = (p: PayoffPoint) => `${p.dataset}|${p.protocol ?? ''}`;
  const groups = [...new Set(points.filter(p => p.dataset !== undefined).map(groupOf))];
  const models = [...new Set(points.map(p => p.model))];
  const data: ScatterTrace[] = series.map((s, k) => {
    const pts = points.filter(p => p.series === s).sort((x, y) => x.teacherRatio - y.teacherRatio);
    const first = pts[0];
    const byData = first.dataset !== undefined;
    const color = SERIES_COLORS[(byData ? groups.indexOf(groupOf(first)) : k) % SERIES_COLORS.length];
    const dash = MODEL_DASH[byData ? models.indexOf(first.model) % MODEL_DASH.length : 0];
    return {
      type: 'scatter', mode: 'lines+markers', name: byData && !first.protocol ? `${s} (${shareText(first.idShare)})` : s,
      x: pts.map(p => p.teacherRatio), y: pts.map(p => p.gain),
      text: pts.map(p => `${p.dataset ? `${p.dataset}${p.protocol ? '' : `, ${shareText(p.idShare)}`}; ` : ''}${budgetText(p)}, ${p.seeds} of ${p.seedsPlanned} seeds`),
      error_y: { type: 'data', symmetric: false, array: pts.map(p => finiteOr0(p.ci[1] - p.gain)), arrayminus: pts.map(p => finiteOr0(p.gain - p.ci[0])), color },
      line: { color, width: 2, dash }, marker: { size: 8, color, symbol: MODEL_SYMBOL[byData ? models.indexOf(first.model) % MODEL_SYMBOL.length : 0] },
    };
  });
  // The missing points under the legend, one line per series (plotly does not wrap annotations).
  const missingLines = missingBySeries(missing);
  // Below the plot: the legend, one series a line, then the missing points.
  const plotHeight = 380;
  const legendHeight = 20 * data.length;
  const bottom = 80 + legendHeight + (missingLines.length ? 20 + 16 * (missingLines.length + 1) : 0);
  const annotations = missingLines.length === 0 ? [] : [{
    text: ['missing (no seed recorded yet):', ...missingLines].join('<br>'),
    xref: 'paper', yref: 'paper', x: 0, y: -(70 + legendHeight + 10) / plotHeight, xanchor: 'left', yanchor: 'top', showarrow: false, align: 'left',
    font: { size: 11, color: '#666' },
  }];
  return {
    data,
    layout: {
      title: { text: title, x: 0.02, xanchor: 'left' },
      xaxis: { title: { text: 'best teacher / plain fused model (test Recall@20)' }, zeroline: false },
      yaxis: { title: { text: 'CKD fused gain over plain, % (95% CI over seeds)' }, zeroline: true },
      legend: { orientation: 'v', x: 0, xanchor: 'left', y: -62 / plotHeight, yanchor: 'top' },
      annotations,
      width: 900, height: plotHeight + 50 + bottom, margin: { l: 70, r: 20, t: 50, b: bottom },
      plot_bgcolor: '#ffffff', paper_bgcolor: '#ffffff',
    },
    config: { displaylogo: false, responsive: false },
  };
}

/** A 95% interval as text; '-' where it has no width to show (one seed). */
function ciText(ci: readonly [number, number]): string {
  return Number.isFinite(ci[0]) && Number.isFinite(ci[1]) ? `${ci[0].toFixed(1)} to ${ci[1].toFixed(1)}` : '- (one seed)';
}

/** The figure's numbers, one row per point, then one per missing point (its numbers '-'). */
export function payoffTable(points: readonly PayoffPoint[], missing: readonly MissingPayoffPoint[] = []): ResultTable {
  const seedsText = (done: number, planned: number) => (done < planned ? `${done} of ${planned}` : String(done));
  const rows: CellValue[][] = [
    ...points.map(p => [p.series, budgetCell(p), seedsText(p.seeds, p.seedsPlanned),
      p.idShare ?? NaN, p.teacherRatio, p.gain, ciText(p.ci)]),
    ...missing.map(m => [m.series, budgetCell(m), `missing (0 of ${m.seedsPlanned})`,
      NaN, NaN, NaN, '-']),
  ];
  return {
    title: 'When does CKD pay off: fused gain against the teachers\' quality',
    columns: ['series', 'teacher epochs', 'seeds', 'BPR-MF / plain', 'teacher / plain', 'gain%', 'gain% 95% CI'],
    formats: ['text', 'text', 'text', 'metric', 'metric', 'percent', 'text'], rows,
    notes: [
      'teacher / plain: the better uni-modal teacher\'s test Recall@20 (on its own channel) over the plain fused model\'s, mean over seeds',
      'BPR-MF / plain: the IDs\' share, BPR-MF\'s test Recall@20 over the plain fused model\'s on the data set (means over seeds; \'-\' until both are recorded)',
      'seeds: those with CKD, plain and both teachers recorded; missing: none yet (the point is not drawn)',
    ],
  };
}

/** 'vbpr · weak-ids: teachers 5, 10 epochs, converged', one line per series with missing points. */
function missingBySeries(missing: readonly MissingPayoffPoint[]): string[] {
  const series = [...new Set(missing.map(m => m.series))];
  return series.map(s => {
    const of = missing.filter(m => m.series === s);
    const epochs = of.map(m => m.teacherEpochs).filter((e): e is number => e !== undefined);
    const rest = of.filter(m => m.teacherEpochs === undefined).map(m => (m.protocol ? `the ${m.protocol} grid's teachers` : 'converged'));
    const parts = [...(epochs.length ? [`teachers ${epochs.join(', ')} epochs`] : []), ...rest];
    return `${s}: ${parts.join(', ')}`;
  });
}

function finiteOr0(x: number): number {
  return Number.isFinite(x) ? x : 0;
}
