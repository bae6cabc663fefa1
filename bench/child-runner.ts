/**
 * Runs bench/backbone-child.js for one backbone and returns its row; a child that dies without a
 * row (killed, out of memory) yields a row that says so. The child's stderr (progress) is passed
 * through to ours; its stdout goes to our stderr too, so that `--json` output stays clean.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { BackboneRow } from './backbone-bench';
import type { ChildJob } from './backbone-child';

const CHILD_SCRIPT = path.join(__dirname, 'backbone-child.js');
const TAIL_CHARS = 2000;

export async function runChild(job: ChildJob, workDir: string, stepsPerEpoch: number): Promise<BackboneRow> {
  const jobFile = path.join(workDir, `${job.model}.job.json`);
  fs.writeFileSync(jobFile, JSON.stringify(job));
  fs.rmSync(job.resultFile, { force: true });
  let tail = '';
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD_SCRIPT, jobFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const forward = (chunk: Buffer) => {
      process.stderr.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-TAIL_CHARS);
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', reject);
    child.on('close', (c, s) => resolve({ code: c, signal: s }));
  });
  if (code === 0 && fs.existsSync(job.resultFile)) return JSON.parse(fs.readFileSync(job.resultFile, 'utf8')) as BackboneRow;
  const how = signal ? `killed by ${signal}` : `exit code ${code}`;
  return {
    model: job.model, backend: 'unknown', buildSeconds: NaN, stepsPerEpoch, timedSteps: job.steps, peakRssMiB: null,
    errors: { process: `the measuring process ended without a result (${how}): ${tail.trim().split('\n').slice(-6).join(' | ')}` },
  };
}
