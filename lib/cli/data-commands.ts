import * as fs from 'fs';
import * as path from 'path';
import { Dataset } from '../data/dataset';
import { describeDataset, formatDescription } from '../data/describe';
import { contentProfileBaseline } from '../eval/content-profile';
import { popularityBaseline } from '../eval/popularity';
import { LAYOUTS, Layout, convertDataset, loadDataset, writeDataset } from '../data/loaders';
import { CkdError } from '../errors';
import { PRESET_NAMES, PRESETS, PresetName, SynthConfig, presetConfig } from '../synth/presets';
import { synthesizeDataset } from '../synth/synthesize';
import { BABY_TARGETS, calibrationRows, calibrationStats, formatCalibration } from '../synth/calibrate';
import { datasetFingerprint, gitCommit } from '../experiments/provenance';
import { CommandSpec, choiceOpt, numberOpt, parseArgs, requireOpt, stringOpt } from './args';

const SYNTH_KEYS = Object.keys(PRESETS.default) as (keyof SynthConfig)[];

export const synthSpec: CommandSpec = {
  name: 'data synth',
  summary: 'Generate the embedded synthetic data set (planted modality imbalance) and write it to a folder.',
  usage: `ckd data synth --preset ${PRESET_NAMES.join('|')} --seed N --out DIR [--layout lattice|mmrec] [--set KEY=X,...]`,
  options: [
    { name: 'preset', value: 'NAME', help: 'size: tiny (tests), default (the demo), baby-scale (Amazon Baby sizes, benchmarks), baby-like (Amazon Baby statistics after a 5-core filter: ckd data calibrate; docs/data-generator.md), weak-ids and strong-ids (default with 1,000 or 6,000 users: item IDs trained on a third or twice the data; the payoff experiment\'s second axis)', default: 'default' },
    { name: 'seed', value: 'N', help: 'random seed of the generator and the split', default: '1' },
    { name: 'out', value: 'DIR', help: 'folder to write (created if needed)' },
    { name: 'layout', value: 'LAYOUT', help: 'lattice (5-core/*.json + *.npy) or mmrec (NAME.inter + *.npy)', default: 'lattice' },
    { name: 'set', value: 'KEY=X,...', help: `change generator settings of the preset (lib/synth/presets.ts): ${SYNTH_KEYS.join(', ')}; e.g. textCoverage=0.5,visualCoverage=0.5 makes the modalities see disjoint factors` },
    { name: 'help', help: 'show this help' },
  ],
};

/** Parses --set KEY=X,... into checked generator overrides. */
export function synthOverrides(spec: string | undefined): Partial<SynthConfig> {
  const out: Record<string, number> = {};
  if (spec === undefined) return out;
  for (const part of spec.split(',').map(x => x.trim()).filter(Boolean)) {
    const [key, raw] = part.split('=');
    if (!(SYNTH_KEYS as readonly string[]).includes(key) || raw === undefined) {
      throw new CkdError(`--set: '${part}' is not KEY=X with KEY one of ${SYNTH_KEYS.join(', ')}`);
    }
    const v = Number(raw);
    const rule = overrideRule(key);
    if (!(Number.isFinite(v) && raw.trim() !== '' && rule.ok(v))) throw new CkdError(`--set: ${key}=${raw} is out of range (${rule.range})`);
    out[key] = v;
  }
  return out as Partial<SynthConfig>;
}

/** What each --set key accepts. */
function overrideRule(key: string): { ok: (v: number) => boolean; range: string } {
  if (['users', 'items', 'factors', 'visualDim', 'textDim', 'minPerUser'].includes(key)) return { ok: v => Number.isInteger(v) && v >= 1, range: 'a positive integer' };
  if (key === 'coreK') return { ok: v => Number.isInteger(v) && v >= 0, range: 'an integer >= 0; 0 = no filter' };
  if (key === 'userPowerLaw') return { ok: v => v === 0 || v === 1, range: '0 or 1' };
  if (key.endsWith('Coverage')) return { ok: v => v > 0 && v <= 1, range: 'in (0, 1]' };
  if (key.endsWith('Noise') || key === 'popularityExponent' || key === 'popularitySd') return { ok: v => v >= 0, range: '>= 0' };
  return { ok: v => v > 0, range: '> 0' };
}

export function dataSynth(argv: string[], log: (s: string) => void): void {
  const a = parseArgs(synthSpec, argv);
  const preset = choiceOpt<PresetName>(a, 'preset', PRESET_NAMES, 'default');
  const seed = numberOpt(a, 'seed', 1, 'int');
  const out = requireOpt(a, 'out');
  const layout = choiceOpt<Layout>(a, 'layout', LAYOUTS, 'lattice');
  const overrides = synthOverrides(stringOpt(a, 'set'));
  const t0 = Date.now();
  const ds = synthesizeDataset(Object.keys(overrides).length ? presetConfig(preset, overrides) : preset, seed);
  writeDataset(ds, out, layout);
  const changed = Object.entries(overrides).map(([k, v]) => `${k}=${v}`).join(', ');
  log(`wrote ${preset}${changed ? ` with ${changed}` : ''} (seed ${seed}) to ${out} in the ${layout} layout: ${ds.numUsers} users, ${ds.numItems} items, ` +
    `${ds.train.items.length + ds.val.items.length + ds.test.items.length} interactions (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

export const inspectSpec: CommandSpec = {
  name: 'data inspect',
  summary: 'Load a data set (layout detected), validate it, and print its statistics.',
  usage: 'ckd data inspect DIR [--rankers] [--json]',
  positionals: 1,
  options: [
    { name: 'rankers', help: 'also rank without training: test Recall@20 of MostPop (popularity only) and of each modality\'s content profile (features only, lib/eval/content-profile.ts): how much the content alone can rank (seconds)' },
    { name: 'json', help: 'print JSON instead of text' },
    { name: 'help', help: 'show this help' },
  ],
};

export async function dataInspect(argv: string[], out: (s: string) => void, warn: (s: string) => void): Promise<void> {
  const a = parseArgs(inspectSpec, argv);
  const dir = a.positionals[0];
  if (!dir) throw new CkdError('ckd data inspect needs a folder: ckd data inspect DIR [--rankers] [--json]');
  const data = loadDataset(dir, { warn });
  const d = describeDataset(data);
  const rankers = a.options.rankers ? await untrainedRankers(data) : undefined;
  if (a.options.json) {
    out(JSON.stringify(rankers ? { ...d, fingerprint: datasetFingerprint(data), gitCommit: gitCommit(), rankers } : d, null, 2));
    return;
  }
  out(formatDescription(d));
  if (rankers) out(`rankers       test Recall@20 without training: MostPop ${rankers.mostPop.toFixed(4)}, text profile ${rankers.textProfile.toFixed(4)}, visual profile ${rankers.visualProfile.toFixed(4)}`);
}

/** Test Recall@20 of the rankers that need no training: popularity, and each modality's content profile. */
async function untrainedRankers(data: Dataset): Promise<{ mostPop: number; textProfile: number; visualProfile: number }> {
  return {
    mostPop: (await popularityBaseline(data, 'test', [20])).recall[20],
    textProfile: (await contentProfileBaseline(data, 'text', 'test', [20])).recall[20],
    visualProfile: (await contentProfileBaseline(data, 'visual', 'test', [20])).recall[20],
  };
}

export const convertSpec: CommandSpec = {
  name: 'data convert',
  summary: 'Read a data set in one layout and write it in another (validated on the way).',
  usage: 'ckd data convert --from DIR --to DIR --layout lattice|mmrec',
  options: [
    { name: 'from', value: 'DIR', help: 'source folder (layout detected)' },
    { name: 'to', value: 'DIR', help: 'destination folder (created if needed)' },
    { name: 'layout', value: 'LAYOUT', help: 'destination layout: lattice or mmrec' },
    { name: 'help', help: 'show this help' },
  ],
};

export function dataConvert(argv: string[], log: (s: string) => void, warn: (s: string) => void): void {
  const a = parseArgs(convertSpec, argv);
  const from = requireOpt(a, 'from');
  const to = requireOpt(a, 'to');
  const layout = choiceOpt<Layout>(a, 'layout', LAYOUTS, requireOpt(a, 'layout') as Layout);
  if (path.resolve(from) === path.resolve(to)) throw new CkdError('--from and --to must be different folders');
  const ds = convertDataset(from, to, layout, { warn });
  log(`converted ${from} -> ${to} (${layout}): ${ds.numUsers} users, ${ds.numItems} items`);
}

export const calibrateSpec: CommandSpec = {
  name: 'data calibrate',
  summary: 'Compare a data set\'s statistics (counts, per-user and per-item distributions, Gini, MostPop Recall@20) with Amazon Baby\'s.',
  usage: 'ckd data calibrate [--preset NAME] [--seed N] [--set KEY=X,...] [--data DIR] [--out FILE] [--json]',
  options: [
    { name: 'preset', value: 'NAME', help: `generator preset to measure (${PRESET_NAMES.join(', ')})`, default: 'baby-like' },
    { name: 'seed', value: 'N', help: 'random seed of the generator and the split', default: '1' },
    { name: 'set', value: 'KEY=X,...', help: 'change generator settings of the preset, as in ckd data synth --set' },
    { name: 'data', value: 'DIR', help: 'measure a data set on disk (layout detected) instead of generating one, e.g. the real Baby split' },
    { name: 'out', value: 'FILE', help: 'also write the table, the settings and the timings as JSON to FILE' },
    { name: 'json', help: 'print JSON instead of the table' },
    { name: 'help', help: 'show this help' },
  ],
};

export async function dataCalibrate(argv: string[], out: (s: string) => void, log: (s: string) => void, warn: (s: string) => void): Promise<void> {
  const a = parseArgs(calibrateSpec, argv);
  const dataDir = stringOpt(a, 'data');
  if (dataDir !== undefined && (a.options.preset !== undefined || a.options.seed !== undefined || a.options.set !== undefined)) {
    throw new CkdError('--data measures a data set on disk: it takes no --preset, --seed or --set');
  }
  const preset = choiceOpt<PresetName>(a, 'preset', PRESET_NAMES, 'baby-like');
  const seed = numberOpt(a, 'seed', 1, 'int');
  const overrides = synthOverrides(stringOpt(a, 'set'));
  const outFile = stringOpt(a, 'out');
  if (outFile !== undefined && (outFile.trim() === '' || (fs.existsSync(outFile) && fs.statSync(outFile).isDirectory()))) {
    throw new CkdError(`--out must name a file (got '${outFile}')`);
  }
  if (outFile !== undefined) {
    try {
      fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
    } catch (e) {
      throw new CkdError(`--out: cannot create the folder of ${outFile} (${(e as Error).message})`);
    }
  }
  const config = dataDir === undefined ? presetConfig(preset, overrides) : undefined;
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  const ds = config ? synthesizeDataset(Object.keys(overrides).length ? config : preset, seed) : loadDataset(dataDir!, { warn });
  const generationSeconds = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const generationCpuSeconds = (cpu.user + cpu.system) / 1e6;
  const t1 = Date.now();
  const stats = await calibrationStats(ds);
  const statsSeconds = (Date.now() - t1) / 1000;
  const rows = calibrationRows(stats);
  const name = config ? `${preset}${Object.keys(overrides).length ? '*' : ''} seed ${seed}` : path.basename(path.resolve(dataDir!));
  const record = {
    command: `ckd data calibrate ${argv.join(' ')}`.trim(),
    gitCommit: gitCommit(),
    node: process.version,
    source: config ? { preset, seed, overrides, config } : { data: dataDir },
    fingerprint: datasetFingerprint(ds),
    // Wall and CPU seconds: on a shared machine the CPU time is the better measure of the work.
    timing: config ? { generationSeconds, generationCpuSeconds, statsSeconds } : { loadSeconds: generationSeconds, statsSeconds },
    stats, target: BABY_TARGETS, rows,
  };
  if (outFile !== undefined) {
    try {
      fs.writeFileSync(outFile, JSON.stringify(record, null, 2) + '\n');
    } catch (e) {
      throw new CkdError(`--out: cannot write ${outFile} (${(e as Error).message})`);
    }
  }
  out(a.options.json ? JSON.stringify(record, null, 2) : formatCalibration(rows, name));
  log(`${config ? 'generated' : 'loaded'} in ${generationSeconds.toFixed(1)} s (${generationCpuSeconds.toFixed(1)} s CPU), statistics in ${statsSeconds.toFixed(1)} s${outFile ? `; wrote ${outFile}` : ''}`);
}
