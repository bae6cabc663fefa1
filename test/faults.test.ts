/**
 * A full disk while appending a record or saving a teacher: one clear line naming the file and
 * 'no space left on device', and no finished record lost. Once with the error injected into
 * fs.writeSync (runs everywhere), once for real on a small tmpfs (needs root and a system that
 * lets it mount one; skipped with a message otherwise).
 */
import * as assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../lib/cli/index';
import { writeDataset } from '../lib/data/loaders';
import { initEngine } from '../lib/engine/backend';
import { DataError } from '../lib/errors';
import { ResultStore } from '../lib/experiments/result-store';
import { disposeTeachers, TeacherPair } from '../lib/methods/teacher';
import { loadTeacher, saveTeacher, teacherFiles } from '../lib/methods/teacher-store';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { MODALITIES } from '../lib/data/dataset';
import { trainedTeachers } from './trained-teachers';

// The fs module itself (not an import wrapper): what the code under test calls through.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeFs: typeof fs = require('fs');
const BIN = path.resolve(__dirname, '..', '..', 'bin', 'ckd.js');

function enospc(): NodeJS.ErrnoException {
  const e = new Error('ENOSPC: no space left on device, write') as NodeJS.ErrnoException;
  e.code = 'ENOSPC';
  e.errno = -28;
  e.syscall = 'write';
  return e;
}

/**
 * Makes writes to files whose path matches `which` fail as on a full disk: the first write gets
 * half its bytes through (a short write), every later one throws ENOSPC. Returns the undo.
 */
function fullDiskFor(which: RegExp): () => void {
  const { openSync, writeSync, closeSync } = nodeFs;
  const doomed = new Set<number>();
  let wrote = false;
  nodeFs.openSync = ((p: fs.PathLike, ...rest: unknown[]) => {
    const fd = (openSync as (...a: unknown[]) => number)(p, ...rest);
    if (which.test(String(p))) doomed.add(fd);
    return fd;
  }) as typeof fs.openSync;
  nodeFs.writeSync = ((fd: number, buf: unknown, ...rest: unknown[]) => {
    if (!doomed.has(fd)) return (writeSync as (...a: unknown[]) => number)(fd, buf, ...rest);
    if (!wrote && Buffer.isBuffer(buf) && typeof rest[0] === 'number' && typeof rest[1] === 'number' && rest[1] > 1) {
      wrote = true;
      return writeSync(fd, buf, rest[0], Math.floor(rest[1] / 2));
    }
    throw enospc();
  }) as typeof fs.writeSync;
  nodeFs.closeSync = ((fd: number) => { doomed.delete(fd); closeSync(fd); }) as typeof fs.closeSync;
  return () => { nodeFs.openSync = openSync; nodeFs.writeSync = writeSync; nodeFs.closeSync = closeSync; };
}

/** main() with stderr captured. */
async function ckdInProcess(args: string[]): Promise<{ code: number; stderr: string }> {
  const err: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => { err.push(String(chunk)); return true; }) as typeof process.stderr.write;
  try {
    return { code: await main(args), stderr: err.join('') };
  } finally {
    process.stderr.write = write;
  }
}

function ckdChild(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', d => { stderr += d; });
    child.on('close', code => resolve({ code: code ?? -1, stderr }));
  });
}

/** The error line of a failed command: the last line of stderr, which must be its only 'ckd: ' line and no stack trace. */
function errorLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.ok(!/^\s+at /m.test(stderr), `no stack trace:\n${stderr}`);
  assert.strictEqual(lines.filter(l => l.startsWith('ckd: ')).length, 1, stderr);
  return lines[lines.length - 1];
}

const storeOf = (file: string) => new ResultStore(file, { warn: () => undefined });

describe('a full disk (injected into fs.writeSync)', function () {
  this.timeout(300000);
  let tmp: string;
  let tiny: string;
  let teachers: TeacherPair;
  before(async () => {
    await initEngine({ quiet: true });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-faults-'));
    tiny = path.join(tmp, 'tiny');
    writeDataset(synthesizeDataset('tiny', 1), tiny, 'lattice');
    teachers = (await trainedTeachers('vbpr', synthesizeDataset('tiny', 1), { seed: 1, epochs: 2, lr: 5e-3, batchSize: 256, evalEvery: 2, patience: 10 })).teachers;
  });
  after(() => {
    disposeTeachers(teachers);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('appending a record: one clear error naming the store, the records before it intact, the next append fine', () => {
    const file = path.join(tmp, 'store', 'store.jsonl');
    const s = new ResultStore(file);
    for (let k = 0; k < 3; k++) s.append({ config: { k }, result: { k, pad: 'x'.repeat(500) } });
    const undo = fullDiskFor(/store\.jsonl$/);
    try {
      assert.throws(() => s.append({ config: { k: 3 }, result: { k: 3, pad: 'x'.repeat(500) } }), (e: Error) => e instanceof DataError &&
        e.message === `${file}: cannot append to the result store: no space left on device (ENOSPC); the records already in it are intact`);
    } finally {
      undo();
    }
    const warnings: string[] = [];
    const t = new ResultStore(file, { warn: m => warnings.push(m) });
    assert.deepStrictEqual(t.records().map(r => (r.config as { k: number }).k), [0, 1, 2]);
    assert.match(warnings.join('\n'), /line 4 is incomplete/, 'the half-written record is a torn line, skipped');
    t.append({ config: { k: 3 }, result: { k: 3 } });
    assert.strictEqual(storeOf(file).size, 4);
  });

  it('saving a teacher: one clear error naming the file; the teacher saved before stays whole and loads', () => {
    const dir = path.join(tmp, 'teachers');
    MODALITIES.forEach(m => saveTeacher(teachers[m], dir));
    const f = teacherFiles(dir, 'text');
    const before = [fs.readFileSync(f.weights), fs.readFileSync(f.manifest)];
    const undo = fullDiskFor(/teacher-text\.bin/);
    try {
      assert.throws(() => MODALITIES.forEach(m => saveTeacher(teachers[m], dir)), (e: Error) => e instanceof DataError &&
        e.message === `${f.weights}: cannot write the teacher weights: no space left on device (ENOSPC)`);
    } finally {
      undo();
    }
    assert.deepStrictEqual([fs.readFileSync(f.weights), fs.readFileSync(f.manifest)], before, 'the old files untouched');
    assert.deepStrictEqual(fs.readdirSync(dir).filter(n => n.includes('.tmp')), [], 'no temporary file left');
    loadTeacher(dir, 'text', synthesizeDataset('tiny', 1)).dispose();
  });

  it('ckd reproduce: the store or a teacher on a full disk is one line and exit code 2, and the finished cells stay done', async () => {
    const out = path.join(tmp, 'cli-store');
    let undo = fullDiskFor(/store\.jsonl$/);
    let r: { code: number; stderr: string };
    try {
      r = await ckdInProcess(['reproduce', '--preset', 'smoke', '--data', tiny, '--out', out, '--quiet']);
    } finally {
      undo();
    }
    assert.strictEqual(r.code, 2);
    assert.strictEqual(errorLine(r.stderr), `ckd: ${path.join(out, 'store.jsonl')}: cannot append to the result store: no space left on device (ENOSPC); the records already in it are intact`);

    const out2 = path.join(tmp, 'cli-teacher');
    undo = fullDiskFor(/teacher-text\.bin/);
    try {
      r = await ckdInProcess(['reproduce', '--preset', 'smoke', '--data', tiny, '--out', out2, '--quiet']);
    } finally {
      undo();
    }
    assert.strictEqual(r.code, 2);
    assert.match(errorLine(r.stderr), /^ckd: .*teachers\/vbpr-[0-9a-f]{16}\/teacher-text\.bin: cannot write the teacher weights: no space left on device \(ENOSPC\)$/);
    // The text-only cell's record was appended before its teacher was saved: it stays done, and
    // its teacher (no manifest) is trained again when a CKD cell needs it.
    assert.strictEqual(storeOf(path.join(out2, 'store.jsonl')).size, 2);
    const dirs = fs.readdirSync(path.join(out2, 'teachers'));
    assert.strictEqual(dirs.length, 1);
    assert.deepStrictEqual(fs.readdirSync(path.join(out2, 'teachers', dirs[0])), [], 'nothing half-written');
  });
});

describe('a full disk (a 200 KB tmpfs)', function () {
  this.timeout(300000);
  let tmp: string;
  let mnt: string;
  let tiny: string;
  let mounted = false;
  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-tmpfs-'));
    mnt = path.join(tmp, 'mnt');
    fs.mkdirSync(mnt);
    const r = process.getuid?.() === 0
      ? spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=200k', 'tmpfs', mnt], { encoding: 'utf8' })
      : { status: 1, stderr: 'not root' };
    if (r.status !== 0) {
      console.log(`      skipped: cannot mount a small tmpfs here (${String(r.stderr).trim() || `exit ${r.status}`}); the injected full disk above covers the same code`);
      fs.rmSync(tmp, { recursive: true, force: true });
      this.skip();
    }
    mounted = true;
    tiny = path.join(tmp, 'tiny');
    writeDataset(synthesizeDataset('tiny', 1), tiny, 'lattice');
  });
  after(() => {
    if (!mounted) return;
    if (spawnSync('umount', [mnt]).status !== 0) spawnSync('umount', ['-l', mnt]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a record that does not fit: one line naming store.jsonl, the record before it intact', async () => {
    const out = path.join(mnt, 'store-full');
    fs.mkdirSync(out);
    // Leave 16 KB: the first cell's record (about 9 KB) fits, the second does not.
    const st = fs.statfsSync(mnt);
    fs.writeFileSync(path.join(mnt, 'filler'), Buffer.alloc(st.bavail * st.bsize - 16384));
    const r = await ckdChild(['reproduce', '--preset', 'smoke', '--data', tiny, '--out', out, '--quiet']);
    assert.strictEqual(r.code, 2, r.stderr);
    assert.strictEqual(errorLine(r.stderr), `ckd: ${path.join(out, 'store.jsonl')}: cannot append to the result store: no space left on device (ENOSPC); the records already in it are intact`);
    const s = storeOf(path.join(out, 'store.jsonl'));
    assert.strictEqual(s.size, 1, 'the first cell\'s record');
    fs.rmSync(path.join(mnt, 'filler'));
    fs.rmSync(out, { recursive: true });
  });

  it('a teacher that does not fit: one line naming its file, the records intact, no half-written teacher', async () => {
    const out = path.join(mnt, 'teacher-full');
    // Records of about 9 KB each and 150 KB teachers: the second teacher does not fit in 200 KB.
    const r = await ckdChild(['reproduce', '--preset', 'smoke', '--data', tiny, '--out', out, '--quiet']);
    assert.strictEqual(r.code, 2, r.stderr);
    assert.match(errorLine(r.stderr), /^ckd: .*\/teachers\/vbpr-[0-9a-f]{16}\/teacher-visual\.bin: cannot write the teacher weights: no space left on device \(ENOSPC\)$/);
    assert.strictEqual(storeOf(path.join(out, 'store.jsonl')).size, 3, 'the three plain cells of seed 1');
    const left = fs.readdirSync(path.join(out, 'teachers')).flatMap(d => fs.readdirSync(path.join(out, 'teachers', d)));
    assert.deepStrictEqual(left.sort(), ['teacher-text.bin', 'teacher-text.json'], 'the text teacher whole, nothing of the visual one');
  });
});
