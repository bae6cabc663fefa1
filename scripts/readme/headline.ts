/**
 * npm run headline: rewrites README.md's headline block from the converging grid's records
 * (results/full-default), so its numbers are the records', never typed. With --check it changes
 * nothing and exits 1 when the README's block differs from the records' (what the test checks).
 */
import * as fs from 'fs';
import * as path from 'path';
import { CkdError } from '../../lib/errors';
import { PROJECT_ROOT } from '../../lib/experiments/provenance';
import { HEADLINE_RESULTS, readmeHeadline, withHeadline } from '../../lib/experiments/readme-headline';
import { recordedView } from '../../lib/experiments/recorded-view';
import { presetByName } from '../../lib/experiments/reproduce-plan';

function main(args: string[]): number {
  const unknown = args.filter(a => a !== '--check');
  if (unknown.length) throw new CkdError(`unknown option ${unknown[0]} (usage: npm run headline [-- --check])`);
  const readmeFile = path.join(PROJECT_ROOT, 'README.md');
  const block = readmeHeadline(recordedView(path.join(PROJECT_ROOT, HEADLINE_RESULTS), presetByName('full')), HEADLINE_RESULTS);
  const before = fs.readFileSync(readmeFile, 'utf8');
  const after = withHeadline(before, block, 'README.md');
  if (args.includes('--check')) {
    if (before === after) { console.log(`README.md's headline matches ${HEADLINE_RESULTS}`); return 0; }
    console.log(`README.md's headline differs from ${HEADLINE_RESULTS}; run npm run headline. The records give:\n${block}`);
    return 1;
  }
  fs.writeFileSync(readmeFile, after);
  console.log(before === after ? `README.md's headline already matches ${HEADLINE_RESULTS}` : `README.md's headline rewritten from ${HEADLINE_RESULTS}`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof CkdError)) throw e;
  console.error(`error: ${e.message}`);
  process.exitCode = 2;
}
