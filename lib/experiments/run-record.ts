import * as fs from 'fs';
import * as path from 'path';
import { DataError } from '../errors';
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
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, JSON.stringify(record, null, 1) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    try { fs.rmSync(tmp, { force: true }); } catch { /* best effort */ }
    throw new DataError(file, `cannot write the result record (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return file;
}

/** A default file name under results/runs for a run. */
export function defaultRecordPath(root: string, parts: (string | number)[]): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return path.join(root, 'results', 'runs', `${stamp}_${parts.join('_')}.json`);
}
