/** Helpers shared by the test/data-*.test.ts files: temp folders, tiny data sets, error checks. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DataError } from '../lib/errors';
import { Dataset, FeatureMatrix, listsFromArrays } from '../lib/data/dataset';
import { encodeHeader, writeNpy } from '../lib/data/npy';

const made: string[] = [];

/** A fresh temp folder, removed by cleanupTmp(). */
export function tmpDir(prefix = 'ckd-data-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

export function cleanupTmp(): void {
  while (made.length) fs.rmSync(made.pop() as string, { recursive: true, force: true });
}

/** Asserts fn throws a DataError whose message names `file` (its basename at least) and matches `problem`. */
export function assertDataError(fn: () => unknown, file: string, problem: RegExp): DataError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, `expected a DataError about ${path.basename(file)} matching ${problem}, but nothing was thrown`);
  assert.ok(caught instanceof DataError, `expected a DataError, got ${(caught as Error)?.stack ?? String(caught)}`);
  const err = caught as DataError;
  assert.ok(err.message.includes(path.basename(file)), `message should name ${path.basename(file)}: ${err.message}`);
  assert.ok(err.file.endsWith(path.basename(file)) || err.file.includes(file), `error file ${err.file} should be ${file}`);
  assert.match(err.problem, problem, `problem should match ${problem}: ${err.message}`);
  return err;
}

/** A deterministic feature matrix (no Rng needed: fixed formula). */
export function features(rows: number, cols: number, salt = 1): FeatureMatrix {
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < cols; c++) data[i * cols + c] = Math.sin(salt * 7.3 + i * 1.7 + c * 0.31) + 0.1 * c;
  }
  return { rows, cols, data };
}

/**
 * A tiny valid data set: 5 users, 8 items; user 3 has train items only; item 7 has no interactions.
 */
export function tinyDataset(): Dataset {
  const numUsers = 5;
  const numItems = 8;
  return {
    name: 'tiny',
    source: '<memory>',
    numUsers,
    numItems,
    train: listsFromArrays([[0, 1, 2], [2, 3], [4, 5, 0], [1], [6, 3]], numUsers),
    val: listsFromArrays([[3], [], [1], [], [0]], numUsers),
    test: listsFromArrays([[4], [5], [], [], [2]], numUsers),
    features: { visual: features(numItems, 6, 1), text: features(numItems, 4, 2) },
  };
}

/** Writes a .npy with an arbitrary header dict text and raw body bytes (for corrupt-file tests). */
export function writeRawNpy(file: string, dictText: string, body: Uint8Array, version = 1): void {
  const pad = (n: number) => (64 - (n % 64)) % 64;
  if (version === 1) {
    const base = 10 + dictText.length + 1;
    const dict = dictText + ' '.repeat(pad(base)) + '\n';
    const h = Buffer.alloc(10);
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(h);
    h.writeUInt16LE(dict.length, 8);
    fs.writeFileSync(file, Buffer.concat([h, Buffer.from(dict, 'latin1'), Buffer.from(body)]));
  } else {
    const base = 12 + dictText.length + 1;
    const dict = dictText + ' '.repeat(pad(base)) + '\n';
    const h = Buffer.alloc(12);
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(h);
    h.writeUInt32LE(dict.length, 8);
    fs.writeFileSync(file, Buffer.concat([h, Buffer.from(dict, 'latin1'), Buffer.from(body)]));
  }
}

export { encodeHeader, writeNpy };
