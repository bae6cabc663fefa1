/**
 * When does CKD pay off? CKD's fused gain over the plain backbone (mean over seeds, with its 95%
 * t interval) against how good its teachers are relative to the plain fused model: the better
 * teacher's test Recall@20 divided by plain's, per seed, then averaged. The teachers' quality is
 * varied by stopping them after a few epochs (the preset's payoff budgets) or letting them
 * converge (the grid's own teachers); a second axis is the data set (the generator's settings),
 * one series per backbone and data set.
 *
 * Reading: points to the left have teachers far below the fused model, so there is little for
 * the student to learn; our first grid's short protocol sat there.
 */
import { MODALITIES } from '../data/dataset';
import { COLORS, FigureSpec, ScatterTrace } from './figures';
import { configKey } from './result-store';
import type { ReproductionView } from './reproduce';
import { planCells } from './reproduce-plan';
import { RunCell, RunRecord, teacherCells } from './run-cell';
import { pairedTTest } from './summary';
import { CellValue, ResultTable } from './tables';

export interface PayoffPoint {
  /** Series label: backbone, and data set where several are shown. */
  series: string;
  model: string;
  /** Teachers' epoch budget; undefined = converged (the grid's teachers). */
  teacherEpochs?: number;
  seeds: number;
  /** Mean over seeds of max(teacher test R@20) / plain fused test R@20. */
  teacherRatio: number;
  /** CKD's fused gain over plain, percent of plain, and its 95% interval. */
  gain: number;
  ci: [number, number];
}

const fusedRecall = (r: RunRecord) => r.result.test.all.recall20;

/** The payoff experiment's points for one results folder (view), converged teachers included. */
export function payoffPoints(v: ReproductionView, label = ''): PayoffPoint[] {
  const p = v.preset.payoff;
  if (!p) return [];
  const cells = planCells(v.preset, v.dataset.fingerprint, p.models, v.store).map(c => c.cell);
  const out: PayoffPoint[] = [];
  for (const model of p.models) {
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
      if (a.length === 0) continue;
      const t = pairedTTest(a, b, 'two-sided', 'seeds');
      const pct = (x: number) => 100 * x / t.meanB;
      out.push({
        series: label ? `${model} (${label})` : model, model, ...(budget !== undefined ? { teacherEpochs: budget } : {}),
        seeds: a.length, teacherRatio: ratios.reduce((s, x) => s + x, 0) / ratios.length,
        gain: pct(t.meanDiff), ci: [pct(t.ci95[0]), pct(t.ci95[1])],
      });
    }
  }
  return out;
}

/** A teacher's quality: its own modality's channel (it was trained with the other ablated). */
function fusedOrOwn(t: RunRecord): number {
  const mode = t.config.mode;
  return mode === 'text-only' ? t.result.test.text.recall20 : mode === 'visual-only' ? t.result.test.visual.recall20 : fusedRecall(t);
}

/** The plain multimodal cell of the same backbone, seed and settings as a CKD cell. */
function plainOf(c: RunCell): RunCell {
  const { teacherLr: _lr, teacherEpochs: _e, ...rest } = c;
  return { ...rest, method: 'plain', methodOptions: {} };
}

const SERIES_COLORS = [COLORS.text, COLORS.visual, '#2ca02c', '#9467bd', '#8c564b', '#ff7f0e'];

export function payoffFigure(points: readonly PayoffPoint[], title = 'When does CKD pay off? Fused gain against teacher quality'): FigureSpec | undefined {
  if (points.length === 0) return undefined;
  const series = [...new Set(points.map(p => p.series))];
  const data: ScatterTrace[] = series.map((s, k) => {
    const pts = points.filter(p => p.series === s).sort((x, y) => x.teacherRatio - y.teacherRatio);
    const color = SERIES_COLORS[k % SERIES_COLORS.length];
    return {
      type: 'scatter', mode: 'lines+markers', name: s,
      x: pts.map(p => p.teacherRatio), y: pts.map(p => p.gain),
      text: pts.map(p => `${p.teacherEpochs === undefined ? 'converged teachers' : `teachers ${p.teacherEpochs} epochs`}, ${p.seeds} seeds`),
      error_y: { type: 'data', symmetric: false, array: pts.map(p => finiteOr0(p.ci[1] - p.gain)), arrayminus: pts.map(p => finiteOr0(p.gain - p.ci[0])), color },
      line: { color, width: 2 }, marker: { size: 7, color },
    };
  });
  return {
    data,
    layout: {
      title: { text: title, x: 0.02, xanchor: 'left' },
      xaxis: { title: { text: 'best teacher / plain fused model (test Recall@20)' }, zeroline: false },
      yaxis: { title: { text: 'CKD fused gain over plain, % (95% CI over seeds)' }, zeroline: true },
      legend: { orientation: 'h', x: 0, xanchor: 'left', y: -0.18, yanchor: 'top' },
      width: 900, height: 480, margin: { l: 70, r: 20, t: 50, b: 40 }, plot_bgcolor: '#ffffff', paper_bgcolor: '#ffffff',
    },
    config: { displaylogo: false, responsive: false },
  };
}

export function payoffTable(points: readonly PayoffPoint[]): ResultTable {
  const rows: CellValue[][] = points.map(p => [p.series, p.teacherEpochs === undefined ? 'converged' : String(p.teacherEpochs), p.seeds, p.teacherRatio, p.gain, `${p.ci[0].toFixed(1)} to ${p.ci[1].toFixed(1)}`]);
  return {
    title: 'When does CKD pay off: fused gain against the teachers\' quality',
    columns: ['series', 'teacher epochs', 'seeds', 'teacher / plain', 'gain%', 'gain% 95% CI'],
    formats: ['text', 'text', 'int', 'metric', 'percent', 'text'], rows,
    notes: ['teacher / plain: the better uni-modal teacher\'s test Recall@20 (on its own channel) over the plain fused model\'s, mean over seeds'],
  };
}

function finiteOr0(x: number): number {
  return Number.isFinite(x) ? x : 0;
}
