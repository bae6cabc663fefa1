/**
 * The LATTICE layout, which the CKD code reads (CRIPAC-DIG/LATTICE data/build_data.py writes it;
 * CRIPAC-DIG/Balanced-Multimodal-Rec codes/utility/load_data.py reads it):
 *   DIR/5-core/train.json, val.json, test.json   {"<user id>": [item id, ...], ...}
 *   DIR/image_feat.npy, DIR/text_feat.npy         one row per item
 * Keys are decimal user ids (Python's json.dump turns the int keys into strings); values are lists
 * of int item ids. build_data.py writes one key per user in every file, in its own order. The CKD
 * reader skips users whose train list is empty and takes n_items = max item id + 1 over all splits.
 * Our writer lists every user 0..numUsers-1 in every file (lists sorted, possibly empty), formatted
 * like Python's json.dump.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DataError } from '../errors';
import { Dataset, SplitName, SPLITS, itemsOf } from './dataset';
import { assembleDataset, RawSplit } from './assemble';
import { FEATURE_FILES, readFeatures, readItemCategories, writeFeatures } from './features';

export const LATTICE_SUBDIR = '5-core';

export function latticeSplitFile(dir: string, split: SplitName): string {
  return path.join(dir, LATTICE_SUBDIR, `${split}.json`);
}

/** True when DIR/5-core/train.json exists. */
export function isLatticeDir(dir: string): boolean {
  return fs.existsSync(latticeSplitFile(dir, 'train'));
}

export interface ReadOptions {
  warn?: (message: string) => void;
}

export function readLattice(dir: string, opts: ReadOptions = {}): Dataset {
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  const features = readFeatures(dir);
  const splits = {} as Record<SplitName, RawSplit>;
  let minUsers = 0;
  let minUsersSource: { file: string; where: string } | undefined;
  for (const s of SPLITS) {
    const parsed = parseSplitJson(latticeSplitFile(dir, s), s);
    splits[s] = parsed.split;
    if (parsed.maxKey + 1 > minUsers) {
      minUsers = parsed.maxKey + 1;
      minUsersSource = { file: parsed.split.file, where: `user ${parsed.maxKey}` };
    }
  }
  return assembleDataset({
    name: path.basename(path.resolve(dir)),
    source: dir,
    splits,
    minUsers,
    minUsersSource,
    features,
    featureFile: FEATURE_FILES.visual,
    itemCategories: readItemCategories(dir, features.visual.rows),
    warn,
  });
}

/** Parses one split file; exported for tests and tools. */
export function parseSplitJson(file: string, split: SplitName): { split: RawSplit; maxKey: number } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(file, code === 'ENOENT' ? `missing file (the ${split} split of the LATTICE layout)` : `cannot read (${code ?? String(e)})`);
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new DataError(file, `malformed JSON: ${(e as Error).message}`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new DataError(file, `malformed split: expected a JSON object mapping user id -> list of item ids, found ${Array.isArray(obj) ? 'an array' : obj === null ? 'null' : typeof obj}`);
  }
  const users: number[] = [];
  const items: number[] = [];
  let maxKey = -1;
  for (const [key, value] of Object.entries(obj as Record<string, unknown>)) {
    if (!/^\d+$/.test(key) || Number(key) > 2147483646) {
      throw new DataError(file, `user id ${JSON.stringify(key)} is not a non-negative integer`);
    }
    const u = Number(key);
    if (u > maxKey) maxKey = u;
    if (!Array.isArray(value)) {
      throw new DataError(file, `user ${u}: expected a list of item ids, found ${value === null ? 'null' : typeof value}`);
    }
    for (let p = 0; p < value.length; p++) {
      const it = value[p];
      if (typeof it !== 'number' || !Number.isInteger(it)) {
        throw new DataError(file, `user ${u}: item ${JSON.stringify(it)} (position ${p}) is not an integer`);
      }
      if (it < 0) throw new DataError(file, `user ${u}: item ${it} (position ${p}) is negative`);
      if (it > 2147483646) throw new DataError(file, `user ${u}: item ${it} (position ${p}) is out of range`);
      users.push(u);
      items.push(it);
    }
  }
  const U = Int32Array.from(users);
  const I = Int32Array.from(items);
  return {
    split: { file, label: `${split} split`, users: U, items: I, where: (k: number) => `user ${U[k]}` },
    maxKey,
  };
}

export function writeLattice(ds: Dataset, dir: string): void {
  fs.mkdirSync(path.join(dir, LATTICE_SUBDIR), { recursive: true });
  for (const s of SPLITS) {
    const parts: string[] = [];
    for (let u = 0; u < ds.numUsers; u++) {
      parts.push(`"${u}": [${Array.from(itemsOf(ds[s], u)).join(', ')}]`);
    }
    fs.writeFileSync(latticeSplitFile(dir, s), `{${parts.join(', ')}}`);
  }
  writeFeatures(dir, ds.features, ds.itemCategories);
}
