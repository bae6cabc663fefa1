/**
 * What the notebooks share, so that each stays a few readable cells: open the data (openDataset)
 * and the results folder of a preset, run the cells a section needs (resumably, in the same store as
 * `ckd reproduce`), and turn figures and tables into something a notebook can display.
 * Nothing here imports tslab: the notebook passes what it displays to tslab.display.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Dataset } from '../data/dataset';
import { loadDataset, writeDataset } from '../data/loaders';
import { initEngine } from '../engine/backend';
import { popularityBaseline } from '../eval/popularity';
import { synthesizeDataset } from '../synth/synthesize';
import { FigureSpec, figureHtmlFragment, plotlyScriptTag, writeFigureHtml, writeFigurePng } from './figures';
import { PROJECT_ROOT, Provenance, provenance } from './provenance';
import { ReproducePreset, Section, presetByName, sectionCells } from './reproduce-plan';
import { ReproductionView } from './reproduce';
import { configKey } from './result-store';
import { openResultsStore } from './results-folder';
import { runOrReuseCell } from './run-cell';

export { protocolText } from './reproduce';

export interface NotebookSession extends ReproductionView {
  data: Dataset;
  outDir: string;
  provenance: Provenance;
  /** Whether runSection trains the cells a section lacks (OpenOptions.train). */
  train: boolean;
}

export interface OpenOptions {
  /** A data folder (real Amazon data in LATTICE or MMRec layout), relative to the project folder or absolute; empty: the embedded default, generated once into data/default. */
  data?: string;
  quick: boolean;
  /** Results folder, relative to the project folder or absolute; default results/<preset>-<data set name> (shared with `ckd reproduce`). */
  out?: string;
  /** false: the sections train nothing and show what the results folder holds (default true). */
  train?: boolean;
}

/**
 * The data set a notebook works on: the folder `data` (real Amazon data in LATTICE or MMRec layout),
 * or, when empty, the embedded default, generated once into data/default. Warnings go to console.warn.
 */
export function openDataset(data?: string): Dataset {
  const given = data !== undefined && data.trim() !== '';
  const dir = given ? fromProject(data) : path.join(PROJECT_ROOT, 'data', 'default');
  if (!given && !fs.existsSync(dir)) writeDataset(synthesizeDataset('default', 1), dir, 'lattice');
  return loadDataset(dir, { warn: m => console.warn(`warning: ${m}`) });
}

/**
 * A folder a notebook was given, relative to the project folder (or absolute): the kernel runs in
 * notebooks/, but a reader names folders as `ckd` and the README do, from the project folder.
 */
export function fromProject(p: string): string {
  return path.resolve(PROJECT_ROOT, p);
}

export async function openReproduction(o: OpenOptions): Promise<NotebookSession> {
  const data = openDataset(o.data);
  const preset: ReproducePreset = presetByName(o.quick ? 'quick' : 'full');
  const outDir = fromProject(o.out && o.out.trim() !== '' ? o.out : path.join('results', `${preset.name}-${data.name}`));
  const prov = provenance(data, await initEngine({ quiet: true }));
  const store = openResultsStore(outDir); // store.jsonl and any shards' files, merged
  const mostPop = await popularityBaseline(data, 'test', [20]);
  return { data, preset, outDir, provenance: prov, store, mostPop, dataset: { name: data.name, fingerprint: prov.dataset.fingerprint }, train: o.train ?? true };
}

/**
 * Trains what the section needs and is not in the store yet; one line per cell. With training off
 * (OpenOptions.train false) it only says how many of the section's cells are recorded.
 */
export async function runSection(s: NotebookSession, section: Section, log: (line: string) => void = console.log): Promise<void> {
  const t0 = Date.now();
  const o = {
    store: s.store, teachersDir: path.join(s.outDir, 'teachers'), provenance: s.provenance,
    log: (line: string) => log(`  ${line} (${((Date.now() - t0) / 1000).toFixed(0)} s)`),
  };
  // Planned again after each cell: a preset that selects learning rates plans more cells as it goes.
  for (let first = true; ; first = false) {
    const cells = sectionCells(s.preset, s.dataset.fingerprint, section, s.store);
    const todo = cells.filter(c => !s.store.has(configKey(c.cell)));
    const recorded = `${section}: ${cells.length} cells, ${cells.length - todo.length} already in ${path.relative(process.cwd(), s.store.file)}`;
    if (!s.train) {
      log(`${recorded}, ${todo.length} not recorded and not trained (TRAIN is off: what follows shows the recorded cells only)`);
      return;
    }
    if (first) log(`${recorded}, ${todo.length} to train`);
    if (todo.length === 0) return;
    await runOrReuseCell(s.data, todo[0].cell, o);
  }
}

/** How a figure is shown: interactive plotly HTML, or a PNG (static: for committed notebooks and viewers without JavaScript). */
export interface FigureOutput { html?: string; png?: Buffer }

let plotlyShown = false;

/**
 * A figure for display. With CKD_STATIC_FIGURES=1 (how the committed notebooks are executed) it is
 * a PNG through headless Chromium; otherwise plotly HTML, the library inlined with the first figure.
 */
export async function figureOutput(spec: FigureSpec): Promise<FigureOutput> {
  if (process.env.CKD_STATIC_FIGURES === '1') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-figure-'));
    try {
      const html = writeFigureHtml(spec, path.join(dir, 'figure.html'));
      const png = await writeFigurePng(html, path.join(dir, 'figure.png'));
      if (png.file) return { png: fs.readFileSync(png.file) };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const html = (plotlyShown ? '' : plotlyScriptTag()) + figureHtmlFragment(spec);
  plotlyShown = true;
  return { html };
}
