import * as fs from 'fs';
import * as path from 'path';
import * as os from 'os';
import { gitCommit } from '../lib/experiments/provenance';

/** A benchmark's rows with their provenance (machine, load, commit, time); `extra` joins the top level. */
export function benchRecord(bench: string, setting: Record<string, unknown>, rows: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    bench, setting, rows, ...extra, node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model,
    loadAverage: os.loadavg(), gitCommit: gitCommit(), at: new Date().toISOString(),
  };
}

/** Writes a record as JSON to `file` (folders created), silently. */
export function writeRecordFile(file: string, record: Record<string, unknown>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(record, null, 1) + '\n');
}

/** With `--out FILE` on the command line, writes a benchmark's rows as a JSON record there. */
export function writeBenchRecord(bench: string, setting: Record<string, unknown>, rows: unknown[]): void {
  const at = process.argv.indexOf('--out');
  if (at < 0) return;
  const file = process.argv[at + 1];
  if (!file) throw new Error('--out needs a file name');
  writeRecordFile(file, benchRecord(bench, setting, rows));
  console.log(`wrote ${file}`);
}
