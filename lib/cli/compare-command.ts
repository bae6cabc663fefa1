import * as fs from 'fs';
import * as path from 'path';
import { CkdError } from '../errors';
import { compareRuns, comparisonMarkdown, readArm } from '../experiments/compare-runs';
import { CommandSpec, parseArgs, requireOpt, stringOpt } from './args';

export const compareSpec: CommandSpec = {
  name: 'compare',
  summary: 'Compare two sets of runs (ckd train records, or a ckd reproduce store with a selector) paired by seed: mean ± sd of test Recall/NDCG/Precision@20 and of both channels, with a paired t-test.',
  usage: 'ckd compare --a FILE[,FILE...] --b FILE[,FILE...] [--out FILE.md]   (FILE: a run record, or STORE.jsonl#model=vbpr,method=plain[,mode=MODE][,variant=NAME][,lr=X])',
  options: [
    { name: 'a', value: 'FILES', help: 'comma-separated run records of the first arm (e.g. CKD), or STORE.jsonl#SELECTOR for all matching runs of a ckd reproduce store' },
    { name: 'b', value: 'FILES', help: 'comma-separated run records of the second arm (e.g. plain), same seeds' },
    { name: 'out', value: 'FILE', help: 'also write the markdown table there' },
    { name: 'help', help: 'show this help' },
  ],
};

export function compareCommand(argv: string[], out: (s: string) => void): void {
  const a = parseArgs(compareSpec, argv);
  const read = (name: string) => requireOpt(a, name).split(/,(?![^#]*=)/).filter(Boolean).flatMap(readArm);
  const ra = read('a');
  const rb = read('b');
  const seedsA = ra.map(r => r.seed).sort().join(',');
  const seedsB = rb.map(r => r.seed).sort().join(',');
  if (seedsA !== seedsB) throw new CkdError(`--a has seeds ${seedsA} but --b has seeds ${seedsB}: a paired comparison needs the same seeds`);
  const table = comparisonMarkdown(ra[0].label, rb[0].label, compareRuns(ra, rb));
  const file = stringOpt(a, 'out');
  if (file) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, `Seeds ${seedsA}. Records: ${[...ra, ...rb].map(r => r.file).join(', ')}\n\n${table}`);
  }
  out(table);
}
