/**
 * One self-contained HTML report: headings, paragraphs, tables (ResultTable or DataFrame) and
 * plotly figures, with plotly.js inlined once (it opens offline), and the provenance of the runs.
 */
import type { DataFrame } from 'danfojs-node';
import * as fs from 'fs';
import * as path from 'path';
import { FigureSpec, figureHtmlFragment, plotlyScriptTag } from './figures';
import { Provenance } from './provenance';
import { ResultTable, escapeHtml, renderHtmlTable } from './tables';

export type ReportBlock =
  | { kind: 'heading'; text: string; level?: 2 | 3 }
  | { kind: 'text'; text: string }
  | { kind: 'table'; table: ResultTable | DataFrame }
  | { kind: 'figure'; figure: FigureSpec; caption?: string }
  | { kind: 'html'; html: string };

export interface Report {
  title: string;
  blocks: ReportBlock[];
  /** Where the numbers came from (one entry per distinct provenance). */
  provenance?: Provenance[];
}

const STYLE = `
body{font-family:system-ui,-apple-system,"DejaVu Sans",sans-serif;margin:2rem auto;max-width:1200px;color:#222;padding:0 1rem}
table{border-collapse:collapse;margin:1rem 0;font-size:13px}
caption{font-weight:600;text-align:left;padding:.3rem 0}
th,td{border-bottom:1px solid #ddd;padding:3px 8px;white-space:nowrap}
th{background:#f4f4f4}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
ul.notes{font-size:12px;color:#555}
figure{margin:1rem 0}
figcaption{font-size:13px;color:#444}
pre{background:#f7f7f7;padding:.5rem;font-size:12px;overflow-x:auto}
`;

/** The report as one HTML string. */
export function reportHtml(report: Report): string {
  const hasFigure = report.blocks.some(b => b.kind === 'figure');
  const body: string[] = [`<h1>${escapeHtml(report.title)}</h1>`];
  let n = 0;
  for (const b of report.blocks) {
    switch (b.kind) {
      case 'heading': body.push(`<h${b.level ?? 2}>${escapeHtml(b.text)}</h${b.level ?? 2}>`); break;
      case 'text': body.push(...b.text.split(/\n\s*\n/).map(p => `<p>${escapeHtml(p.trim())}</p>`)); break;
      case 'table': body.push(renderHtmlTable(b.table)); break;
      case 'figure':
        body.push(`<figure>${figureHtmlFragment(b.figure, { id: `report-figure-${n++}` })}` +
          `${b.caption ? `<figcaption>${escapeHtml(b.caption)}</figcaption>` : ''}</figure>`);
        break;
      case 'html': body.push(b.html); break;
    }
  }
  if (report.provenance && report.provenance.length > 0) {
    body.push('<h2>Provenance</h2>');
    body.push(`<pre>${escapeHtml(report.provenance.map(p => JSON.stringify(p, null, 1)).join('\n'))}</pre>`);
  }
  body.push(`<p style="font-size:11px;color:#888">written ${escapeHtml(new Date().toISOString())}</p>`);
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(report.title)}</title>\n` +
    `<style>${STYLE}</style>\n${hasFigure ? plotlyScriptTag() + '\n' : ''}</head>\n<body>\n${body.join('\n')}\n</body></html>\n`;
}

/** Writes the report to a file (folders created); returns the path. */
export function writeReport(file: string, report: Report): string {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, reportHtml(report));
  fs.renameSync(tmp, file);
  return file;
}
