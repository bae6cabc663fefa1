/**
 * The MMRec layout (enoche/MMRec, src/utils/dataset.py and configs/dataset/*.yaml):
 *   DIR/NAME.inter   tab-separated, header line; needs columns userID, itemID, x_label
 *                    (0 train, 1 val, 2 test); other columns (rating, timestamp, ...) in any order
 *                    are ignored. The public files read "userID itemID rating timestamp x_label".
 *   DIR/image_feat.npy, DIR/text_feat.npy   one row per item (MMRec allows one to be missing; we
 *                    need both).
 * MMRec reads it with pandas (usecols, sep '\t'); user/item counts are max id + 1, and its
 * filter_out_cod_start_users silently drops val/test rows of users without train rows; we refuse
 * those (a DataError naming the line). Ids written as "12.0" are accepted (pandas writes float
 * columns that way); "12.5", "", "abc" are not. Blank lines are skipped; CRLF line ends are fine.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DataError } from '../errors';
import { Dataset, SplitName, SPLITS, itemsOf } from './dataset';
import { assembleDataset, RawSplit } from './assemble';
import { FEATURE_FILES, readFeatures, readItemCategories, writeFeatures } from './features';
import { ReadOptions } from './lattice';

export const MMREC_COLUMNS = { user: 'userID', item: 'itemID', label: 'x_label' } as const;

/** The .inter files in `dir` (sorted by name). */
export function interFiles(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith('.inter')).sort();
}

/**
 * The .inter file of an MMRec folder: the only one, or DIR/<basename of DIR>.inter when several
 * exist (as in MMRec's data/<name>/<name>.inter); undefined when there is none.
 */
export function findInterFile(dir: string): string | undefined {
  const files = interFiles(dir);
  if (files.length === 0) return undefined;
  if (files.length === 1) return path.join(dir, files[0]);
  const own = `${path.basename(path.resolve(dir))}.inter`;
  if (files.includes(own)) return path.join(dir, own);
  throw new DataError(dir, `several .inter files (${files.join(', ')}) and none named ${own}; keep one`);
}

export function readMmrec(dir: string, opts: ReadOptions & { interFile?: string } = {}): Dataset {
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  const file = opts.interFile ?? findInterFile(dir);
  if (!file) throw new DataError(path.join(dir, '<name>.inter'), 'missing file: no .inter file in the folder');
  const features = readFeatures(dir);
  const splits = parseInter(file);
  return assembleDataset({
    name: path.basename(file, '.inter'),
    source: dir,
    splits,
    features,
    featureFile: FEATURE_FILES.visual,
    itemCategories: readItemCategories(dir, features.visual.rows),
    warn,
  });
}

/** Parses an .inter file into its three splits; exported for tests and tools. */
export function parseInter(file: string): Record<SplitName, RawSplit> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(file, code === 'ENOENT' ? 'missing file' : `cannot read (${code ?? String(e)})`);
  }
  let pos = 0;
  let lineNo = 0;
  const nextLine = (): string | undefined => {
    if (pos >= text.length) return undefined;
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    let line = text.slice(pos, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    pos = end + 1;
    lineNo++;
    return line;
  };
  const header = nextLine();
  if (header === undefined || header.trim() === '') throw new DataError(file, 'malformed TSV: empty file, expected a header line');
  const cols = header.split('\t').map((c) => c.trim());
  const colOf = (name: string): number => {
    const i = cols.indexOf(name);
    if (i >= 0) return i;
    // RecBole-style typed headers ("userID:token") are accepted too.
    return cols.findIndex((c) => c.split(':')[0] === name);
  };
  const ci = { user: colOf(MMREC_COLUMNS.user), item: colOf(MMREC_COLUMNS.item), label: colOf(MMREC_COLUMNS.label) };
  const missing = (Object.keys(ci) as (keyof typeof ci)[]).filter((k) => ci[k] < 0).map((k) => MMREC_COLUMNS[k]);
  if (missing.length > 0) {
    throw new DataError(file, `malformed TSV: missing column(s) ${missing.join(', ')} in the tab-separated header line (found: ${cols.join(', ')})`);
  }
  const need = Math.max(ci.user, ci.item, ci.label) + 1;
  const acc = SPLITS.map(() => ({ users: [] as number[], items: [] as number[], lines: [] as number[] }));
  for (let line = nextLine(); line !== undefined; line = nextLine()) {
    if (line.trim() === '') continue;
    const f = line.split('\t');
    if (f.length < need) {
      throw new DataError(file, `line ${lineNo}: malformed TSV: ${f.length} tab-separated field(s), need at least ${need} to reach columns ${MMREC_COLUMNS.user}, ${MMREC_COLUMNS.item}, ${MMREC_COLUMNS.label}`);
    }
    const u = parseId(file, lineNo, MMREC_COLUMNS.user, f[ci.user]);
    const i = parseId(file, lineNo, MMREC_COLUMNS.item, f[ci.item]);
    const lab = f[ci.label].trim();
    const s = lab === '0' ? 0 : lab === '1' ? 1 : lab === '2' ? 2 : Number(lab);
    if (s !== 0 && s !== 1 && s !== 2) {
      throw new DataError(file, `line ${lineNo}: bad ${MMREC_COLUMNS.label} ${JSON.stringify(f[ci.label])} (expected 0 train, 1 val or 2 test)`);
    }
    acc[s].users.push(u);
    acc[s].items.push(i);
    acc[s].lines.push(lineNo);
  }
  const out = {} as Record<SplitName, RawSplit>;
  SPLITS.forEach((name, s) => {
    const lines = Int32Array.from(acc[s].lines);
    out[name] = {
      file,
      label: `${name} split (${MMREC_COLUMNS.label} ${s})`,
      users: Int32Array.from(acc[s].users),
      items: Int32Array.from(acc[s].items),
      where: (k: number) => `line ${lines[k]}`,
    };
  });
  return out;
}

function parseId(file: string, lineNo: number, column: string, raw: string): number {
  const t = raw.trim();
  const v = t === '' ? NaN : Number(t);
  if (!Number.isInteger(v)) throw new DataError(file, `line ${lineNo}: ${column} ${JSON.stringify(raw)} is not an integer`);
  if (v < 0) throw new DataError(file, `line ${lineNo}: ${column} ${v} is negative`);
  if (v > 2147483646) throw new DataError(file, `line ${lineNo}: ${column} ${v} is out of range`);
  return v;
}

/** Writes DIR/<name>.inter (userID, itemID, x_label; rows by user, split, item) and the features. */
export function writeMmrec(ds: Dataset, dir: string, name?: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const base = sanitizeName(name ?? ds.name);
  const file = path.join(dir, `${base}.inter`);
  const rows: string[] = [`${MMREC_COLUMNS.user}\t${MMREC_COLUMNS.item}\t${MMREC_COLUMNS.label}`];
  for (let u = 0; u < ds.numUsers; u++) {
    SPLITS.forEach((s, label) => {
      for (const it of itemsOf(ds[s], u)) rows.push(`${u}\t${it}\t${label}`);
    });
  }
  fs.writeFileSync(file, rows.join('\n') + '\n');
  writeFeatures(dir, ds.features, ds.itemCategories);
  return file;
}

function sanitizeName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return s === '' ? 'dataset' : s;
}
