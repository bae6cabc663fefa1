/**
 * Line figures of per-epoch numbers kept in training histories: the gradient probe's quantities
 * (EpochRecord.probe: shared factor, S^m, gradient norms; Section 2.4) and a method's diagnostics
 * (EpochRecord.diagnostics: CKD's lambda_m, rho_m, gamma_m).
 */
import { CkdError } from '../errors';
import { EpochRecord } from '../train/trainer';
import { FigureSpec, ScatterTrace } from './figures';

export interface HistorySeries {
  name: string;
  history: readonly EpochRecord[];
  field: 'probe' | 'diagnostics';
  key: string;
  color?: string;
  dash?: 'solid' | 'dash' | 'dot' | 'dashdot';
}

/** The (epoch, value) points of one series; epochs without the value are skipped. */
export function seriesPoints(s: HistorySeries): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  for (const rec of s.history) {
    const v = rec[s.field]?.[s.key];
    if (v === undefined || !Number.isFinite(v)) continue;
    x.push(rec.epoch);
    y.push(v);
  }
  return { x, y };
}

export function historyFigure(series: readonly HistorySeries[], opts: { title: string; yTitle: string; logY?: boolean; width?: number; height?: number }): FigureSpec {
  const data: ScatterTrace[] = [];
  for (const s of series) {
    const p = seriesPoints(s);
    if (p.x.length === 0) continue;
    data.push({ type: 'scatter', mode: 'lines+markers', name: s.name, x: p.x, y: p.y, line: { color: s.color, dash: s.dash ?? 'solid', width: 2 }, marker: { size: 4, color: s.color } });
  }
  if (data.length === 0) throw new CkdError(`figure '${opts.title}': none of the histories has ${series.map(s => `${s.field}.${s.key}`).join(', ')}`);
  return {
    data,
    layout: {
      title: { text: opts.title, x: 0.02, xanchor: 'left' },
      xaxis: { title: { text: 'epoch' }, zeroline: false },
      yaxis: { title: { text: opts.yTitle }, ...(opts.logY ? { type: 'log' } : {}) },
      legend: { orientation: 'h', x: 0, xanchor: 'left', y: -0.18, yanchor: 'top' },
      width: opts.width ?? 900, height: opts.height ?? 480,
      margin: { l: 70, r: 20, t: 50, b: 40 }, plot_bgcolor: '#ffffff', paper_bgcolor: '#ffffff',
    },
    config: { displaylogo: false, responsive: false },
  };
}
