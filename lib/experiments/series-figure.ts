/**
 * Line figures of per-epoch numbers kept in training histories: the gradient probe's quantities
 * (EpochRecord.probe: shared factor, S^m, gradient norms; Section 2.4) and a method's diagnostics
 * (EpochRecord.diagnostics: CKD's lambda_m, rho_m, gamma_m); and line figures of any series
 * (linesFigure), e.g. loss terms per training step.
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
  const lines: Line[] = series.map(s => ({ name: s.name, ...seriesPoints(s), color: s.color, dash: s.dash }));
  if (lines.every(l => l.x.length === 0)) {
    throw new CkdError(`figure '${opts.title}': none of the histories has ${series.map(s => `${s.field}.${s.key}`).join(', ')}`);
  }
  return linesFigure(lines, { ...opts, xTitle: 'epoch' });
}

/** One curve of a line figure: its points, and how it is drawn. */
export interface Line {
  name: string;
  x: number[];
  y: number[];
  color?: string;
  dash?: 'solid' | 'dash' | 'dot' | 'dashdot';
}

/**
 * A line figure of any (x, y) series, e.g. loss terms per training step; lines without points
 * are left out. historyFigure is this with x = epoch.
 */
export function linesFigure(lines: readonly Line[], opts: { title: string; xTitle: string; yTitle: string; logY?: boolean; width?: number; height?: number }): FigureSpec {
  const data: ScatterTrace[] = [];
  for (const l of lines) {
    if (l.x.length !== l.y.length) throw new CkdError(`figure '${opts.title}': line '${l.name}' has ${l.x.length} x and ${l.y.length} y values`);
    if (l.x.length === 0) continue;
    data.push({ type: 'scatter', mode: 'lines+markers', name: l.name, x: l.x, y: l.y, line: { color: l.color, dash: l.dash ?? 'solid', width: 2 }, marker: { size: 4, color: l.color } });
  }
  if (data.length === 0) throw new CkdError(`figure '${opts.title}': no line has points`);
  return {
    data,
    layout: {
      title: { text: opts.title, x: 0.02, xanchor: 'left' },
      xaxis: { title: { text: opts.xTitle }, zeroline: false },
      yaxis: { title: { text: opts.yTitle }, ...(opts.logY ? { type: 'log' } : {}) },
      legend: { orientation: 'h', x: 0, xanchor: 'left', y: -0.18, yanchor: 'top' },
      width: opts.width ?? 900, height: opts.height ?? 480,
      margin: { l: 70, r: 20, t: 50, b: 40 }, plot_bgcolor: '#ffffff', paper_bgcolor: '#ffffff',
    },
    config: { displaylogo: false, responsive: false },
  };
}
