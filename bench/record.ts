import * as fs from 'fs';
import * as path from 'path';
import * as os from 'os';
import { gitCommit } from '../lib/experiments/provenance';

/** With `--out FILE` on the command line, writes a benchmark's rows as a JSON record there. */
export function writeBenchRecord(bench: string, setting: Record<string, unknown>, rows: unknown[]): void {
  const at = process.argv.indexOf('--out');
  if (at < 0) return;
  const file = process.argv[at + 1];
  if (!file) throw new Error('--out needs a file name');
  const record = {
    bench, setting, rows, node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model,
    loadAverage: os.loadavg(), gitCommit: gitCommit(), at: new Date().toISOString(),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(record, null, 1) + '\n');
  console.log(`wrote ${file}`);
}
