import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CkdError } from '../lib/errors';
import { ResultStore, canonicalJson, configKey } from '../lib/experiments/result-store';

type Cfg = { model: string; seed: number; lr: number; extra?: Record<string, unknown> };

describe('result store', () => {
  let tmp: string;
  beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-store-')); });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const quiet = () => {
    const warnings: string[] = [];
    return { warnings, warn: (m: string) => warnings.push(m) };
  };

  it('configKey is stable: key order does not matter, values do', () => {
    const a = configKey({ model: 'vbpr', seed: 1, nested: { b: 2, a: [1, { y: 1, x: 2 }] } });
    const b = configKey({ nested: { a: [1, { x: 2, y: 1 }], b: 2 }, seed: 1, model: 'vbpr' });
    assert.strictEqual(a, b);
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.notStrictEqual(configKey({ model: 'vbpr', seed: 2 }), configKey({ model: 'vbpr', seed: 1 }));
    assert.notStrictEqual(configKey({ a: [1, 2] }), configKey({ a: [2, 1] }), 'array order matters');
    assert.strictEqual(configKey({ a: 1, b: undefined }), configKey({ a: 1 }), 'undefined members are left out, as in JSON');
    assert.strictEqual(canonicalJson({ b: 1, a: 'x' }), '{"a":"x","b":1}');
    assert.throws(() => configKey({ lr: NaN }), CkdError);
    assert.throws(() => configKey({ when: new Date(0) }), /plain JSON/);
    assert.throws(() => configKey({ f: () => 1 }), /plain JSON/);
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    assert.throws(() => configKey(cyc), /circular/);
  });

  it('appends records durably and reads them back in a new store', () => {
    const file = path.join(tmp, 'sub', 'results.jsonl');
    const s = new ResultStore<Cfg, { recall: number }>(file, quiet());
    assert.strictEqual(s.size, 0);
    const cfgs: Cfg[] = [1, 2, 3].map(seed => ({ model: 'vbpr', seed, lr: 5e-4 }));
    for (const c of cfgs) s.append({ config: c, result: { recall: c.seed / 10 } });
    assert.ok(s.has(configKey(cfgs[1])));
    const t = new ResultStore<Cfg, { recall: number }>(file, quiet());
    assert.strictEqual(t.size, 3);
    assert.deepStrictEqual(t.records().map(r => r.config.seed), [1, 2, 3]);
    assert.strictEqual(t.get(configKey({ lr: 5e-4, seed: 2, model: 'vbpr' }))?.result.recall, 0.2);
    assert.strictEqual(fs.readFileSync(file, 'utf8').split('\n').length, 4, 'one line per record plus the final newline');
    assert.throws(() => s.append({ key: 'deadbeefdeadbeef', config: cfgs[0], result: { recall: 0 } }), /does not match the config/);
  });

  it('a torn last line is skipped with a warning, its cell counts as not done, and the next append is intact', () => {
    const file = path.join(tmp, 'results.jsonl');
    const s = new ResultStore<Cfg, number>(file, quiet());
    const cfgs: Cfg[] = [1, 2, 3].map(seed => ({ model: 'vbpr', seed, lr: 5e-4, extra: { note: 'x'.repeat(50) } }));
    for (const c of cfgs) s.append({ config: c, result: c.seed });
    // A crash in the middle of writing the third line.
    const full = fs.readFileSync(file);
    const cut = full.length - 40;
    fs.truncateSync(file, cut);
    const log = quiet();
    const t = new ResultStore<Cfg, number>(file, log);
    assert.strictEqual(t.size, 2);
    assert.ok(t.has(configKey(cfgs[0])) && t.has(configKey(cfgs[1])));
    assert.ok(!t.has(configKey(cfgs[2])), 'the torn cell is not done');
    assert.strictEqual(log.warnings.length, 1);
    assert.match(log.warnings[0], /results\.jsonl: line 3 is incomplete .*skipped, its cell counts as not done/);
    assert.deepStrictEqual(t.skippedLines, [3]);
    // The cell re-runs and is appended: it must not be glued to the torn bytes.
    t.append({ config: cfgs[2], result: 3 });
    const log2 = quiet();
    const u = new ResultStore<Cfg, number>(file, log2);
    assert.strictEqual(u.size, 3);
    assert.strictEqual(u.get(configKey(cfgs[2]))?.result, 3);
    assert.strictEqual(log2.warnings.length, 1, 'the torn fragment stays as a skipped line of its own');
    assert.match(log2.warnings[0], /line 3 is not a valid record/);
  });

  it('a file cut right after a newline is clean; blank lines are ignored; corrupt middle lines are skipped with a warning', () => {
    const file = path.join(tmp, 'results.jsonl');
    const s = new ResultStore<Cfg, number>(file, quiet());
    s.append({ config: { model: 'a', seed: 1, lr: 0.1 }, result: 1 });
    const boundary = fs.statSync(file).size;
    s.append({ config: { model: 'c', seed: 1, lr: 0.1 }, result: 3 });
    fs.truncateSync(file, boundary); // a crash before the second line's bytes reached the disk
    const clean = quiet();
    assert.strictEqual(new ResultStore(file, clean).size, 1);
    assert.deepStrictEqual(clean.warnings, []);
    fs.appendFileSync(file, '{"key": "x", "config": \n[1, 2]\n\n');
    s.append({ config: { model: 'b', seed: 1, lr: 0.1 }, result: 2 });
    const log = quiet();
    const t = new ResultStore<Cfg, number>(file, log);
    assert.deepStrictEqual(t.records().map(r => r.result), [1, 2]);
    assert.deepStrictEqual(t.skippedLines, [2, 3]);
    assert.strictEqual(log.warnings.length, 2);
    assert.match(log.warnings[1], /line 3 is not a valid record \(not a JSON object\)/);
  });

  it('the same key appended again: the later record wins, both lines stay', () => {
    const file = path.join(tmp, 'results.jsonl');
    const s = new ResultStore<Cfg, number>(file, quiet());
    const c: Cfg = { model: 'a', seed: 1, lr: 0.1 };
    s.append({ config: c, result: 1 });
    s.append({ config: { model: 'b', seed: 1, lr: 0.1 }, result: 5 });
    s.append({ config: c, result: 2 });
    const t = new ResultStore<Cfg, number>(file, quiet());
    assert.strictEqual(t.get(configKey(c))?.result, 2);
    assert.deepStrictEqual(t.records().map(r => r.config.model), ['a', 'b']);
  });

  it('records appended by a process killed right after append() returned are all there', () => {
    const file = path.join(tmp, 'results.jsonl');
    const mod = path.resolve(__dirname, '..', 'lib', 'experiments', 'result-store.js');
    const script = `const { ResultStore } = require(${JSON.stringify(mod)});
      const s = new ResultStore(${JSON.stringify(file)});
      for (let k = 0; k < 20; k++) s.append({ config: { k }, result: { k } });
      process.kill(process.pid, 'SIGKILL');`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.strictEqual(r.signal, 'SIGKILL');
    const t = new ResultStore(file, quiet());
    assert.strictEqual(t.size, 20);
  });
});
