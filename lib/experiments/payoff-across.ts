/**
 * The payoff figure over several results folders (`ckd payoff DIR...`): CKD's fused gain against
 * its teachers' quality (payoff.ts) with one series per backbone and data set, so that the
 * second axis, the data set's generator setting (weak-ids, default, strong-ids: how much the IDs
 * alone can rank), shows beside the first, the teachers' training budget.
 *
 * The folders' stores are read merged and their records grouped by data set (a cell's key holds
 * its data set's fingerprint): two folders of one data set (the full grid's and a payoff run's)
 * make one series, and a folder holding several data sets gives several. A data set is named as
 * its records' provenance names it. Every point comes from recorded cells of the preset (payoff
 * by default, whose cells are full's); a point with no recorded seed is listed as missing, and
 * one with some seeds says how many.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CkdError } from '../errors';
import { FigureSpec, findChromium, writeFigureHtml, writeFigurePng } from './figures';
import { MissingPayoffPoint, PayoffPoint, SeedMean, payoffFigure, payoffPrecondition, payoffState, payoffTable } from './payoff';
import { PAYOFF_AXIS, PredictionVerdict, payoffVerdictTable, payoffVerdicts } from './payoff-predictions';
import { Provenance } from './provenance';
import { PRESETS, PRESET_NAMES, ReproducePreset, presetByName } from './reproduce-plan';
import type { ReproductionView } from './reproduce';
import { writeReport } from './report';
import { ResultStore } from './result-store';
import { shardStoreFiles, storeFiles } from './results-folder';
import { RunCell, RunCellMeta, RunCellResult, RunStore, sameCellResult } from './run-cell';
import { CellValue, ResultTable, renderMarkdown } from './tables';

export interface PayoffDataSet {
  /** As the records' provenance names it (with the fingerprint where two data sets share a name). */
  name: string;
  fingerprint: string;
  /** The folders holding its records, in the order given. */
  folders: string[];
  /** The preset its folders were read under. */
  preset: string;
}

/** A results folder and the preset whose cells are read from it. */
export interface PayoffSource { dir: string; preset: ReproducePreset }

export interface PayoffAcross {
  sources: PayoffSource[];
  datasets: PayoffDataSet[];
  points: PayoffPoint[];
  missing: MissingPayoffPoint[];
  /** Per data set and backbone: BPR-MF, plain fused and the IDs' share. */
  preconditions: ResultTable;
  /** The registered predictions P1-P6, where the second axis's data sets (weak-ids, strong-ids) are read. */
  verdicts?: PredictionVerdict[];
  provenance: Provenance[];
}

/**
 * `DIR`, read under `fallback`, or `DIR@PRESET`, read under that reproduce preset: one without
 * a payoff experiment (e.g. full-short, our first grid) gives one point per backbone, CKD with
 * that grid's own teachers, as a series of its own.
 */
export function parsePayoffSource(arg: string, fallback: ReproducePreset): PayoffSource {
  const at = arg.lastIndexOf('@');
  const name = at > 0 ? arg.slice(at + 1) : '';
  if (at > 0 && (PRESET_NAMES as readonly string[]).includes(name)) return { dir: arg.slice(0, at), preset: presetByName(name) };
  return { dir: arg, preset: fallback };
}

/** Refuses what is not a results folder: one line naming it (exit code 2 in the CLI). */
export function checkResultsFolder(dir: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new CkdError(`${dir}: no such folder`);
  }
  if (!stat.isDirectory()) throw new CkdError(`${dir}: a file, not a results folder`);
  const stores = [path.join(dir, 'store.jsonl'), ...shardStoreFiles(dir).map(s => s.file)].filter(f => fs.existsSync(f));
  if (stores.length === 0) throw new CkdError(`${dir}: not a results folder (no store.jsonl or store.shard-K-of-N.jsonl in it; ckd reproduce --out DIR writes one)`);
}

/** The folders' stores read as one (never appended to). */
export function mergedStore(dirs: readonly string[], warn?: (m: string) => void): RunStore {
  dirs.forEach(checkResultsFolder);
  return new ResultStore<RunCell, RunCellResult>(path.join(dirs[0], 'store.jsonl'), {
    warn, sameResult: sameCellResult, files: () => dirs.flatMap(d => storeFiles(d)),
  });
}

/** The data sets of the folders' records, in the order the folders (then their records) name them. */
export function payoffDataSets(dirs: readonly string[], preset: string): PayoffDataSet[] {
  const out = new Map<string, { name?: string; folders: Set<string> }>();
  for (const dir of dirs) {
    const folderStore = new ResultStore<RunCell, RunCellResult>(path.join(dir, 'store.jsonl'), { warn: () => undefined, files: () => storeFiles(dir) });
    for (const r of folderStore.records()) {
      const fp = r.config.dataset;
      const entry = out.get(fp) ?? { folders: new Set<string>() };
      entry.folders.add(dir);
      entry.name ??= (r.meta as RunCellMeta | undefined)?.provenance?.dataset?.name;
      out.set(fp, entry);
    }
  }
  const named = [...out.entries()].map(([fingerprint, e]) => ({ fingerprint, name: e.name ?? fingerprint, folders: [...e.folders], preset }));
  return named.map(d => named.filter(o => o.name === d.name).length > 1 ? { ...d, name: `${d.name} (${d.fingerprint})` } : d);
}

/**
 * The payoff experiment on every data set of the folders. Each folder is read under its source's
 * preset (payoff by default: `sources` given as plain folders); the folders of one preset are
 * read merged.
 */
export function payoffAcross(sources: readonly (string | PayoffSource)[], preset: ReproducePreset = PRESETS.payoff, warn?: (m: string) => void): PayoffAcross {
  if (sources.length === 0) throw new CkdError('ckd payoff needs at least one results folder: ckd payoff RESULTS_DIR... [--out DIR]');
  if (!preset.payoff) throw new CkdError(`preset ${preset.name} has no payoff experiment (use payoff or full)`);
  const given = sources.map(s => (typeof s === 'string' ? { dir: s, preset } : s));
  given.forEach(s => checkResultsFolder(s.dir));
  const points: PayoffPoint[] = [];
  const missing: MissingPayoffPoint[] = [];
  const rows: CellValue[][] = [];
  const datasets: PayoffDataSet[] = [];
  const provenance = new Map<string, Provenance>();
  const seedMean = (m: SeedMean | undefined) => [m?.mean ?? NaN, m ? m.seeds : NaN];
  for (const p of [...new Set(given.map(s => s.preset))]) {
    const dirs = given.filter(s => s.preset === p).map(s => s.dir);
    const store = mergedStore(dirs, warn);
    // Another grid's protocol: CKD with its own teachers, on the backbones both have.
    const models = p.payoff?.models ?? preset.payoff.models.filter(m => p.tableModels.includes(m));
    const own: ReproducePreset = { ...p, payoff: p.payoff ?? { models, teacherEpochs: [] } };
    const protocol = p.payoff ? undefined : p.name;
    for (const d of payoffDataSets(dirs, p.name)) {
      datasets.push(d);
      const view: ReproductionView = { preset: own, dataset: { name: d.name, fingerprint: d.fingerprint }, store };
      const state = payoffState(view, d.name, protocol);
      points.push(...state.points);
      missing.push(...state.missing);
      if (protocol === undefined) {
        for (const model of models) {
          const pre = payoffPrecondition(view, model);
          rows.push([d.name, model, ...seedMean(pre.bprmf), ...seedMean(pre.plain), pre.idShare ?? NaN]);
        }
      }
    }
    for (const r of store.records()) {
      const prov = (r.meta as RunCellMeta | undefined)?.provenance;
      if (prov) provenance.set(`${prov.gitCommit}:${prov.backend}:${prov.dataset.fingerprint}`, prov);
    }
  }
  const secondAxis = datasets.some(d => d.name === PAYOFF_AXIS.weak || d.name === PAYOFF_AXIS.strong);
  return {
    sources: given, datasets, points, missing, provenance: [...provenance.values()],
    ...(secondAxis ? { verdicts: payoffVerdicts(points, preset.payoff.teacherEpochs) } : {}),
    preconditions: {
      title: 'The data sets\' precondition: how much the IDs alone rank',
      columns: ['data set', 'backbone', 'BPR-MF R@20', 'seeds', 'plain fused R@20', 'seeds', 'BPR-MF / plain'],
      formats: ['text', 'text', 'metric', 'int', 'metric', 'int', 'metric'], rows,
      notes: ['test Recall@20, means over the preset\'s seeds recorded; BPR-MF (user and item IDs only) at the learning rate its validation selected'],
    },
  };
}

/** The figure of a PayoffAcross (undefined while no point has a recorded seed). */
export function payoffAcrossFigure(r: PayoffAcross): FigureSpec | undefined {
  return payoffFigure(r.points, 'When does CKD pay off? Fused gain against teacher quality, per backbone and data set', r.missing);
}

/** The text of payoff.md: what was read, the preconditions, the points and the missing ones. */
export function payoffAcrossMarkdown(r: PayoffAcross): string {
  const sets = r.datasets.map(d => `\`${d.name}\` (fingerprint ${d.fingerprint}; ${d.folders.join(', ')}; preset ${d.preset})`);
  const head = `Read ${r.sources.map(s => s.dir).join(', ')}: ${sets.length ? sets.join('; ') : 'no records'}. ` +
    `${r.points.length} points drawn, ${r.missing.length} missing (no seed recorded yet).\n\n`;
  return head + payoffAcrossTables(r).map(t => renderMarkdown(t)).join('\n');
}

/** The tables of payoff.md and the report: preconditions, points, and the predictions' verdicts where decided on these data sets. */
function payoffAcrossTables(r: PayoffAcross): ResultTable[] {
  return [r.preconditions, payoffTable(r.points, r.missing), ...(r.verdicts ? [payoffVerdictTable(r.verdicts)] : [])];
}

export interface WrittenPayoff { markdown: string; report: string; figure?: string; png?: string }

/** Writes payoff.md, payoff.html (figure and tables, plotly inlined) and the figure alone (HTML, and PNG with Chromium). */
export async function writePayoffAcross(r: PayoffAcross, dir: string): Promise<WrittenPayoff> {
  fs.mkdirSync(dir, { recursive: true });
  const markdown = path.join(dir, 'payoff.md');
  fs.writeFileSync(markdown, payoffAcrossMarkdown(r));
  const figure = payoffAcrossFigure(r);
  const report = writeReport(path.join(dir, 'payoff.html'), {
    title: 'When does CKD pay off? Teacher budget and data set',
    blocks: [
      { kind: 'text', text: payoffAcrossMarkdown(r).split('\n')[0] },
      ...(figure ? [{ kind: 'figure' as const, figure, caption: 'One line per backbone (dash) and data set (colour); each point: CKD with teachers stopped after a budget of epochs (or converged), mean over seeds; bars: 95% t interval over seeds. The legend gives each data set\'s BPR-MF / plain fused Recall@20.' }]
        : [{ kind: 'text' as const, text: 'No point has a recorded seed yet.' }]),
      ...payoffAcrossTables(r).map(table => ({ kind: 'table' as const, table })),
    ],
    provenance: r.provenance,
  });
  if (!figure) return { markdown, report };
  const html = writeFigureHtml(figure, path.join(dir, 'payoff-figure.html'), 'When does CKD pay off?');
  const png = findChromium() ? (await writeFigurePng(html, path.join(dir, 'payoff.png'))).file : undefined;
  return { markdown, report, figure: html, ...(png ? { png } : {}) };
}
