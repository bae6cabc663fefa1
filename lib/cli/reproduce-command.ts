import { spawn } from 'child_process';
import * as os from 'os';
import * as fs from 'fs';
import * as path from 'path';
import { Dataset } from '../data/dataset';
import { loadDataset, writeDataset } from '../data/loaders';
import { initEngine } from '../engine/backend';
import { popularityBaseline } from '../eval/popularity';
import { CkdError } from '../errors';
import { PROJECT_ROOT, datasetFingerprint, provenance } from '../experiments/provenance';
import { estimatePlan, estimateText } from '../experiments/plan-estimate';
import { PRESET_NAMES, ReproducePreset, planCells, planListing, planPreset, presetByName, presetModels, shardCells } from '../experiments/reproduce-plan';
import { reproductionTables, runPreset, writeReproductionReport } from '../experiments/reproduce';
import { CROSS_BACKEND_TOLERANCE, checkAgainstReference, compareTables, openReference, referenceDetails, referenceLine, referenceMatches } from '../experiments/reference-check';
import { configKey } from '../experiments/result-store';
import { checkShardCount, foldShardStores, openResultsStore, parseShard, shardFromSlurm, touchShardStore } from '../experiments/results-folder';
import { cellLabel } from '../experiments/run-cell';
import { renderText } from '../experiments/tables';
import { backboneEntry } from '../models/registry';
import { EMBEDDED_DATA_SETS } from '../synth/presets';
import { synthesizeDataset } from '../synth/synthesize';
import { consoleProgress } from '../train/progress';
import { CommandSpec, ParsedArgs, numberOpt, parseArgs, stringOpt } from './args';
import { PARAM_OPTION, checkParamModels, paramSettingsFromArgs, paramsForModel } from './params';

export const DEFAULT_DATA = path.join(PROJECT_ROOT, 'data', 'default');

export const reproduceSpec: CommandSpec = {
  name: 'reproduce',
  summary: 'The main job (npm start runs it with --preset quick --jobs 2): run everything the notebooks show (Figure 1, ' +
    'the gradient analysis, Tables 1-3) for a preset, resumably, and write report.html and tables.md.',
  usage: 'ckd reproduce [--data DIR] [--preset quick|quick-short|full|full-short|smoke|payoff] [--out DIR | --fresh] [--jobs N] [--models a,b] [--param NAME=X] [--shard K/N] [--plan] [--reference DIR]',
  options: [
    { name: 'data', value: 'DIR', help: 'data folder (LATTICE or MMRec layout); the embedded data sets default, weak-ids and strong-ids are generated there when it is data/NAME and absent (docs/data-generator.md)', default: 'data/default' },
    { name: 'preset', value: 'NAME', help: `${PRESET_NAMES.join(', ')}: quick is one seed on VBPR and EgoGCN, its four uni-modal teachers trained to convergence (validation every 5 epochs, patience 4 validations, at most 200 epochs, a learning rate per backbone and modality) and every other run at most 10 epochs, under 10 minutes on 2 cores; quick-short is the first releases' quick preset (teachers at most 10 epochs as well), kept to reproduce its records; full is the paper's protocol run to convergence (learning rates selected on validation, validation every 5 epochs, patience 10 validations; 3 seeds, six backbones, five methods, ablations, BPR-MF; 10 seeds of plain and CKD on VBPR, 5 on EgoGCN); full-short is our first grid's short protocol (lr 1e-3, patience 5 epochs, at most 40 epochs), kept to reproduce its records; smoke is a one-minute check of the pipeline on tiny data (VBPR, 3 seeds, 6 epochs; e.g. a cluster's setup, docs/slurm.md); payoff is only what the payoff figure needs (ckd payoff), with full's protocol and full's cells (VBPR and EgoGCN plain and CKD, converged teachers and teachers stopped after 5-40 epochs, 3 seeds, BPR-MF), for the weak-ids and strong-ids data sets (docs/prediction-payoff.md)`, default: 'quick' },
    { name: 'out', value: 'DIR', help: 'results folder (store.jsonl and the shards\' store.shard-K-of-N.jsonl, read merged; teachers/, report.html, tables.md, figures)', default: 'results/<preset>-<data set name>' },
    { name: 'fresh', help: 'train every cell into a new folder, results/runs/<preset>-<data set name>-<UTC time>/ (not committed), instead of --out' },
    { name: 'reference', value: 'DIR', help: `after the run, compare its cells with the results folder DIR (e.g. results/quick-default, the committed record) by config key: every test and val metric under every mask, bestEpoch, epochsRun, and cells missing on either side; bit for bit when both records name the same backend, within ±${CROSS_BACKEND_TOLERANCE} on metrics when not. The last line says identical or what differs; exit code 1 when anything differs. With --report-only it compares the --out folder as it is` },
    { name: 'jobs', value: 'N', help: 'worker processes training cells in parallel (each takes whole backbone-and-seed groups, and cores / N threads for its fixed-feature products unless CKD_GEMM_THREADS is set)', default: '1' },
    { name: 'models', value: 'LIST', help: 'only these backbones (comma-separated)' },
    { ...PARAM_OPTION, help: 'a backbone hyper-parameter for every backbone the run trains, each of which must have it; MODEL.NAME=X for one backbone only. Cells with parameters off their defaults are other cells (other keys) than the preset\'s own; the parameters of each model are listed at the end of docs/cli.md' },
    { name: 'shard', value: 'K/N', help: 'run only the K-th of N shards of the cells (whole groups, dealt the same way by every shard), appending to the shard\'s own store.shard-K-of-N.jsonl, and write no report (what --jobs and Slurm array tasks use). Default in a Slurm array task: K = SLURM_ARRAY_TASK_ID (submit --array=1-N), N = CKD_SHARDS, else SLURM_ARRAY_TASK_COUNT (docs/slurm.md)' },
    { name: 'plan', help: 'print the plan and exit: one line per cell (key, group, state, lr, cell; tab-separated), only the shard\'s with --shard; with the full preset, cells join the plan as learning rates are selected; the last line estimates the cell-hours still to run from the wall times of like cells already recorded in the folder' },
    { name: 'report-only', help: 'train nothing: write the report from the cells already finished' },
    { name: 'quiet', help: 'no per-epoch progress' },
    { name: 'help', help: 'show this help' },
  ],
};

/** Runs the command; returns the exit code (1 when --reference finds a difference). */
export async function reproduceCommand(argv: string[], out: (s: string) => void, log: (s: string) => void, warn: (s: string) => void): Promise<number> {
  const a = parseArgs(reproduceSpec, argv);
  const models = stringOpt(a, 'models')?.split(',').map(s => s.trim().toLowerCase()).filter(Boolean);
  models?.forEach(m => backboneEntry(m));
  const preset = withParamsOf(a, presetByName(stringOpt(a, 'preset', 'quick')!), models);
  const dir = path.resolve(stringOpt(a, 'data', DEFAULT_DATA)!);
  const jobs = numberOpt(a, 'jobs', 1, 'int');
  if (jobs < 1 || jobs > 64) throw new CkdError(`--jobs must be between 1 and 64 (got ${jobs})`);
  const shardOpt = stringOpt(a, 'shard');
  const slurm = shardOpt === undefined && !a.options['report-only'] ? shardFromSlurm() : undefined;
  const shard = shardOpt !== undefined ? parseShard(shardOpt) : slurm?.shard;
  const fresh = a.options.fresh === true;
  if (fresh && stringOpt(a, 'out') !== undefined) throw new CkdError('--fresh trains into a new folder of its own: give either --fresh or --out DIR, not both');
  if (fresh && a.options['report-only']) throw new CkdError('--fresh and --report-only: a new folder has no cells to report on; give --out DIR with --report-only');
  const referenceName = stringOpt(a, 'reference');
  const reference = referenceName === undefined ? undefined : openReference(referenceName, '--reference', warn);
  const data = loadDataFolder(dir, log, warn);
  const outDir = path.resolve(stringOpt(a, 'out') ?? (fresh
    ? path.join(PROJECT_ROOT, 'results', 'runs', `${preset.name}-${data.name}-${new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}`)
    : path.join(PROJECT_ROOT, 'results', `${preset.name}-${data.name}`)));
  if (reference && path.resolve(path.dirname(reference.file)) === outDir) {
    throw new CkdError(`--reference ${referenceName}: that is the results folder itself (--out), so nothing would be reproduced; add --fresh or give another --out DIR`);
  }
  const store = openResultsStore(outDir, { shard, warn });
  if (a.options.plan) {
    const plan = planPreset(preset, datasetFingerprint(data), models, store);
    for (const line of planListing(plan, k => store.has(k), shard)) out(line);
    out(`# ${estimateText(estimatePlan((shard ? shardCells(plan.cells, shard.index, shard.count) : plan.cells).map(p => p.cell), store))}`);
    return 0;
  }
  fs.mkdirSync(outDir, { recursive: true });
  const prov = provenance(data, await initEngine());
  const fingerprint = prov.dataset.fingerprint;
  const planned = planCells(preset, fingerprint, models, store);
  const recordedBefore = planned.filter(p => store.has(configKey(p.cell))).length;
  const started = Date.now();
  if (!a.options['report-only']) {
    if (slurm) {
      checkShardCount(outDir, slurm.shard, slurm.countFrom);
      log(`Slurm array task ${process.env.SLURM_ARRAY_JOB_ID ?? '?'}_${process.env.SLURM_ARRAY_TASK_ID}: shard ${slurm.shard.index + 1}/${slurm.shard.count} (N from ${slurm.countFrom})`);
      if (jobs > 1) warn(`--jobs ${jobs} is ignored in a Slurm array task: one process per task (submit more tasks instead)`);
    }
    if (jobs > 1 && !shard) {
      log(`${preset.name} preset on ${data.name}: ${planned.length} cells, ${recordedBefore} done earlier, ${planned.length - recordedBefore} to run by ${jobs} workers; results in ${outDir}`);
      if (recordedBefore > 0 && recordedBefore < planned.length) log(estimateText(estimatePlan(planned.map(p => p.cell), store)));
      try {
        await runWorkers([...withoutOptions(argv, ['jobs', 'fresh', 'reference', 'out']), '--out', outDir], jobs, log);
      } finally {
        foldShardStores(outDir, jobs, warn);
      }
      store.reload();
    } else {
      if (shard) touchShardStore(outDir, shard);
      const mine = shard ? shardCells(planned, shard.index, shard.count) : planned;
      const todo = mine.filter(p => !store.has(configKey(p.cell))).length;
      log(`${preset.name} preset on ${data.name}: ${mine.length} cells planned${shard ? ` in shard ${shard.index + 1}/${shard.count}` : ''}, ${mine.length - todo} done earlier, ${todo} to run` +
        `${preset.lrGrid ? ' (more join the plan as learning rates are selected)' : ''}; results in ${outDir}`);
      await runPreset(data, preset, fingerprint, {
        store, teachersDir: path.join(outDir, 'teachers'), provenance: prov, log, models, shard,
        progress: label => a.options.quiet ? undefined : consoleProgress(label),
        onCell: (k, n, cell) => log(`[${k}/${n}] ${cellLabel(cell)} lr ${cell.train.lr} (${elapsed(started)})`),
      });
    }
  }
  if (shard) return 0;
  store.reload();
  const view = { preset, dataset: { name: data.name, fingerprint }, store, mostPop: await popularityBaseline(data, 'test', [20]) };
  const written = await writeReproductionReport(view, outDir, prov);
  const t = reproductionTables(view);
  out(renderText(t.ckdVsPlain));
  out(`report: ${path.relative(process.cwd(), written.report)}; tables: ${path.relative(process.cwd(), written.tables)}` +
    `${written.pngs.length ? `; figures: ${written.pngs.map(p => path.relative(process.cwd(), p)).join(', ')}` : ''} (${elapsed(started)})`);
  if (!reference) return 0;
  // The verdict: this folder's cells against the reference's, the last line of the output.
  reference.reload();
  const check = checkAgainstReference(store.records(), reference.records(), planCells(preset, fingerprint, models, store).map(p => p.cell));
  for (const line of referenceDetails(check)) log(`differs: ${line}`);
  const sameBits = referenceMatches(check) && check.crossBackend === 0;
  const tables = sameBits ? compareTables(written.tables, path.join(path.dirname(reference.file), 'tables.md')) : undefined;
  const replayed = !a.options['report-only'] && recordedBefore > 0
    ? ` (${recordedBefore} of the ${planned.length} cells were in ${path.relative(process.cwd(), outDir) || '.'} before this run and were not trained again)` : '';
  out(referenceLine(check, referenceName!, tables) + replayed);
  return referenceMatches(check) && (tables === undefined || tables === 'identical') ? 0 : 1;
}

/**
 * The data set in `dir`; an embedded synthetic data set (default, weak-ids, strong-ids: seed 1
 * of that generator preset) is generated there first when `dir` is data/NAME and absent.
 */
export function loadDataFolder(dir: string, log: (s: string) => void, warn: (s: string) => void): Dataset {
  if (!fs.existsSync(dir)) {
    const embedded = EMBEDDED_DATA_SETS.find(name => path.resolve(dir) === path.join(PROJECT_ROOT, 'data', name));
    if (!embedded) throw new CkdError(`--data ${dir}: no such folder`);
    log(`generating the embedded ${embedded} data set into ${dir}`);
    writeDataset(synthesizeDataset(embedded, 1), dir, 'lattice');
  }
  return loadDataset(dir, { warn });
}

/** The preset with the --param settings of the backbones it runs (checked before anything trains). */
function withParamsOf(a: ParsedArgs, preset: ReproducePreset, models: string[] | undefined): ReproducePreset {
  const settings = paramSettingsFromArgs(a);
  if (settings.length === 0) return preset;
  const runs = presetModels(preset).filter(m => !models || models.includes(m));
  checkParamModels(settings, runs);
  const params: Record<string, Record<string, number>> = {};
  for (const m of runs) {
    const p = paramsForModel(m, settings, runs.length > 1);
    if (Object.keys(p).length > 0) params[m] = p;
  }
  return { ...preset, params };
}

/** argv without the named options (as `--name value` or `--name=value`; flags as `--name`). */
function withoutOptions(argv: string[], names: string[]): string[] {
  const flags = new Set(reproduceSpec.options.filter(o => !o.value).map(o => o.name));
  const out: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const m = /^--([^=]+)(=.*)?$/.exec(argv[k]);
    if (m && names.includes(m[1])) {
      if (!m[2] && !flags.has(m[1])) k++; // skip its value
      continue;
    }
    out.push(argv[k]);
  }
  return out;
}

export function elapsed(started: number): string {
  const s = Math.round((Date.now() - started) / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** Runs `jobs` copies of `ckd reproduce ARGV`, one shard each; their output lines are prefixed by the shard. */
async function runWorkers(argv: string[], jobs: number, log: (s: string) => void): Promise<void> {
  const bin = path.join(PROJECT_ROOT, 'bin', 'ckd.js');
  const codes = await Promise.all(Array.from({ length: jobs }, (_, k) => new Promise<number>(resolve => {
    // The workers share the cores: each gets its share of threads for the fixed-feature products
    // unless CKD_GEMM_THREADS says otherwise (results do not depend on it).
    const env = { ...process.env, CKD_GEMM_THREADS: process.env.CKD_GEMM_THREADS || String(Math.max(1, Math.floor(os.availableParallelism() / jobs))) };
    const child = spawn(process.execPath, [bin, 'reproduce', ...argv, '--shard', `${k + 1}/${jobs}`], { stdio: ['ignore', 'inherit', 'pipe'], env });
    let buf = '';
    child.stderr.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split(/\r?\n|\r/);
      buf = parts.pop() ?? '';
      for (const line of parts) if (line.trim()) log(`{${k + 1}/${jobs}} ${line}`);
    });
    child.on('close', code => { if (buf.trim()) log(`{${k + 1}/${jobs}} ${buf}`); resolve(code ?? 1); });
  })));
  const bad = codes.findIndex(c => c !== 0);
  if (bad >= 0) throw new CkdError(`worker ${bad + 1}/${jobs} failed (exit ${codes[bad]}); its finished cells are kept: run the same command again to resume`);
}
