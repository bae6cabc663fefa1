import * as path from 'path';
import { PROJECT_ROOT } from '../lib/experiments/provenance';
import { PRESET_NAMES } from '../lib/synth/presets';
import { COST_MODELS } from './flops';

export const BENCH_MODELS = ['vbpr', 'deepstyle', 'mmgcn', 'grcn', 'egogcn', 'mgcn'] as const;

export const USAGE = `usage: npm run bench -- [options]   (or node dist/bench/run.js [options])
  --preset NAME   synthetic preset (${PRESET_NAMES.join(', ')}; default baby-scale)
  --models LIST   comma-separated backbones (default ${BENCH_MODELS.join(',')})
  --steps N       timed training steps per backbone and method, after one warm-up step; a step's time is their median (default 6)
  --json          print only the JSON record on stdout (progress stays on stderr)
  --out FILE      where the record goes (default results/bench/bench-<preset>.json on wasm,
                  bench-<preset>-<backend>.json on another backend)
  --quick         a smoke run: preset tiny, 1 step, small GEMM shapes (explicit options still win)
The backend is the engine's choice; CKD_BACKEND=webgpu measures the GPU path (docs/gpu.md).`;

export interface RunOptions {
  preset: string;
  models: string[];
  steps: number;
  json: boolean;
  out: string;
  /** Whether --out was given (else the file name gains the backend off wasm). */
  outGiven: boolean;
  quick: boolean;
}

export class UsageError extends Error {}

/** Parses the command line (process.argv.slice(2)). */
export function parseRunOptions(argv: string[]): RunOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === '--json' || a === '--quick' || a === '--help' || a === '-h') { flags.add(a); continue; }
    if (!['--preset', '--models', '--steps', '--out'].includes(a)) throw new UsageError(`unknown option '${a}'`);
    const v = argv[++k];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
    values.set(a, v);
  }
  if (flags.has('--help') || flags.has('-h')) throw new UsageError('');
  const quick = flags.has('--quick');
  const preset = values.get('--preset') ?? (quick ? 'tiny' : 'baby-scale');
  if (!(PRESET_NAMES as readonly string[]).includes(preset)) throw new UsageError(`unknown preset '${preset}' (expected one of: ${PRESET_NAMES.join(', ')})`);
  const models = (values.get('--models') ?? BENCH_MODELS.join(',')).split(',').map(s => s.trim().toLowerCase()).filter(Boolean);
  for (const m of models) {
    if (!COST_MODELS[m]) throw new UsageError(`unknown or unsupported backbone '${m}' (expected some of: ${BENCH_MODELS.join(', ')})`);
  }
  if (models.length === 0) throw new UsageError('--models names no backbone');
  const stepsText = values.get('--steps') ?? (quick ? '1' : '6');
  const steps = Number(stepsText);
  if (!Number.isInteger(steps) || steps < 1) throw new UsageError(`--steps must be a positive integer (got ${stepsText})`);
  const out = values.get('--out') ?? path.join(PROJECT_ROOT, 'results', 'bench', `bench-${preset}.json`);
  return { preset, models: [...new Set(models)], steps, json: flags.has('--json'), out, outGiven: values.has('--out'), quick };
}
