/** Runs the `ckd` command line in a child process, as a user would, for the CLI tests. */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'ckd.js');

export interface CkdRun { code: number; stdout: string; stderr: string }

export function ckd(...args: string[]): CkdRun {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, CKD_BACKEND: 'wasm' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: exit code 2, one line on stderr naming the problem, no stack trace. */
export function assertUserError(r: CkdRun, problem: RegExp): void {
  assert.strictEqual(r.code, 2, `exit code ${r.code}; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.strictEqual(lines.length, 1, `expected one line, got: ${r.stderr}`);
  assert.match(lines[0], /^ckd: /);
  assert.match(lines[0], problem);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}
