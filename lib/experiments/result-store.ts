/**
 * A store of finished results that never loses one: a JSON-lines file with one record per
 * finished cell (of a grid), keyed by configKey(config), a hash of the cell's full configuration.
 *
 * - append() writes one full line with a single write on an O_APPEND descriptor, then fsyncs
 *   (and fsyncs the folder when it created the file). A record is in the store once append()
 *   has returned; a crash before that leaves at most a torn last line.
 * - Reading skips a torn or corrupt line with a warning naming the file and line; the cell it
 *   held counts as not done (has(key) is false), so a grid runner re-runs it. When the file does
 *   not end with a newline (a torn tail), the next append starts a new line first, so the torn
 *   bytes never swallow a good record.
 * - The same key appended twice: the later record wins (get, records); both lines stay in the file.
 * - A store can read several files merged (`files`): a results folder's store.jsonl and the
 *   files of its shards (storeFiles), each appended to by one process only, since appends from
 *   several machines to one file on a network file system are not atomic. A key found in two
 *   files keeps the record of the file read first, with a warning when their results differ.
 *   Appends go to `file`, which is always read.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { CkdError, DataError, fsProblem } from '../errors';

/** One finished cell. */
export interface ResultRecord<C = unknown, R = unknown> {
  /** configKey(config). */
  key: string;
  config: C;
  result: R;
  /** Anything else worth keeping (provenance, timings). */
  meta?: unknown;
  /** ISO time of the append. */
  finishedAt: string;
}

/**
 * Canonical JSON: object keys sorted at every level, undefined members left out (as JSON does).
 * Refuses what JSON cannot hold faithfully: non-finite numbers, functions, symbols, bigints,
 * typed arrays, maps, sets, dates, other class instances, cycles.
 */
export function canonicalJson(value: unknown): string {
  const seen = new Set<object>();
  const enc = (v: unknown, where: string): string => {
    if (v === null) return 'null';
    switch (typeof v) {
      case 'boolean': return v ? 'true' : 'false';
      case 'string': return JSON.stringify(v);
      case 'number':
        if (!Number.isFinite(v)) throw new CkdError(`config value at ${where} is ${v}; a config key needs finite numbers`);
        return JSON.stringify(v);
      case 'object': {
        const o = v as object;
        if (seen.has(o)) throw new CkdError(`config value at ${where} is circular`);
        seen.add(o);
        let out: string;
        if (Array.isArray(o)) {
          out = `[${o.map((x, i) => enc(x === undefined ? null : x, `${where}[${i}]`)).join(',')}]`;
        } else {
          const proto = Object.getPrototypeOf(o);
          if (proto !== Object.prototype && proto !== null) {
            throw new CkdError(`config value at ${where} is a ${o.constructor?.name ?? 'non-plain object'}; a config must be plain JSON`);
          }
          const rec = o as Record<string, unknown>;
          const keys = Object.keys(rec).filter(k => rec[k] !== undefined).sort();
          out = `{${keys.map(k => `${JSON.stringify(k)}:${enc(rec[k], `${where}.${k}`)}`).join(',')}}`;
        }
        seen.delete(o);
        return out;
      }
      default:
        throw new CkdError(`config value at ${where} is a ${typeof v}; a config must be plain JSON`);
    }
  };
  return enc(value, 'config');
}

/** A stable key of a full configuration: SHA-256 of its canonical JSON (sorted keys), 16 hex digits. */
export function configKey(config: unknown): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 16);
}

export interface ResultStoreOptions<R = unknown> {
  /** Receives warnings about skipped lines; default: console.warn with a 'warning: ' prefix. */
  warn?: (message: string) => void;
  /**
   * The files to read, merged, in this order (called on every reload, so files that appeared
   * since are read); `file` is read too, after them when they do not name it. Default: `file` only.
   */
  files?: () => string[];
  /** Whether two records of one key in different files agree; default: equal canonical JSON of the results. */
  sameResult?: (a: R, b: R) => boolean;
}

export class ResultStore<C = unknown, R = unknown> {
  readonly file: string;
  private readonly warn: (message: string) => void;
  private readonly files?: () => string[];
  private readonly sameResult: (a: R, b: R) => boolean;
  private byKey = new Map<string, ResultRecord<C, R>>();
  /** Lines of `file` skipped on the last read (1-based), for tools and tests. */
  skippedLines: number[] = [];
  /** Every line skipped on the last read, in every file read. */
  skipped: { file: string; line: number }[] = [];
  /** The files the last read found (those that exist), in reading order. */
  filesRead: string[] = [];

  /** Opens (and reads) the store at `file`; a missing file is an empty store, created on the first append. */
  constructor(file: string, opts: ResultStoreOptions<R> = {}) {
    this.file = file;
    this.warn = opts.warn ?? ((m: string) => console.warn(`warning: ${m}`));
    this.files = opts.files;
    this.sameResult = opts.sameResult ?? ((a, b) => canonicalJson(a) === canonicalJson(b));
    this.reload();
  }

  /** Re-reads the file, or files (e.g. after another process appended to one). */
  reload(): void {
    this.byKey = new Map();
    this.skippedLines = [];
    this.skipped = [];
    this.filesRead = [];
    const own = path.resolve(this.file);
    const files = this.files ? this.files() : [];
    if (!files.some(f => path.resolve(f) === own)) files.push(this.file);
    const from = new Map<string, string>();
    for (const file of files) {
      const records = this.readFile(file);
      if (!records) continue;
      this.filesRead.push(file);
      for (const [key, rec] of records) {
        const earlier = this.byKey.get(key);
        if (earlier) {
          if (!this.sameResult(earlier.result, rec.result)) {
            this.warn(`${file}: cell ${key} is also in ${from.get(key)}, with a different result; keeping the one in ${from.get(key)}`);
          }
          continue;
        }
        this.byKey.set(key, rec);
        from.set(key, file);
      }
    }
  }

  /** One file's records (the latest per key), or undefined when it does not exist. */
  private readFile(file: string): Map<string, ResultRecord<C, R>> | undefined {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new DataError(file, `cannot read the result store: ${fsProblem(e)}`);
    }
    const out = new Map<string, ResultRecord<C, R>>();
    const own = path.resolve(file) === path.resolve(this.file);
    const lines = text.split('\n');
    const tornTail = lines[lines.length - 1] !== '';
    if (!tornTail) lines.pop();
    lines.forEach((line, k) => {
      const last = k === lines.length - 1;
      if (line.trim() === '') return;
      const rec = parseRecord(line);
      if (typeof rec === 'string' || (last && tornTail)) {
        if (own) this.skippedLines.push(k + 1);
        this.skipped.push({ file, line: k + 1 });
        const why = last && tornTail ? 'is incomplete (no newline: a crash in the middle of a write?)' : `is not a valid record (${rec as string})`;
        this.warn(`${file}: line ${k + 1} ${why}; skipped, its cell counts as not done and will run again`);
        return;
      }
      out.set(rec.key, rec as ResultRecord<C, R>); // the later record wins, in its key's first place
    });
    return out;
  }

  has(key: string): boolean { return this.byKey.has(key); }

  get(key: string): ResultRecord<C, R> | undefined { return this.byKey.get(key); }

  /** Every valid record (the latest per key), in the order keys first appeared. */
  records(): ResultRecord<C, R>[] { return [...this.byKey.values()]; }

  get size(): number { return this.byKey.size; }

  /**
   * Appends a finished cell durably (one O_APPEND write of the full line, then fsync) and returns
   * the stored record. `key`, when given, must equal configKey(config).
   */
  append(entry: { config: C; result: R; meta?: unknown; key?: string }): ResultRecord<C, R> {
    const key = configKey(entry.config);
    if (entry.key !== undefined && entry.key !== key) {
      throw new CkdError(`result store: key ${entry.key} does not match the config (its key is ${key})`);
    }
    const rec: ResultRecord<C, R> = { key, config: entry.config, result: entry.result, finishedAt: new Date().toISOString() };
    if (entry.meta !== undefined) rec.meta = entry.meta;
    return this.appendRecords([rec])[0];
  }

  /**
   * Appends whole records as they are (their finishedAt kept), e.g. those of another store file,
   * with one write and one fsync; returns them as stored.
   */
  appendRecords(records: readonly ResultRecord<C, R>[]): ResultRecord<C, R>[] {
    const lines: string[] = [];
    const parsed: ResultRecord<C, R>[] = [];
    for (const rec of records) {
      const json = JSON.stringify(rec);
      if (json.includes('\n')) throw new Error('result store: JSON.stringify produced a newline'); // cannot happen
      const p = parseRecord(json);
      if (typeof p === 'string') throw new CkdError(`result store: the record cannot be stored as JSON (${p})`);
      if (p.key !== configKey(p.config)) throw new CkdError(`result store: key ${p.key} does not match the config (its key is ${configKey(p.config)})`);
      lines.push(json);
      parsed.push(p as ResultRecord<C, R>);
    }
    if (lines.length === 0) return [];
    const dir = path.dirname(path.resolve(this.file));
    const created = !fs.existsSync(this.file);
    let fd: number;
    try {
      fs.mkdirSync(dir, { recursive: true });
      fd = fs.openSync(this.file, 'a+'); // O_APPEND | O_RDWR: writes go to the end; the last byte can be read
    } catch (e) {
      throw new DataError(this.file, `cannot open the result store for appending: ${fsProblem(e)}`);
    }
    try {
      const size = fs.fstatSync(fd).size;
      let lead = '';
      if (size > 0) {
        const lastByte = Buffer.alloc(1);
        fs.readSync(fd, lastByte, 0, 1, size - 1);
        if (lastByte[0] !== 0x0a) lead = '\n'; // a torn tail: start a new line
      }
      const buf = Buffer.from(`${lead}${lines.join('\n')}\n`, 'utf8');
      // One write; a short one (a file system nearly full) is continued, so that the next write
      // reports why. What a failed append leaves is a torn last line: skipped on reading.
      for (let at = 0; at < buf.length;) {
        const n = fs.writeSync(fd, buf, at, buf.length - at);
        if (n <= 0) throw new Error(`short write (${at} of ${buf.length} bytes)`);
        at += n;
      }
      fs.fsyncSync(fd);
    } catch (e) {
      throw new DataError(this.file, `cannot append to the result store: ${fsProblem(e)}; the records already in it are intact`);
    } finally {
      fs.closeSync(fd);
    }
    if (created) {
      try {
        const dfd = fs.openSync(dir, 'r');
        try { fs.fsyncSync(dfd); } finally { fs.closeSync(dfd); }
      } catch { /* not every file system can fsync a folder */ }
    }
    for (const p of parsed) this.byKey.set(p.key, p);
    return parsed;
  }
}

/** A record, or why the line is not one. */
function parseRecord(line: string): ResultRecord | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return (e as Error).message;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const r = v as Partial<ResultRecord>;
  if (typeof r.key !== 'string' || !('config' in r) || !('result' in r)) return 'no key, config or result';
  return r as ResultRecord;
}
