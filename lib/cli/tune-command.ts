/**
 * `ckd tune`: hyper-parameter search for one backbone and method over a declared space
 * (lib/tune/space.ts, named-spaces.ts), as resumable run cells of a results folder
 * (lib/tune/plan.ts, run.ts), under a reproduce preset's protocol (default: full, the converging
 * one), selected on validation only, then the selected configuration against the default one on
 * test over N seeds (lib/tune/report.ts: tune.md, tune.json). Shards (--shard K/N, Slurm array
 * tasks) and --plan work as for `ckd reproduce` (docs/tune.md).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Modality } from '../data/dataset';
import { initEngine } from '../engine/backend';
import { CkdError } from '../errors';
import { PROJECT_ROOT, datasetFingerprint, provenance } from '../experiments/provenance';
import { PRESET_NAMES, ReproducePreset, presetByName, shardCells } from '../experiments/reproduce-plan';
import { ResultStore, configKey } from '../experiments/result-store';
import { checkShardCount, parseShard, shardFromSlurm, shardStoreFile, storeFiles, touchShardStore, STORE_FILE } from '../experiments/results-folder';
import { RunCell, RunCellResult, RunStore, cellLabel, sameCellResult } from '../experiments/run-cell';
import { renderText } from '../experiments/tables';
import { METHODS, METHOD_NAMES, MethodName } from '../methods/registry';
import { BACKBONES, backboneEntry } from '../models/registry';
import { consoleProgress } from '../train/progress';
import { NAMED_SPACES, NAMED_SPACE_NAMES } from '../tune/named-spaces';
import { TunePlan, TunePlannedCell, TuneSetup, planTune } from '../tune/plan';
import { comparisonTable, searchTable, tuneReport, writeTuneReport } from '../tune/report';
import { runTune } from '../tune/run';
import { configLabel, gridSize } from '../tune/space';
import { loadSpace } from '../tune/space-source';
import { CommandSpec, ParsedArgs, choiceOpt, numberOpt, parseArgs, requireOpt, stringOpt } from './args';
import { PARAM_OPTION, paramSettingsFromArgs, paramsForModel } from './params';
import { DEFAULT_DATA, elapsed, loadDataFolder } from './reproduce-command';

export const tuneSpec: CommandSpec = {
  name: 'tune',
  summary: 'Search a backbone\'s and method\'s hyper-parameters over a declared space (grid or seeded random), resumably: select on validation Recall@20, then compare the selected configuration with the default one on test over N seeds (tune.md, tune.json; docs/tune.md).',
  usage: 'ckd tune --model NAME --method NAME --space FILE|NAME [--data DIR] [--budget N] [--seeds N] [--out DIR] [--preset NAME] [--lr X] [--teacher-lr text=X,visual=Y] [--shard K/N] [--plan]',
  options: [
    { name: 'data', value: 'DIR', help: 'data folder (LATTICE or MMRec layout); the embedded data sets default, weak-ids and strong-ids are generated there when it is data/NAME and absent (docs/data-generator.md)', default: 'data/default' },
    { name: 'model', value: 'NAME', help: `backbone: ${Object.keys(BACKBONES).join(', ')}` },
    { name: 'method', value: 'NAME', help: `${METHOD_NAMES.join(', ')}` },
    { name: 'space', value: 'FILE|NAME', help: `the search space: a JSON file of lists ({"lambdaKd": [0.001, 0.01], "lambdaG": [1, 5]}; keys: the method's options, the model's parameters as listed in docs/cli.md, or lr; method.NAME or param.NAME where both have NAME), or a named space: ${NAMED_SPACE_NAMES.map(n => `${n} (${NAMED_SPACES[n].summary})`).join('; ')}` },
    { name: 'budget', value: 'N', help: 'random search: N distinct configurations of the space\'s grid drawn with a seeded stream (default: the whole grid)' },
    { name: 'search-seed', value: 'N', help: 'seed of the random search\'s draw', default: '1' },
    { name: 'seeds', value: 'N', help: 'seeds 1..N of the selected and the default configuration (and the plain backbone) compared on test', default: '3' },
    { name: 'out', value: 'DIR', help: 'results folder (store.jsonl and shard store files, teachers/, tune.md, tune.json)', default: 'results/tune-<model>-<method>-<space>-<data set name>' },
    { name: 'preset', value: 'NAME', help: `the protocol of this reproduce preset (${PRESET_NAMES.join(', ')}): its trainer settings, its gradient-probe setting and its learning-rate selection; full: validation every 5 epochs, patience 10 validations, at most 1000 epochs, rates selected on validation from {5e-3, 1e-3, 5e-4, 1e-4} per mode on seed 1 (the same cells as that preset's)`, default: 'full' },
    { name: 'lr', value: 'X', help: 'the student\'s learning rate, instead of the protocol\'s (selected or fixed); a space with lr varies it' },
    { name: 'teacher-lr', value: 'text=X,visual=Y', help: 'CKD: the teachers\' learning rates (or one X for both), instead of the protocol\'s (selected, else the student\'s)' },
    { name: 'epochs', value: 'N', help: 'maximum epochs, instead of the protocol\'s' },
    { name: 'eval-every', value: 'N', help: 'validate every N epochs, instead of the protocol\'s' },
    { name: 'patience', value: 'N', help: 'stop after N validations without a better Recall@20, instead of the protocol\'s' },
    { name: 'batch-size', value: 'N', help: 'BPR triples per step, instead of the protocol\'s' },
    { ...PARAM_OPTION, help: 'a backbone hyper-parameter fixed for every cell (the space may vary others); the parameters of each model are listed at the end of docs/cli.md' },
    { name: 'reuse', value: 'DIR', repeatable: true, help: 'another results folder (e.g. results/full-default) whose finished cells count as done here, read only, with its teachers\' weights: a tune cell that is also one of its cells (same key) is not trained again' },
    { name: 'shard', value: 'K/N', help: 'run only the K-th of N shards of the cells, appending to the shard\'s own store file, and write no report; a shard whose next cells need another shard\'s (teachers, the whole search before selection) waits for them. Default in a Slurm array task: as for ckd reproduce (docs/slurm.md)' },
    { name: 'poll', value: 'S', help: 'seconds between two reads of the store while a shard waits for other shards', default: '60' },
    { name: 'plan', help: 'print the plan and exit: one line per cell (key, group, state, phase, lr, cell and configuration; tab-separated), only the shard\'s with --shard' },
    { name: 'report-only', help: 'train nothing: write tune.md and tune.json from the cells already finished' },
    { name: 'quiet', help: 'no per-epoch progress' },
    { name: 'help', help: 'show this help' },
  ],
};

/** --teacher-lr: 'text=X,visual=Y', or one X for both. */
function teacherRates(s: string): Record<Modality, number> {
  const rate = (v: string, what: string) => {
    const n = Number(v);
    if (v.trim() === '' || !(n > 0 && n < 1)) throw new CkdError(`--teacher-lr: ${what} must be a learning rate in (0, 1) (got '${v}')`);
    return n;
  };
  if (!s.includes('=')) { const r = rate(s, 'the rate'); return { text: r, visual: r }; }
  const out: Partial<Record<Modality, number>> = {};
  for (const part of s.split(',').map(x => x.trim()).filter(Boolean)) {
    const m = /^(text|visual)=(.*)$/.exec(part);
    if (!m) throw new CkdError(`--teacher-lr: '${part}' is not text=X or visual=X`);
    out[m[1] as Modality] = rate(m[2], m[1]);
  }
  if (out.text === undefined || out.visual === undefined) throw new CkdError(`--teacher-lr must give both rates: text=X,visual=Y (got '${s}')`);
  return out as Record<Modality, number>;
}

/** The protocol: the preset, with the trainer settings given on the command line. */
function protocolOf(a: ParsedArgs): ReproducePreset {
  const preset = presetByName(stringOpt(a, 'preset', 'full')!);
  const train = { ...preset.train };
  const positive = (name: string, key: 'epochs' | 'evalEvery' | 'patience' | 'batchSize') => {
    if (stringOpt(a, name) === undefined) return;
    const v = numberOpt(a, name, 0, 'int');
    if (v < 1) throw new CkdError(`--${name} must be a positive integer (got ${v})`);
    train[key] = v;
  };
  positive('epochs', 'epochs');
  positive('eval-every', 'evalEvery');
  positive('patience', 'patience');
  positive('batch-size', 'batchSize');
  return { ...preset, train };
}

/** Labels of the plan's cells: what each is for. */
function planLabels(plan: TunePlan, setup: TuneSetup): Map<string, string> {
  const out = new Map<string, string>();
  const put = (cell: RunCell, what: string) => { if (!out.has(configKey(cell))) out.set(configKey(cell), what); };
  plan.search?.cells.forEach((c, k) => put(c, `search: ${configLabel(plan.search!.configs[k], setup.space)}`));
  if (plan.final) {
    const selected = configLabel(plan.search!.configs[plan.final.selected], setup.space);
    plan.final.cells.selected.forEach(c => put(c, `selected: ${selected}`));
    plan.final.cells.default.forEach(c => put(c, 'default configuration'));
    plan.final.cells.plain?.forEach(c => put(c, 'plain backbone'));
  }
  return out;
}

/** What a planned cell is for, in words. */
function cellPurpose(p: TunePlannedCell, labels: Map<string, string>): string {
  return labels.get(configKey(p.cell)) ?? (p.lrSearch ? 'learning-rate search' : p.cell.mode !== 'multimodal' ? 'teacher' : p.phase === 'lr' ? 'learning-rate search, selected' : '');
}

export async function tuneCommand(argv: string[], out: (s: string) => void, log: (s: string) => void, warn: (s: string) => void): Promise<number> {
  const a = parseArgs(tuneSpec, argv);
  const model = requireOpt(a, 'model').toLowerCase();
  backboneEntry(model);
  requireOpt(a, 'method');
  const method = choiceOpt<MethodName>(a, 'method', METHOD_NAMES, 'plain');
  const spaceArg = requireOpt(a, 'space');
  const space = loadSpace(spaceArg, model, method);
  const budgetArg = stringOpt(a, 'budget');
  const budget = budgetArg === undefined ? undefined : numberOpt(a, 'budget', 0, 'int');
  if (budget !== undefined && budget < 1) throw new CkdError(`--budget must be a positive integer (got ${budget})`);
  const search: TuneSetup['search'] = budget === undefined ? { kind: 'grid' } : { kind: 'random', budget, seed: numberOpt(a, 'search-seed', 1, 'int') };
  const seeds = numberOpt(a, 'seeds', 3, 'int');
  if (seeds < 1 || seeds > 100) throw new CkdError(`--seeds must be between 1 and 100 (got ${seeds})`);
  const protocol = protocolOf(a);
  const lrArg = stringOpt(a, 'lr');
  const lr = lrArg === undefined ? undefined : numberOpt(a, 'lr', 0);
  if (lr !== undefined && !(lr > 0 && lr < 1)) throw new CkdError(`--lr must be in (0, 1) (got ${lr})`);
  const teacherArg = stringOpt(a, 'teacher-lr');
  if (teacherArg !== undefined && !METHODS[method].needsTeachers) throw new CkdError(`--teacher-lr is for --method ckd (its teachers), not ${method}`);
  const teacherLr = teacherArg === undefined ? undefined : teacherRates(teacherArg);
  const params = paramsForModel(model, paramSettingsFromArgs(a));
  const poll = numberOpt(a, 'poll', 60);
  if (!(poll > 0)) throw new CkdError(`--poll must be a positive number of seconds (got ${poll})`);
  const shardOpt = stringOpt(a, 'shard');
  const slurm = shardOpt === undefined && !a.options['report-only'] && !a.options.plan ? shardFromSlurm() : undefined;
  const shard = shardOpt !== undefined ? parseShard(shardOpt) : slurm?.shard;
  const reuse = (a.lists.reuse ?? []).map(d => path.resolve(d));
  for (const d of reuse) if (!fs.existsSync(path.join(d, STORE_FILE)) && storeFiles(d).length < 2) throw new CkdError(`--reuse ${d}: no results folder there (no ${STORE_FILE} nor shard store files)`);

  const data = loadDataFolder(path.resolve(stringOpt(a, 'data', DEFAULT_DATA)!), log, warn);
  const spaceName = NAMED_SPACES[spaceArg] ? spaceArg : path.basename(spaceArg).replace(/\.json$/i, '');
  const outDir = path.resolve(stringOpt(a, 'out') ?? path.join(PROJECT_ROOT, 'results', `tune-${model}-${method}-${spaceName}-${data.name}`));
  if (reuse.includes(outDir)) throw new CkdError(`--reuse ${outDir}: that is the results folder itself (--out)`);
  const ownFile = shard ? shardStoreFile(outDir, shard) : path.join(outDir, STORE_FILE);
  const store: RunStore = new ResultStore<RunCell, RunCellResult>(ownFile, {
    warn, sameResult: sameCellResult, files: () => [...storeFiles(outDir), ...reuse.flatMap(d => storeFiles(d))],
  });
  const setup: TuneSetup = {
    dataset: datasetFingerprint(data), model, method, space, search, protocol, seeds,
    ...(lr !== undefined ? { lr } : {}), ...(teacherLr ? { teacherLr } : {}), ...(Object.keys(params).length ? { params } : {}),
  };

  if (a.options.plan) {
    const plan = planTune(setup, store);
    const labels = planLabels(plan, setup);
    const cells = shard ? shardCells(plan.cells, shard.index, shard.count) : plan.cells;
    out('# key\tgroup\tstate\tphase\tlr\tcell');
    for (const p of cells) {
      const key = configKey(p.cell);
      out(`${key}\t${p.group}\t${store.has(key) ? 'done' : 'to run'}\t${p.phase}\t${p.cell.train.lr}\t${cellLabel(p.cell)} (${cellPurpose(p, labels)})`);
    }
    if (plan.waiting) out(`# more cells join the plan after ${plan.waiting}`);
    return 0;
  }

  fs.mkdirSync(outDir, { recursive: true });
  const prov = provenance(data, await initEngine());
  const started = Date.now();
  if (!a.options['report-only']) {
    if (slurm) {
      checkShardCount(outDir, slurm.shard, slurm.countFrom);
      log(`Slurm array task ${process.env.SLURM_ARRAY_JOB_ID ?? '?'}_${process.env.SLURM_ARRAY_TASK_ID}: shard ${slurm.shard.index + 1}/${slurm.shard.count} (N from ${slurm.countFrom})`);
    }
    if (shard) touchShardStore(outDir, shard);
    const size = search.kind === 'grid' ? gridSize(space) : Math.min(search.budget, gridSize(space));
    log(`tune ${model} ${method} on ${data.name}: space ${space.name}, ${size} configurations${search.kind === 'random' ? ` drawn from ${gridSize(space)} (search seed ${search.seed})` : ''}, ` +
      `protocol ${protocol.name}, final seeds 1-${seeds}${shard ? `, shard ${shard.index + 1}/${shard.count}` : ''}; results in ${outDir}`);
    await runTune(data, setup, {
      store, teachersDir: path.join(outDir, 'teachers'), teacherSources: reuse.map(d => path.join(d, 'teachers')), provenance: prov, log, shard,
      pollSeconds: poll,
      progress: label => a.options.quiet ? undefined : consoleProgress(label),
      onCell: (k, n, p, plan) => log(`[${k}/${n}] ${p.phase}: ${cellLabel(p.cell)} lr ${p.cell.train.lr} (${cellPurpose(p, planLabels(plan, setup))}; ${elapsed(started)})`),
    });
  }
  if (shard) return 0;
  store.reload();
  const plan = planTune(setup, store);
  const own = reuse.length ? new ResultStore<RunCell, RunCellResult>(ownFile, { warn: () => undefined, files: () => storeFiles(outDir) }) : undefined;
  const report = tuneReport(setup, plan, store, data.name, own ? key => !own.has(key) : undefined);
  const written = writeTuneReport(outDir, report);
  const cmp = comparisonTable(report);
  out(renderText(cmp ?? searchTable(report)));
  out(`report: ${path.relative(process.cwd(), written.md)}, ${path.relative(process.cwd(), written.json)} (${report.cells.finished} of ${report.cells.planned} planned cells finished; ${elapsed(started)})`);
  return 0;
}
