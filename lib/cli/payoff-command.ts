import * as path from 'path';
import { parsePayoffSource, payoffAcross, payoffAcrossMarkdown, writePayoffAcross } from '../experiments/payoff-across';
import { PRESET_NAMES, presetByName } from '../experiments/reproduce-plan';
import { CommandSpec, parseArgs, stringOpt } from './args';

export const payoffSpec: CommandSpec = {
  name: 'payoff',
  summary: 'Draw the payoff figure over several results folders: CKD\'s fused gain against its teachers\' quality (teachers stopped after 5-40 epochs, or converged), one series per backbone and data set, each labelled with the data set\'s BPR-MF / plain fused Recall@20; missing points listed as missing. Where weak-ids or strong-ids is among the data sets read, it also decides the registered predictions P1-P6 (docs/prediction-payoff.md) from the points: holds, fails, or open until every planned seed of the points it needs is recorded.',
  usage: 'ckd payoff RESULTS_DIR[@PRESET]... [--out DIR] [--preset payoff|full]   (e.g. results/full-short-default@full-short: that grid\'s CKD with its own teachers, as a series of its own)',
  positionals: 64,
  options: [
    { name: 'out', value: 'DIR', help: 'write payoff.md, payoff.html (figure and tables), payoff-figure.html and, where Chromium is installed, payoff.png there; without it the tables are printed' },
    { name: 'preset', value: 'NAME', help: `the reproduce preset whose payoff cells are read (${PRESET_NAMES.join(', ')}; one with a payoff experiment: payoff and full have the same cells)`, default: 'payoff' },
    { name: 'help', help: 'show this help' },
  ],
};

export async function payoffCommand(argv: string[], out: (s: string) => void, warn: (s: string) => void): Promise<void> {
  const a = parseArgs(payoffSpec, argv);
  const preset = presetByName(stringOpt(a, 'preset', 'payoff')!);
  const result = payoffAcross(a.positionals.map(p => parsePayoffSource(p, preset)), preset, warn);
  const dir = stringOpt(a, 'out');
  if (dir === undefined) { out(payoffAcrossMarkdown(result)); return; }
  const w = await writePayoffAcross(result, dir);
  out(payoffAcrossMarkdown(result));
  out(`wrote ${[w.markdown, w.report, w.figure, w.png].filter(Boolean).map(f => path.relative(process.cwd(), f!)).join(', ')}`);
}
