import { CkdError, fsProblem } from '../errors';
import { CommandSpec, formatHelp } from './args';
import { calibrateSpec, convertSpec, dataCalibrate, dataConvert, dataInspect, dataSynth, inspectSpec, synthSpec } from './data-commands';
import { demoCommand, demoSpec } from './demo-command';
import { backbonesCommand, backbonesSpec } from './backbones-command';
import { compareCommand, compareSpec } from './compare-command';
import { payoffCommand, payoffSpec } from './payoff-command';
import { reproduceCommand, reproduceSpec } from './reproduce-command';
import { teachersCommand, teachersSpec } from './teachers-command';
import { trainCommand, trainSpec } from './train-command';
import { tuneCommand, tuneSpec } from './tune-command';

export interface Command {
  spec: CommandSpec;
  /** Runs the command; a number returned is the exit code (default 0). */
  run(argv: string[]): void | number | Promise<void | number>;
}

const out = (s: string) => process.stdout.write(s + '\n');
const log = (s: string) => process.stderr.write(s + '\n');
const warn = (s: string) => process.stderr.write(`warning: ${s}\n`);

export const COMMANDS: Record<string, Command> = {
  'data synth': { spec: synthSpec, run: argv => dataSynth(argv, log) },
  'data inspect': { spec: inspectSpec, run: argv => dataInspect(argv, out, warn) },
  'data convert': { spec: convertSpec, run: argv => dataConvert(argv, log, warn) },
  'data calibrate': { spec: calibrateSpec, run: argv => dataCalibrate(argv, out, log, warn) },
  teachers: { spec: teachersSpec, run: argv => teachersCommand(argv, out, warn) },
  train: { spec: trainSpec, run: argv => trainCommand(argv, out, warn) },
  backbones: { spec: backbonesSpec, run: argv => backbonesCommand(argv, out, log, warn) },
  compare: { spec: compareSpec, run: argv => compareCommand(argv, out) },
  reproduce: { spec: reproduceSpec, run: argv => reproduceCommand(argv, out, log, warn) },
  payoff: { spec: payoffSpec, run: argv => payoffCommand(argv, out, warn) },
  tune: { spec: tuneSpec, run: argv => tuneCommand(argv, out, log, warn) },
  demo: { spec: demoSpec, run: argv => demoCommand(argv, out, log, warn) },
};

function overview(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map(n => n.length)) + 4;
  return ['usage: ckd COMMAND [options]   (ckd COMMAND --help for its options)', '', 'commands:',
    ...names.map(n => `  ${n.padEnd(width)}${COMMANDS[n].spec.summary}`),
    '', 'environment: CKD_BACKEND=tensorflow|wasm|cpu|webgpu chooses the tfjs backend (default: the fastest available;',
    '  webgpu, the GPU path, only when asked for: it needs `npm install --no-save webgpu` and a Vulkan driver);',
    '  CKD_WEBGPU_FLAGS=a,b passes options to Dawn (e.g. backend=vulkan);',
    '  CKD_GEMM_THREADS=N threads for the fixed-feature products (default: min(2, cores); results do not depend on it);',
    '  CKD_GRAPH_THREADS=N threads for the graph kernels (default: CKD_GEMM_THREADS; results do not depend on it);',
    '  CKD_KERNELS=stock runs tfjs\'s own ops instead of the project kernels (teaching, reference; small data only).'].join('\n');
}

/** Finds the command named by the first one or two words. */
function resolve(argv: string[]): { command?: Command; rest: string[] } {
  const two = argv.slice(0, 2).join(' ');
  if (COMMANDS[two]) return { command: COMMANDS[two], rest: argv.slice(2) };
  if (COMMANDS[argv[0]]) return { command: COMMANDS[argv[0]], rest: argv.slice(1) };
  return { rest: argv };
}

let pipeGuarded = false;
/** Output piped into a reader that stops early (`ckd reproduce --plan | head`): stop quietly. */
function quietOnClosedPipe(): void {
  if (pipeGuarded) return;
  pipeGuarded = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

/** Runs the CLI; returns the exit code. Errors a user can fix are one line and code 2. */
export async function main(argv: string[]): Promise<number> {
  quietOnClosedPipe();
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') { out(overview()); return 0; }
    const { command, rest } = resolve(argv);
    if (!command) throw new CkdError(`unknown command '${argv.slice(0, 2).join(' ')}' (run ckd --help)`);
    if (rest.includes('--help')) { out(formatHelp(command.spec)); return 0; }
    const code = await command.run(rest);
    return typeof code === 'number' ? code : 0;
  } catch (e) {
    if (e instanceof CkdError) {
      process.stderr.write(`ckd: ${e.message}\n`);
      return 2;
    }
    // A full disk wherever it strikes (a report, a figure): one line naming the file.
    const err = e as NodeJS.ErrnoException;
    if (err && (err.code === 'ENOSPC' || err.code === 'EDQUOT')) {
      process.stderr.write(`ckd: ${err.path ?? 'writing a file'}: ${fsProblem(err)}\n`);
      return 2;
    }
    throw e;
  }
}
