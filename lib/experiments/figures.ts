/**
 * Figures as plotly specs (plain JSON: data + layout), standalone HTML files that carry the
 * plotly.js bundle inline (no CDN: it works offline and in CI), and PNG screenshots of those files
 * through headless Chromium when it is installed.
 *
 * Figure 1 of the paper (the pilot study): validation Recall@20 over epochs of the multimodal
 * model (solid), of its text and visual channels (the multimodal model evaluated with the other
 * modality replaced by its mean; dashed), and of the text-only and visual-only models (solid, in
 * the channel's colour). The shaded band between each uni-modal model and the matching channel is
 * the under-optimisation the paper is about.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { CkdError } from '../errors';
import { ModalityMask } from '../models/backbone';
import { EpochRecord, TrainResult } from '../train/trainer';

/** A plotly scatter trace (the subset this project uses; plotly accepts any of its attributes). */
export interface ScatterTrace {
  type: 'scatter';
  x: number[];
  y: number[];
  name: string;
  mode?: 'lines' | 'markers' | 'lines+markers';
  line?: { color?: string; dash?: 'solid' | 'dash' | 'dot' | 'dashdot'; width?: number; shape?: 'linear' | 'spline' };
  marker?: { color?: string; size?: number; symbol?: string };
  fill?: 'none' | 'toself' | 'tonexty' | 'tozeroy';
  fillcolor?: string;
  showlegend?: boolean;
  legendgroup?: string;
  hoverinfo?: string;
  [attribute: string]: unknown;
}

/** A plotly figure: what Plotly.newPlot(div, data, layout, config) takes. */
export interface FigureSpec {
  data: ScatterTrace[];
  layout: Record<string, unknown>;
  config?: Record<string, unknown>;
}

export const COLORS = {
  all: '#222222',
  text: '#1f77b4',
  visual: '#d62728',
  textFill: 'rgba(31,119,180,0.18)',
  visualFill: 'rgba(214,39,40,0.18)',
} as const;

export type CurveMetric = 'recall' | 'ndcg' | 'precision';

type History = TrainResult | readonly EpochRecord[];

function historyOf(h: History): readonly EpochRecord[] {
  return Array.isArray(h) ? h as readonly EpochRecord[] : (h as TrainResult).history;
}

/** The validation curve of one mask: (epoch, metric@k) at every validated epoch. */
export function valCurve(h: History, mask: ModalityMask, metric: CurveMetric = 'recall', k = 20): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  for (const rec of historyOf(h)) {
    const e = rec.val?.[mask];
    if (!e) continue;
    const v = e[metric][k];
    if (v === undefined) throw new CkdError(`figure: epoch ${rec.epoch} has no validation ${metric}@${k} (have k = ${e.ks.join(', ')})`);
    x.push(rec.epoch);
    y.push(v);
  }
  return { x, y };
}

/**
 * A closed polygon between two curves over the epochs both have, as a filled trace
 * (fill 'toself'): robust to curves of different lengths (early stopping) or grids.
 */
export function bandBetween(a: { x: number[]; y: number[] }, b: { x: number[]; y: number[] }, name: string, fillcolor: string,
  legendgroup?: string): ScatterTrace {
  const yb = new Map(b.x.map((e, i) => [e, b.y[i]]));
  const xs: number[] = [];
  const ya: number[] = [];
  const ybs: number[] = [];
  a.x.forEach((e, i) => {
    if (yb.has(e)) { xs.push(e); ya.push(a.y[i]); ybs.push(yb.get(e)!); }
  });
  return {
    type: 'scatter', name, mode: 'lines', x: [...xs, ...xs.slice().reverse()], y: [...ya, ...ybs.reverse()],
    fill: 'toself', fillcolor, line: { width: 0, color: fillcolor }, hoverinfo: 'skip', showlegend: true,
    ...(legendgroup ? { legendgroup } : {}),
  };
}

export interface Figure1Input {
  /** The multimodal model's training (history with val metrics under 'all', 'text', 'visual'). */
  multimodal: History;
  /** The model trained on text alone (its 'text' curve is used). */
  textOnly?: History;
  /** The model trained on visual features alone (its 'visual' curve is used). */
  visualOnly?: History;
  title?: string;
  metric?: CurveMetric;
  k?: number;
  width?: number;
  height?: number;
}

const METRIC_LABEL: Record<CurveMetric, string> = { recall: 'Recall', ndcg: 'NDCG', precision: 'Precision' };

/** Trace names of Figure 1, for finding them in a spec. */
export const FIGURE1_TRACES = {
  gapText: 'gap: text-only model vs text channel',
  gapVisual: 'gap: visual-only model vs visual channel',
  all: 'multimodal (all features)',
  textChannel: 'multimodal, text channel',
  visualChannel: 'multimodal, visual channel',
  textOnly: 'text-only model',
  visualOnly: 'visual-only model',
} as const;

/** Figure 1 (pilot study) from training histories; the shaded gaps come first so lines draw over them. */
export function figure1(input: Figure1Input): FigureSpec {
  const metric = input.metric ?? 'recall';
  const k = input.k ?? 20;
  const all = valCurve(input.multimodal, 'all', metric, k);
  if (all.x.length === 0) throw new CkdError('figure 1: the multimodal history has no validation epochs');
  const text = valCurve(input.multimodal, 'text', metric, k);
  const visual = valCurve(input.multimodal, 'visual', metric, k);
  const textOnly = input.textOnly ? valCurve(input.textOnly, 'text', metric, k) : undefined;
  const visualOnly = input.visualOnly ? valCurve(input.visualOnly, 'visual', metric, k) : undefined;
  const T = FIGURE1_TRACES;
  const line = (name: string, c: { x: number[]; y: number[] }, color: string, dash: 'solid' | 'dash', width: number, rank: number): ScatterTrace =>
    ({ type: 'scatter', mode: 'lines+markers', name, x: c.x, y: c.y, line: { color, dash, width }, marker: { color, size: 5 }, legendrank: rank });
  const band = (a: { x: number[]; y: number[] }, b: { x: number[]; y: number[] }, name: string, fill: string, rank: number) =>
    ({ ...bandBetween(a, b, name, fill), legendrank: rank });
  // Legend order (legendrank): all; text channel, text-only, text gap; the same for visual.
  const data: ScatterTrace[] = [];
  if (textOnly) data.push(band(textOnly, text, T.gapText, COLORS.textFill, 4));
  if (visualOnly) data.push(band(visualOnly, visual, T.gapVisual, COLORS.visualFill, 7));
  data.push(line(T.all, all, COLORS.all, 'solid', 2.5, 1));
  data.push(line(T.textChannel, text, COLORS.text, 'dash', 2, 2));
  data.push(line(T.visualChannel, visual, COLORS.visual, 'dash', 2, 5));
  if (textOnly) data.push(line(T.textOnly, textOnly, COLORS.text, 'solid', 2, 3));
  if (visualOnly) data.push(line(T.visualOnly, visualOnly, COLORS.visual, 'solid', 2, 6));
  const label = `validation ${METRIC_LABEL[metric]}@${k}`;
  return {
    data,
    layout: {
      title: { text: input.title ?? `${label[0].toUpperCase()}${label.slice(1)} over epochs`, x: 0.02, xanchor: 'left' },
      xaxis: { title: { text: 'epoch' }, zeroline: false },
      yaxis: { title: { text: label }, rangemode: 'tozero' },
      legend: { orientation: 'h', x: 0, xanchor: 'left', y: -0.16, yanchor: 'top' },
      width: input.width ?? 960,
      height: input.height ?? 600,
      margin: { l: 70, r: 20, t: 50, b: 40 },
      plot_bgcolor: '#ffffff',
      paper_bgcolor: '#ffffff',
    },
    config: { displaylogo: false, responsive: false },
  };
}

// ---------------------------------------------------------------------------------------------
// HTML

export interface PlotlyBundle {
  version: string;
  file: string;
  source: string;
}

let bundle: PlotlyBundle | undefined;

/**
 * plotly.js-dist's browser bundle, read once from node_modules: plotly.min.js when the installed
 * version ships one, else plotly.js (4.x ships only the unminified bundle, ~10 MB).
 */
export function plotlyBundle(): PlotlyBundle {
  if (!bundle) {
    let pkgJson: string;
    try {
      pkgJson = require.resolve('plotly.js-dist/package.json');
    } catch {
      throw new CkdError('plotly.js-dist is not installed: run npm ci');
    }
    const dir = path.dirname(pkgJson);
    const file = ['plotly.min.js', 'plotly.js'].map(f => path.join(dir, f)).find(f => fs.existsSync(f));
    if (!file) throw new CkdError(`plotly.js-dist at ${dir} has neither plotly.min.js nor plotly.js`);
    const version = JSON.parse(fs.readFileSync(pkgJson, 'utf8')).version as string;
    // '</script' inside an inline script would end it; in JavaScript '<\/script' means the same.
    const source = fs.readFileSync(file, 'utf8').replace(/<\/script/gi, '<\\/script');
    bundle = { version, file, source };
  }
  return bundle;
}

/** A <script> element defining window.Plotly (inline bundle). Emit once per page or notebook. */
export function plotlyScriptTag(): string {
  const b = plotlyBundle();
  return `<script type="text/javascript">/* plotly.js-dist ${b.version}, inlined */\n${b.source}\n</script>`;
}

/** JSON safe inside <script>: no '</script>', no '<!--'. */
export function scriptJson(x: unknown): string {
  return JSON.stringify(x).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

let fragmentCounter = 0;

/**
 * A <div> plus the script that draws the figure into it. It expects window.Plotly (from
 * plotlyScriptTag, once per page); with includeBundle it carries the bundle itself (~10 MB).
 * In a notebook: display.html(plotlyScriptTag()) once, then display.html(figureHtmlFragment(spec)).
 */
export function figureHtmlFragment(spec: FigureSpec, opts: { id?: string; includeBundle?: boolean } = {}): string {
  const id = opts.id ?? `ckd-fig-${process.pid}-${Date.now().toString(36)}-${fragmentCounter++}`;
  const w = typeof spec.layout.width === 'number' ? `width:${spec.layout.width}px;` : '';
  const h = typeof spec.layout.height === 'number' ? `height:${spec.layout.height}px;` : '';
  const draw = `<script type="text/javascript">(function(){var s=${scriptJson(spec)};` +
    `var el=document.getElementById(${JSON.stringify(id)});` +
    `if(typeof Plotly==='undefined'){el.textContent='plotly.js is not loaded: display plotlyScriptTag() first';return;}` +
    `Plotly.newPlot(el,s.data,s.layout,s.config||{});})();</script>`;
  return `${opts.includeBundle ? plotlyScriptTag() + '\n' : ''}<div id="${id}" class="ckd-figure" style="${w}${h}"></div>\n${draw}`;
}

/** A standalone HTML page for one figure, plotly.js inlined (opens offline). */
export function figureHtmlPage(spec: FigureSpec, title = 'figure'): string {
  const { width, height } = spec.layout;
  const size = typeof width === 'number' && typeof height === 'number' ? `<meta name="ckd-figure-size" content="${width}x${height}">\n` : '';
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeText(title)}</title>\n${size}` +
    // file.html#static (writeFigurePng) hides plotly's mode bar for the screenshot.
    `<style>html,body{margin:0;padding:0;background:#fff;}html.static .modebar-container{display:none}</style>\n` +
    `<script>if(location.hash==='#static')document.documentElement.className='static';</script>\n` +
    `${plotlyScriptTag()}\n</head>\n` +
    `<body>\n${figureHtmlFragment(spec, { id: 'figure' })}\n</body></html>\n`;
}

/** Writes the standalone HTML page of a figure; returns the file path. */
export function writeFigureHtml(spec: FigureSpec, file: string, title?: string): string {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, figureHtmlPage(spec, title ?? path.basename(file, path.extname(file))));
  return file;
}

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// ---------------------------------------------------------------------------------------------
// PNG through headless Chromium

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** The Chromium to use: $CKD_CHROMIUM, else the first of CHROMIUM_CANDIDATES present; undefined if none. */
export function findChromium(): string | undefined {
  const env = process.env.CKD_CHROMIUM;
  if (env) return fs.existsSync(env) ? env : undefined;
  return CHROMIUM_CANDIDATES.find(f => fs.existsSync(f));
}

/**
 * What writeFigurePng did. One interface rather than a union discriminated by `written`: tslab
 * compiles notebook cells without strictNullChecks, where such a union does not narrow.
 */
export interface PngResult {
  written: boolean;
  /** The PNG, when written. */
  file?: string;
  chromium?: string;
  seconds?: number;
  /** Why nothing was written (no Chromium), when not written. */
  skipped?: string;
}

export interface PngOptions {
  /** Window size; default the figure's layout size (writeFigureHtml records it), else 960 x 600. */
  width?: number;
  height?: number;
  timeoutMs?: number;
  chromium?: string;
}

/**
 * Screenshots an HTML file (from writeFigureHtml) to a PNG with headless Chromium. Without a
 * Chromium it writes nothing and returns { written: false, skipped } with the reason (install
 * Debian's chromium); a Chromium that fails is an error.
 */
export async function writeFigurePng(htmlFile: string, pngFile: string, opts: PngOptions = {}): Promise<PngResult> {
  const chromium = opts.chromium ?? findChromium();
  if (!chromium) {
    return {
      written: false,
      skipped: `PNG skipped: no headless Chromium found (looked at ${process.env.CKD_CHROMIUM ? `$CKD_CHROMIUM=${process.env.CKD_CHROMIUM}` : CHROMIUM_CANDIDATES.join(', ')}); ` +
        `on Debian: apt-get install chromium, or set CKD_CHROMIUM. The HTML file ${htmlFile} is the figure.`,
    };
  }
  if (!fs.existsSync(htmlFile)) throw new CkdError(`writeFigurePng: no such file ${htmlFile}`);
  const out = path.resolve(pngFile);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  if (fs.existsSync(out)) fs.unlinkSync(out);
  const size = recordedSize(htmlFile);
  const width = opts.width ?? size?.width ?? 960;
  const height = opts.height ?? size?.height ?? 600;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-chromium-'));
  const args = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--no-first-run', '--no-default-browser-check', '--hide-scrollbars', '--disable-extensions', '--mute-audio',
    `--user-data-dir=${profile}`, `--window-size=${width},${height}`,
    '--virtual-time-budget=5000', `--screenshot=${out}`, `${pathToFileURL(path.resolve(htmlFile)).href}#static`,
  ];
  const t0 = Date.now();
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(chromium, args, { timeout: opts.timeoutMs ?? 60000, maxBuffer: 16 << 20 }, (err, _stdout, stderr) => {
        if (err) reject(new CkdError(`writeFigurePng: ${chromium} failed (${err.message.split('\n')[0]}): ${lastLines(String(stderr), 5)}`));
        else resolve();
      });
    });
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
  if (!fs.existsSync(out) || fs.statSync(out).size === 0) throw new CkdError(`writeFigurePng: ${chromium} exited but wrote no ${out}`);
  return { written: true, file: pngFile, chromium, seconds: (Date.now() - t0) / 1000 };
}

/** The figure size writeFigureHtml recorded in the page's head, if any. */
function recordedSize(htmlFile: string): { width: number; height: number } | undefined {
  const fd = fs.openSync(htmlFile, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const m = /<meta name="ckd-figure-size" content="(\d+)x(\d+)">/.exec(buf.subarray(0, n).toString('utf8'));
    return m ? { width: Number(m[1]), height: Number(m[2]) } : undefined;
  } finally {
    fs.closeSync(fd);
  }
}

function lastLines(s: string, n: number): string {
  return s.trim().split('\n').slice(-n).join(' | ');
}
