/**
 * A single run's record file (`ckd train --out FILE`): the run cell's record exactly as a line of
 * a result store (result-store.ts), written atomically, so the file is itself a store of one
 * record that every reader of stores can open.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../io/atomic-write';
import { ResultRecord } from './result-store';

/** Writes `record` as one store line to `file` atomically (temporary file, fsync, rename), replacing it. */
export function writeRecordFile(file: string, record: ResultRecord): string {
  writeFileAtomic(file, fd => fs.writeFileSync(fd, JSON.stringify(record) + '\n'), { what: 'the result record' });
  return file;
}

/** A default file name under results/runs for a run. */
export function defaultRecordPath(root: string, parts: (string | number)[]): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return path.join(root, 'results', 'runs', `${stamp}_${parts.join('_')}.json`);
}
