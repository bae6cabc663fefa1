import * as path from 'path';
import { describeDataset, formatDescription } from '../data/describe';
import { LAYOUTS, Layout, convertDataset, loadDataset, writeDataset } from '../data/loaders';
import { CkdError } from '../errors';
import { PRESET_NAMES, PRESETS, PresetName, SynthConfig, presetConfig } from '../synth/presets';
import { synthesizeDataset } from '../synth/synthesize';
import { CommandSpec, choiceOpt, numberOpt, parseArgs, requireOpt, stringOpt } from './args';

const SYNTH_KEYS = Object.keys(PRESETS.default) as (keyof SynthConfig)[];

export const synthSpec: CommandSpec = {
  name: 'data synth',
  summary: 'Generate the embedded synthetic data set (planted modality imbalance) and write it to a folder.',
  usage: 'ckd data synth --preset tiny|default|baby-scale --seed N --out DIR [--layout lattice|mmrec] [--set KEY=X,...]',
  options: [
    { name: 'preset', value: 'NAME', help: 'size: tiny (tests), default (the demo), baby-scale (Amazon Baby sizes, benchmarks)', default: 'default' },
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
    const integer = ['users', 'items', 'factors', 'visualDim', 'textDim', 'minPerUser'].includes(key);
    const ok = Number.isFinite(v) && raw.trim() !== '' && (integer ? Number.isInteger(v) && v >= 1
      : key.endsWith('Coverage') ? v > 0 && v <= 1 : key.endsWith('Noise') || key === 'popularityExponent' ? v >= 0 : v > 0);
    if (!ok) throw new CkdError(`--set: ${key}=${raw} is out of range (${integer ? 'a positive integer' : key.endsWith('Coverage') ? 'in (0, 1]' : key.endsWith('Noise') || key === 'popularityExponent' ? '>= 0' : '> 0'})`);
    out[key] = v;
  }
  return out as Partial<SynthConfig>;
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
  usage: 'ckd data inspect DIR [--json]',
  positionals: 1,
  options: [
    { name: 'json', help: 'print JSON instead of text' },
    { name: 'help', help: 'show this help' },
  ],
};

export function dataInspect(argv: string[], out: (s: string) => void, warn: (s: string) => void): void {
  const a = parseArgs(inspectSpec, argv);
  const dir = a.positionals[0];
  if (!dir) throw new CkdError('ckd data inspect needs a folder: ckd data inspect DIR [--json]');
  const d = describeDataset(loadDataset(dir, { warn }));
  out(a.options.json ? JSON.stringify(d, null, 2) : formatDescription(d));
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
