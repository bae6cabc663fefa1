/**
 * The store of a results folder (`ckd reproduce --out DIR`), as one merged view of its files:
 *   store.jsonl                 the cells run without --shard (and those folded in after --jobs)
 *   store.shard-K-of-N.jsonl    the cells run by shard K of N (--shard K/N, a Slurm array task,
 *                               a --jobs worker): each shard appends to its own file only, since
 *                               appends from several machines to one file on a network file
 *                               system are not atomic
 * Whatever reads "the store" reads every one of them merged (result-store.ts: a key in two files
 * keeps the first file's record, with a warning when their results differ); a shard appends to
 * its own file. Shards, and where a shard comes from (--shard, or Slurm's array variables).
 */
import * as fs from 'fs';
import * as path from 'path';
import { CkdError, DataError, fsProblem } from '../errors';
import { ResultRecord, ResultStore } from './result-store';
import { RunCell, RunCellResult, RunStore, sameCellResult } from './run-cell';

export const STORE_FILE = 'store.jsonl';
const SHARD_FILE = /^store\.shard-(\d+)-of-(\d+)\.jsonl$/;

/** A shard: 0-based index of count. */
export interface Shard { index: number; count: number }

export function shardStoreFile(dir: string, shard: Shard): string {
  return path.join(dir, `store.shard-${shard.index + 1}-of-${shard.count}.jsonl`);
}

/** The shard files of a folder with their shards, ordered by count, then index. */
export function shardStoreFiles(dir: string): { file: string; shard: Shard }[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new DataError(dir, `cannot list the results folder: ${fsProblem(e)}`);
  }
  const out: { file: string; shard: Shard }[] = [];
  for (const name of names) {
    const m = SHARD_FILE.exec(name);
    if (m) out.push({ file: path.join(dir, name), shard: { index: Number(m[1]) - 1, count: Number(m[2]) } });
  }
  return out.sort((a, b) => a.shard.count - b.shard.count || a.shard.index - b.shard.index);
}

/** Creates the shard's store file when missing, so that other tasks see from its start which sharding runs in the folder. */
export function touchShardStore(dir: string, shard: Shard): void {
  const file = shardStoreFile(dir, shard);
  if (fs.existsSync(file)) return;
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.closeSync(fs.openSync(file, 'a'));
  } catch (e) {
    throw new DataError(file, `cannot create the shard's result store: ${fsProblem(e)}`);
  }
  try {
    const dfd = fs.openSync(dir, 'r');
    try { fs.fsyncSync(dfd); } finally { fs.closeSync(dfd); }
  } catch { /* not every file system can fsync a folder */ }
}

/** Every store file of a results folder, in reading order: store.jsonl, then the shards' files. */
export function storeFiles(dir: string): string[] {
  return [path.join(dir, STORE_FILE), ...shardStoreFiles(dir).map(s => s.file)];
}

/**
 * The merged store of a results folder; appends go to the shard's own file when `shard` is
 * given, else to store.jsonl.
 */
export function openResultsStore(dir: string, o: { shard?: Shard; warn?: (m: string) => void } = {}): RunStore {
  const file = o.shard ? shardStoreFile(dir, o.shard) : path.join(dir, STORE_FILE);
  return new ResultStore<RunCell, RunCellResult>(file, { warn: o.warn, files: () => storeFiles(dir), sameResult: sameCellResult });
}

/**
 * Moves the records of the folder's store.shard-*-of-`count`.jsonl files into store.jsonl (in the
 * order they finished) and removes those files: what `--jobs N` does once its workers have
 * exited, so a folder run on one machine keeps a single store.jsonl. The records are appended
 * (durably) before any file is removed, so a crash in between leaves copies, never a loss.
 * Returns how many records moved.
 */
export function foldShardStores(dir: string, count: number, warn?: (m: string) => void): number {
  const files = shardStoreFiles(dir).filter(s => s.shard.count === count).map(s => s.file);
  if (files.length === 0) return 0;
  const main = new ResultStore<RunCell, RunCellResult>(path.join(dir, STORE_FILE), { warn, sameResult: sameCellResult });
  const records: ResultRecord<RunCell, RunCellResult>[] = [];
  for (const f of files) records.push(...new ResultStore<RunCell, RunCellResult>(f, { warn }).records());
  records.sort((a, b) => (a.finishedAt < b.finishedAt ? -1 : a.finishedAt > b.finishedAt ? 1 : 0));
  const fresh = new Map<string, ResultRecord<RunCell, RunCellResult>>();
  for (const r of records) {
    const have = main.get(r.key) ?? fresh.get(r.key);
    if (have) {
      if (!sameCellResult(have.result, r.result)) warn?.(`cell ${r.key} is in two store files of ${dir} with different results; keeping one`);
      continue;
    }
    fresh.set(r.key, r);
  }
  main.appendRecords([...fresh.values()]);
  for (const f of files) {
    try {
      fs.rmSync(f);
    } catch (e) {
      throw new DataError(f, `cannot remove the shard's store file after moving its records into ${STORE_FILE}: ${fsProblem(e)}`);
    }
  }
  return fresh.size;
}

/** Parses `K/N` (1-based K) into a shard; `what` names the source in the error. */
export function parseShard(s: string, what = '--shard'): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new CkdError(`${what} must be K/N with 1 <= K <= N (got '${s}')`);
  return { index: Number(m[1]) - 1, count: Number(m[2]) };
}

/**
 * The shard of a Slurm array task, from its environment; undefined outside an array job.
 * Array task IDs are the shard numbers 1..N (submit with --array=1-N). N is CKD_SHARDS when set
 * (needed when some tasks of an array are submitted again: `sbatch --array=3` alone is a
 * one-task array), else SLURM_ARRAY_TASK_COUNT, else SLURM_ARRAY_TASK_MAX (older Slurm).
 */
export function shardFromSlurm(env: NodeJS.ProcessEnv = process.env): { shard: Shard; countFrom: string } | undefined {
  const id = env.SLURM_ARRAY_TASK_ID;
  if (id === undefined || id === '') return undefined;
  const countFrom = env.CKD_SHARDS ? 'CKD_SHARDS' : env.SLURM_ARRAY_TASK_COUNT ? 'SLURM_ARRAY_TASK_COUNT' : 'SLURM_ARRAY_TASK_MAX';
  const countText = env[countFrom];
  const k = Number(id);
  const n = Number(countText);
  if (!/^\d+$/.test(id)) throw new CkdError(`SLURM_ARRAY_TASK_ID is '${id}', not a task number`);
  if (!countText || !/^\d+$/.test(countText) || n < 1) throw new CkdError(`${countFrom} is '${countText ?? ''}': cannot tell how many shards the array has; pass --shard K/N`);
  if (k < 1 || k > n) {
    throw new CkdError(`SLURM_ARRAY_TASK_ID=${k} is not a shard of ${n} (${countFrom}=${n}): array task IDs are the shard numbers 1..N ` +
      `(submit with --array=1-N); when submitting some tasks of an N-task array again, set CKD_SHARDS=N (sbatch --array=${k} --export=ALL,CKD_SHARDS=N ...)`);
  }
  return { shard: { index: k - 1, count: n }, countFrom };
}

/**
 * Refuses a shard count taken from the array's size when the folder already holds the store
 * files of a sharding with another count: most likely some tasks of an array submitted again
 * without CKD_SHARDS, which would deal the cells anew and run cells that other tasks run.
 */
export function checkShardCount(dir: string, shard: Shard, countFrom: string): void {
  if (countFrom === 'CKD_SHARDS') return;
  const others = [...new Set(shardStoreFiles(dir).map(s => s.shard.count))].filter(n => n !== shard.count);
  if (others.length === 0) return;
  throw new CkdError(`${dir} holds the store files of a ${others.join(' and a ')}-shard run (store.shard-K-of-${others[0]}.jsonl), ` +
    `but this array task would be shard ${shard.index + 1} of ${shard.count} (${countFrom}): set CKD_SHARDS=${others[0]} when submitting some tasks again, ` +
    `or CKD_SHARDS=${shard.count} to deal the cells anew (only once no task of the earlier array runs)`);
}
