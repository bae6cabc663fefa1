import * as fs from 'fs';
import * as path from 'path';
import { DataError, fsProblem } from '../errors';

export interface AtomicWriteOptions {
  /** What is written, for the error message: `cannot write ${what}: ${problem}`. */
  what: string;
  /** The temporary file, in the target's folder; default `${file}.tmp-${pid}`. */
  tmp?: string;
  /** After the rename, fsync the folder too (best effort: some file systems cannot). */
  syncFolder?: boolean;
}

/**
 * Writes a file atomically: creates its folder, writes a temporary file through `write(fd)`,
 * fsyncs and closes it, then renames it over the target. On any failure the temporary file is
 * removed and a DataError naming the target is thrown.
 */
export function writeFileAtomic(file: string, write: (fd: number) => void, opts: AtomicWriteOptions): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = opts.tmp ?? `${file}.tmp-${process.pid}`;
  try {
    fs.mkdirSync(dir, { recursive: true });
    const fd = fs.openSync(tmp, 'w');
    try {
      write(fd);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    try { fs.rmSync(tmp, { force: true }); } catch { /* best effort */ }
    throw new DataError(file, `cannot write ${opts.what}: ${fsProblem(e)}`);
  }
  if (!opts.syncFolder) return;
  try {
    const dfd = fs.openSync(dir, 'r');
    try { fs.fsyncSync(dfd); } finally { fs.closeSync(dfd); }
  } catch { /* some file systems cannot fsync a folder; the rename is still atomic */ }
}
