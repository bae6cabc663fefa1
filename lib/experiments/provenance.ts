import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Dataset } from '../data/dataset';
import { datasetFingerprint } from '../data/fingerprint';

export { datasetFingerprint };

/** Where a result came from: enough to re-run it and to tell two runs apart. */
export interface Provenance {
  packageVersion: string;
  gitCommit: string;
  gitDirty: boolean;
  node: string;
  backend: string;
  dataset: { name: string; source: string; fingerprint: string };
  startedAt: string;
}

export const PROJECT_ROOT = findRoot(__dirname);

function findRoot(from: string): string {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return from;
    dir = up;
  }
}

export function packageVersion(): string {
  return JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).version;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return undefined;
  }
}

/** The checkout's HEAD commit, or 'unknown' outside a git checkout. */
export function gitCommit(): string {
  return git(['rev-parse', 'HEAD']) ?? 'unknown';
}

export function provenance(ds: Dataset, backend: string): Provenance {
  const commit = gitCommit();
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  return {
    packageVersion: packageVersion(),
    gitCommit: commit,
    gitDirty: status === undefined ? false : status.length > 0,
    node: process.version,
    backend,
    dataset: { name: ds.name, source: ds.source, fingerprint: datasetFingerprint(ds) },
    startedAt: new Date().toISOString(),
  };
}
