import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../io/atomic-write';
import { Provenance } from './provenance';

/** A finished run as it is kept under results/: its full configuration, provenance and outcome. */
export interface RunRecord<C = unknown, R = unknown> {
  kind: string;
  config: C;
  provenance: Provenance;
  result: R;
}

/** Writes a record atomically (temporary file, fsync, then rename) and returns its path. */
export function writeRunRecord(file: string, record: RunRecord): string {
  writeFileAtomic(file, fd => fs.writeFileSync(fd, JSON.stringify(record, null, 1) + '\n'), { what: 'the result record' });
  return file;
}

/** A default file name under results/runs for a run. */
export function defaultRecordPath(root: string, parts: (string | number)[]): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return path.join(root, 'results', 'runs', `${stamp}_${parts.join('_')}.json`);
}
