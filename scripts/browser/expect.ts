/**
 * What the browser check expects of a notebook run in the classic notebook UI, and how it words a
 * failure: one line naming the notebook and the cell. Pure functions, tested in
 * test/browser-expect.test.ts; check.ts collects the page's state and calls them.
 */

export interface NbOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

export interface NbCell {
  cell_type: string;
  source: string | string[];
  outputs?: NbOutput[];
}

export interface Notebook {
  cells: NbCell[];
  metadata?: { kernelspec?: { name?: string } };
}

/** A cell's state in the page after "Run All". */
export interface CellState {
  /** Position in the notebook, 0-based (markdown cells count). */
  index: number;
  cellType: string;
  /** The input prompt holds an execution count. */
  executed: boolean;
  /** Still marked running. */
  running: boolean;
  /** The execute reply's status: 'ok', 'error', 'abort' (tslab) or 'aborted'; undefined before a reply. */
  status?: string;
  outputs: NbOutput[];
  /** Plotly figures with an svg.main-svg, and loaded images (naturalWidth > 0), in the cell's output area. */
  drawn: number;
  /** Figure containers that did not draw: a plotly div without svg, an image that did not load; what each shows. */
  undrawn: string[];
}

export function text(x: string | string[] | undefined): string {
  return Array.isArray(x) ? x.join('') : x ?? '';
}

const FIGURE_MIME = ['image/png', 'image/svg+xml', 'image/jpeg', 'application/vnd.plotly.v1+json'];

/** A figure output: an image, or HTML that draws a plotly figure. */
export function isFigureOutput(o: NbOutput): boolean {
  if (!o.data) return false;
  if (FIGURE_MIME.some(m => m in o.data!)) return true;
  const html = text(o.data['text/html'] as string | string[] | undefined);
  return /Plotly\.newPlot\(/.test(html);
}

/** The source without the bodies of the functions it defines (a definition shows nothing). */
export function withoutFunctionBodies(src: string): string {
  let out = '';
  let i = 0;
  const re = /\bfunction\b[^{]*\{/g;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    out += src.slice(i, m.index);
    let depth = 1;
    let j = m.index + m[0].length;
    for (; j < src.length && depth > 0; j++) {
      if (src[j] === '{') depth++;
      else if (src[j] === '}') depth--;
    }
    i = j;
    re.lastIndex = j;
  }
  return out + src.slice(i);
}

/** Calls that display a figure: the notebooks' show(spec), a plotly fragment, a PNG. */
const FIGURE_CALL = /\bawait\s+show\(|\bfigureHtmlFragment\(|\bdisplay\.(png|jpeg|svg)\(/;

/**
 * The cells that must show figures, with how many: a code cell whose source displays a figure
 * (outside a function definition), or whose committed outputs hold figures; at least one, else
 * as many as the committed outputs hold.
 */
export function expectedFigures(nb: Notebook): Map<number, number> {
  const m = new Map<number, number>();
  nb.cells.forEach((c, i) => {
    if (c.cell_type !== 'code') return;
    const committed = (c.outputs ?? []).filter(isFigureOutput).length;
    if (committed > 0 || FIGURE_CALL.test(withoutFunctionBodies(text(c.source)))) m.set(i, Math.max(1, committed));
  });
  return m;
}

function firstLine(s: string, max = 200): string {
  const line = s.split('\n').map(l => l.trim()).find(l => l.length > 0) ?? '';
  return line.length > max ? line.slice(0, max - 3) + '...' : line;
}

/** A cell named for a reader: its number as the notebook UI counts (1-based) and its first line. */
export function cellName(nb: Notebook, index: number): string {
  return `cell ${index + 1} [${firstLine(text(nb.cells[index]?.source ?? ''), 60)}]`;
}

/**
 * What the error of a failed cell says, or undefined when it did not fail. tslab answers a failing
 * cell with an execute reply of status 'error' and no error output, and writes the actual error
 * (TypeScript diagnostics, a JavaScript stack) to the cell's stderr; other kernels send an error
 * output (name, message, traceback).
 */
export function errorMessage(outputs: NbOutput[], status?: string): string | undefined {
  const err = outputs.find(o => o.output_type === 'error');
  if (!err && status !== 'error') return undefined;
  const head = err ? [err.ename, err.evalue].filter(s => s && s.trim() !== '').join(': ') : '';
  const stderr = outputs.filter(o => o.output_type === 'stream' && o.name === 'stderr').map(o => text(o.text)).join('');
  const tb = (err?.traceback ?? []).join('\n').replace(/\x1b\[[0-9;]*m/g, '');
  return firstLine(head) || errorLine(stderr) || errorLine(tb) || '(no message)';
}

/**
 * The telling line of an error text: "Error: message" (a JavaScript stack, which Node prints after
 * the source line and a caret) or "LINE:COL - message" (a TypeScript diagnostic from tslab), else the first.
 */
export function errorLine(s: string): string {
  const lines = s.split('\n').map(l => l.trim()).filter(l => l.length > 0);
  const telling = lines.find(l => /^([A-Z]\w*)?(Error|Exception)\b(:|$)/.test(l) || /^\d+:\d+ - /.test(l));
  return firstLine(telling ?? lines[0] ?? '');
}

/** The failures of one notebook's run, one line each ([] when it passed). */
export function notebookProblems(name: string, nb: Notebook, states: CellState[]): string[] {
  const problems: string[] = [];
  const expected = expectedFigures(nb);
  let failedAt: number | undefined;
  for (const s of states) {
    if (s.cellType !== 'code') continue;
    const where = `${name} ${cellName(nb, s.index)}`;
    const err = errorMessage(s.outputs, s.status);
    if (err !== undefined) {
      problems.push(`${where}: error: ${err}`);
      failedAt ??= s.index;
      continue;
    }
    if (text(nb.cells[s.index]?.source ?? '').trim() === '') continue;
    if (s.running) { problems.push(`${where}: still running`); continue; }
    if (!s.executed) {
      if (failedAt === undefined) problems.push(`${where}: did not run`);
      continue;
    }
    const want = expected.get(s.index);
    if (want !== undefined && s.drawn < want) {
      problems.push(`${where}: figure did not render (${s.drawn} of ${want} drawn` +
        (s.undrawn.length > 0 ? `; ${s.undrawn.map(u => firstLine(u, 80)).join('; ')}` : '') + ')');
    }
  }
  const skipped = failedAt === undefined ? 0 : states.filter(s => s.index > failedAt! && s.cellType === 'code' && !s.executed && !s.running).length;
  if (skipped > 0) problems.push(`${name}: ${skipped} later code cell(s) did not run after the error in ${cellName(nb, failedAt!)}`);
  return problems;
}
