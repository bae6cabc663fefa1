/**
 * Hostile inputs through the command line: broken data folders (through both
 * `ckd data inspect DIR` and `ckd train --data DIR`) and out-of-range options. Every case must be
 * rejected cleanly: exit code 2, exactly one line on stderr starting with 'ckd: ' that names the
 * file (or option) and the problem, and no stack trace.
 *
 * Every case runs through the CLI's main() in this process (stdout and stderr captured; a
 * non-CkdError escaping main() counts as a failure, as bin/ckd.js would print its stack). About
 * one case in six, covering every group, also runs as a child process of bin/ckd.js, which must
 * give the same line and exit code 2: a process per case would take minutes on a busy machine.
 */
import * as assert from 'assert';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../lib/cli/index';
import { writeDataset } from '../lib/data/loaders';
import { readNpyHeader } from '../lib/data/npy';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { TrainCheckpoint, writeCheckpoint } from '../lib/train/checkpoint';
import { writeRawNpy } from './data-fixtures';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'ckd.js');
const CONCURRENCY = 4;

interface Outcome { code: number; stdout: string; stderr: string }

function ckd(args: string[]): Promise<Outcome> {
  return new Promise(resolve => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, CKD_BACKEND: 'wasm' }, encoding: 'utf8', timeout: 60000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
  });
}

/** Runs the CLI's main() in this process with stdout and stderr captured. */
async function ckdInProcess(args: string[]): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  const capture = (into: string[]) => ((chunk: string | Uint8Array) => { into.push(String(chunk)); return true; }) as typeof process.stdout.write;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  let code: number;
  try {
    code = await main(args);
  } catch (e) {
    code = 1; // bin/ckd.js: stack trace and exit code 1
    err.push(`${(e as Error)?.stack ?? String(e)}\n`);
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}

interface Case {
  name: string;
  args: string[];
  /** Also run it as a child process of bin/ckd.js. */
  spawn?: boolean;
  /** What the line must name: a file's base name or an option. */
  names: string;
  problem: RegExp;
}

/** Why an outcome is not a clean rejection (undefined when it is). */
function judge(c: Case, r: Outcome): string | undefined {
  if (r.code !== 2) return `exit code ${r.code} (stderr: ${r.stderr.trim().slice(0, 500)})`;
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  if (lines.length !== 1) return `${lines.length} lines on stderr: ${r.stderr.slice(0, 500)}`;
  const line = lines[0];
  if (!line.startsWith('ckd: ')) return `does not start with 'ckd: ': ${line}`;
  if (/\n\s+at /.test(r.stderr)) return `stack trace: ${r.stderr}`;
  if (!line.includes(c.names)) return `does not name ${c.names}: ${line}`;
  if (!c.problem.test(line)) return `does not match ${c.problem}: ${line}`;
  return undefined;
}

describe('hostile inputs (command line)', function () {
  this.timeout(180000);
  let tmp: string;
  let lattice: string;
  let mmrec: string;
  const cases: Case[] = [];
  const outcomes = new Map<string, Outcome>();
  const spawned = new Map<string, Outcome>();

  /** A copy of a valid folder, changed by `mutate`. */
  const variant = (base: string, name: string, mutate: (dir: string) => void): string => {
    const dir = path.join(tmp, name);
    fs.cpSync(base, dir, { recursive: true });
    mutate(dir);
    return dir;
  };

  /** A broken data folder: one case through `data inspect`, one through `train --data`. */
  const dataCase = (name: string, dir: string, names: string, problem: RegExp, spawn = false) => {
    cases.push({ name: `inspect: ${name}`, args: ['data', 'inspect', dir], names, problem, spawn });
    cases.push({
      name: `train: ${name}`,
      args: ['train', '--data', dir, '--model', 'vbpr', '--epochs', '1', '--quiet', '--out', path.join(tmp, 'never.json')],
      names, problem, spawn,
    });
  };
  const optionCase = (name: string, extra: string[], names: string, problem: RegExp, dataArgs = ['--data', lattice], spawn = false) => {
    cases.push({ name: `option: ${name}`, args: ['train', ...dataArgs, '--quiet', '--out', path.join(tmp, 'never.json'), ...extra], names, problem, spawn });
  };

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-hostile-'));
    const ds = synthesizeDataset('tiny', 2);
    lattice = writeDataset(ds, path.join(tmp, 'base-lattice'), 'lattice');
    mmrec = writeDataset(ds, path.join(tmp, 'base-mmrec'), 'mmrec');
    const items = ds.numItems;
    const vcols = readNpyHeader(path.join(lattice, 'image_feat.npy')).shape[1];
    const f32 = (n: number, fill = 0.5) => new Uint8Array(new Float32Array(n).fill(fill).buffer);
    const dict = (descr: string, shape: string, fortran = 'False') => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
    const img = (d: string) => path.join(d, 'image_feat.npy');
    const txt = (d: string) => path.join(d, 'text_feat.npy');
    const cat = (d: string) => path.join(d, 'item_category.npy');
    const split = (d: string, s: string) => path.join(d, '5-core', `${s}.json`);
    const inter = (d: string) => path.join(d, fs.readdirSync(d).find(n => n.endsWith('.inter')) as string);
    const editInter = (d: string, edit: (lines: string[]) => string[]) => {
      const f = inter(d);
      fs.writeFileSync(f, edit(fs.readFileSync(f, 'utf8').split('\n')).join('\n'));
    };
    const editJson = (f: string, edit: (o: Record<string, unknown>) => unknown) => {
      fs.writeFileSync(f, JSON.stringify(edit(JSON.parse(fs.readFileSync(f, 'utf8')))));
    };
    const firstUser = (o: Record<string, unknown>) => Object.keys(o).find(k => (o[k] as number[]).length > 0) as string;

    // --- .npy files ---------------------------------------------------------------------------
    dataCase('truncated .npy data', variant(lattice, 'npy-trunc', d => {
      const b = fs.readFileSync(img(d)); fs.writeFileSync(img(d), b.subarray(0, b.length - 100));
    }), 'image_feat.npy', /truncated data/, true);
    dataCase('.npy cut inside its header', variant(lattice, 'npy-trunc-header', d => {
      fs.writeFileSync(img(d), fs.readFileSync(img(d)).subarray(0, 40));
    }), 'image_feat.npy', /corrupt header/);
    dataCase('empty .npy file', variant(lattice, 'npy-empty', d => fs.writeFileSync(img(d), '')), 'image_feat.npy', /not an \.npy file/);
    dataCase('.npy that is text', variant(lattice, 'npy-text', d => fs.writeFileSync(txt(d), 'hello, I am not numpy\n')), 'text_feat.npy', /not an \.npy file/);
    dataCase('corrupted header dict', variant(lattice, 'npy-dict', d => {
      writeRawNpy(img(d), `{'descr': '<f4', 'fortran_order': False, 'shape': (${items}, ${vcols}) `, f32(items * vcols));
    }), 'image_feat.npy', /corrupt header/);
    dataCase('header without shape', variant(lattice, 'npy-noshape', d => {
      writeRawNpy(img(d), `{'descr': '<f4', 'fortran_order': False, }`, f32(items * vcols));
    }), 'image_feat.npy', /corrupt header: no 'shape' key/);
    dataCase('integer features', variant(lattice, 'npy-int', d => writeRawNpy(img(d), dict('<i4', `(${items}, ${vcols})`), f32(items * vcols))),
      'image_feat.npy', /expected float32 or float64 data, found dtype '<i4'/);
    dataCase('string dtype', variant(lattice, 'npy-str', d => writeRawNpy(img(d), dict('<U4', `(${items}, ${vcols})`), f32(items * vcols * 4))),
      'image_feat.npy', /unsupported dtype '<U4'/);
    dataCase('complex dtype', variant(lattice, 'npy-complex', d => writeRawNpy(img(d), dict('<c8', `(${items}, ${vcols})`), f32(items * vcols * 2))),
      'image_feat.npy', /unsupported dtype '<c8'/);
    dataCase('big-endian floats', variant(lattice, 'npy-be', d => writeRawNpy(img(d), dict('>f4', `(${items}, ${vcols})`), f32(items * vcols))),
      'image_feat.npy', /big-endian/);
    dataCase('Fortran order', variant(lattice, 'npy-fortran', d => writeRawNpy(img(d), dict('<f4', `(${items}, ${vcols})`, 'True'), f32(items * vcols))),
      'image_feat.npy', /Fortran-order/, true);
    dataCase('header declaring a huge shape', variant(lattice, 'npy-huge', d => writeRawNpy(img(d), dict('<f4', '(1000000000000, 4096)'), f32(16))),
      'image_feat.npy', /truncated data: the header declares shape \(1000000000000, 4096\)/, true);
    dataCase('header declaring an astronomic shape', variant(lattice, 'npy-astro', d => writeRawNpy(img(d), dict('<f8', '(9007199254740991, 9007199254740991)'), f32(16))),
      'image_feat.npy', /truncated data/);
    dataCase('negative dimension', variant(lattice, 'npy-neg', d => writeRawNpy(img(d), dict('<f4', `(-${items}, ${vcols})`), f32(items * vcols))),
      'image_feat.npy', /not a tuple of non-negative integers/);
    dataCase('3-D features', variant(lattice, 'npy-3d', d => writeRawNpy(img(d), dict('<f4', `(${items}, ${vcols}, 1)`), f32(items * vcols))),
      'image_feat.npy', /only 1-D and 2-D/);
    dataCase('1-D features', variant(lattice, 'npy-1d', d => writeRawNpy(img(d), dict('<f4', `(${items},)`), f32(items))),
      'image_feat.npy', /features must be a 2-D array/);
    dataCase('empty features', variant(lattice, 'npy-0rows', d => writeRawNpy(img(d), dict('<f4', `(0, ${vcols})`), f32(0))),
      'image_feat.npy', /features are empty/);
    dataCase('NaN in the features', variant(lattice, 'npy-nan', d => {
      const b = new Float32Array(items * vcols).fill(0.25); b[5 * vcols + 3] = NaN;
      writeRawNpy(img(d), dict('<f4', `(${items}, ${vcols})`), new Uint8Array(b.buffer));
    }), 'image_feat.npy', /row 5 \(item 5\) column 3 is NaN/);
    dataCase('bytes after the data', variant(lattice, 'npy-trailing', d => fs.appendFileSync(img(d), Buffer.alloc(12))),
      'image_feat.npy', /12 unexpected bytes after the data/);
    dataCase('unknown .npy version', variant(lattice, 'npy-v9', d => {
      const b = fs.readFileSync(img(d)); b[6] = 9; fs.writeFileSync(img(d), b);
    }), 'image_feat.npy', /unsupported \.npy format version 9\.0/);
    dataCase('feature rows not matching', variant(lattice, 'npy-rows', d => writeRawNpy(txt(d), dict('<f4', `(${items - 3}, 4)`), f32((items - 3) * 4))),
      'text_feat.npy', new RegExp(`has ${items - 3} rows \\(items\\) but image_feat\\.npy has ${items}`), true);
    dataCase('missing feature file', variant(lattice, 'npy-missing', d => fs.rmSync(img(d))), 'image_feat.npy', /missing file/);
    dataCase('float item categories', variant(lattice, 'cat-float', d => writeRawNpy(cat(d), dict('<f4', `(${items},)`), f32(items))),
      'item_category.npy', /expected int32 or int64 data/);
    dataCase('item categories of the wrong length', variant(lattice, 'cat-len', d => {
      writeRawNpy(cat(d), dict('<i4', `(${items - 1},)`), new Uint8Array(new Int32Array(items - 1).buffer));
    }), 'item_category.npy', new RegExp(`has ${items - 1} entries but the data set has ${items} items`));
    dataCase('negative item category', variant(lattice, 'cat-neg', d => {
      const a = new Int32Array(items); a[7] = -4; writeRawNpy(cat(d), dict('<i4', `(${items},)`), new Uint8Array(a.buffer));
    }), 'item_category.npy', /item 7 has negative category -4/);
    dataCase('int64 category beyond int32', variant(lattice, 'cat-big', d => {
      const a = new BigInt64Array(items); a[2] = 1n << 40n; writeRawNpy(cat(d), dict('<i8', `(${items},)`), new Uint8Array(a.buffer));
    }), 'item_category.npy', /int64 value 1099511627776 at index 2 does not fit in int32/);

    // --- LATTICE JSON ---------------------------------------------------------------------------
    dataCase('truncated JSON', variant(lattice, 'json-trunc', d => {
      const t = fs.readFileSync(split(d, 'train'), 'utf8'); fs.writeFileSync(split(d, 'train'), t.slice(0, t.length >> 1));
    }), 'train.json', /malformed JSON/);
    dataCase('non-integer item id', variant(lattice, 'json-float', d => editJson(split(d, 'train'), o => { (o[firstUser(o)] as number[])[0] = 1.5; return o; })),
      'train.json', /item 1\.5 \(position 0\) is not an integer/, true);
    dataCase('item id as a string', variant(lattice, 'json-string', d => editJson(split(d, 'train'), o => { (o[firstUser(o)] as unknown[])[0] = '3'; return o; })),
      'train.json', /item "3" \(position 0\) is not an integer/);
    dataCase('negative item id', variant(lattice, 'json-negitem', d => editJson(split(d, 'val'), o => { (o[firstUser(o)] as number[])[0] = -2; return o; })),
      'val.json', /item -2 \(position 0\) is negative/);
    dataCase('huge item id', variant(lattice, 'json-hugeitem', d => editJson(split(d, 'test'), o => { (o[firstUser(o)] as number[])[0] = 1e20; return o; })),
      'test.json', /is out of range/);
    dataCase('item id beyond the feature rows', variant(lattice, 'json-itemrange', d => editJson(split(d, 'train'), o => { (o[firstUser(o)] as number[])[0] = items; return o; })),
      'train.json', new RegExp(`item ${items} is out of range: image_feat\\.npy has ${items} rows`));
    dataCase('non-integer user id', variant(lattice, 'json-userkey', d => editJson(split(d, 'train'), o => ({ ...o, abc: [1] }))),
      'train.json', /user id "abc" is not a non-negative integer/);
    dataCase('negative user id', variant(lattice, 'json-neguser', d => editJson(split(d, 'train'), o => ({ ...o, '-1': [1] }))),
      'train.json', /user id "-1" is not a non-negative integer/);
    dataCase('fractional user id', variant(lattice, 'json-fracuser', d => editJson(split(d, 'val'), o => ({ ...o, '2.5': [1] }))),
      'val.json', /user id "2\.5" is not a non-negative integer/);
    dataCase('user id far beyond the data', variant(lattice, 'json-hugeuser', d => editJson(split(d, 'train'), o => ({ ...o, 2000000000: [1] }))),
      'train.json', /user id 2000000000 is out of range/);
    dataCase('a list instead of an object', variant(lattice, 'json-array', d => fs.writeFileSync(split(d, 'train'), '[[1, 2], [3]]')),
      'train.json', /expected a JSON object mapping user id -> list of item ids, found an array/);
    dataCase('items not a list', variant(lattice, 'json-notlist', d => editJson(split(d, 'train'), o => { o[firstUser(o)] = 5; return o; })),
      'train.json', /expected a list of item ids, found number/);
    dataCase('val user without train items', variant(lattice, 'json-coldval', d => {
      editJson(split(d, 'train'), o => { o['0'] = []; return o; });
    }), 'val.json', /user 0 has interactions in the val split but no train items/);
    dataCase('empty data set', variant(lattice, 'json-empty', d => {
      for (const s of ['train', 'val', 'test']) fs.writeFileSync(split(d, s), '{}');
    }), 'train.json', /the train split has no interactions/, true);
    dataCase('missing split file', variant(lattice, 'json-missing', d => fs.rmSync(split(d, 'val'))), 'val.json', /missing file/);
    dataCase('split file that is a folder', variant(lattice, 'json-dir', d => { fs.rmSync(split(d, 'test')); fs.mkdirSync(split(d, 'test')); }),
      'test.json', /cannot read \(EISDIR\)/);

    // --- MMRec TSV ------------------------------------------------------------------------------
    dataCase('TSV without x_label', variant(mmrec, 'tsv-nolabel', d => editInter(d, ls => ls.map(l => l.split('\t').slice(0, 2).join('\t')))),
      '.inter', /missing column\(s\) x_label/, true);
    dataCase('TSV without userID', variant(mmrec, 'tsv-nouser', d => editInter(d, ls => [ls[0].replace('userID', 'user'), ...ls.slice(1)])),
      '.inter', /missing column\(s\) userID/);
    dataCase('TSV row with missing fields', variant(mmrec, 'tsv-short', d => editInter(d, ls => [ls[0], ls[1], '5\t7', ...ls.slice(2)])),
      '.inter', /line 3: malformed TSV: 2 tab-separated field\(s\), need at least 3/);
    dataCase('bad x_label', variant(mmrec, 'tsv-label3', d => editInter(d, ls => [ls[0], ls[1].replace(/\t\d+$/, '\t3'), ...ls.slice(2)])),
      '.inter', /line 2: bad x_label "3"/, true);
    dataCase('word as x_label', variant(mmrec, 'tsv-labelword', d => editInter(d, ls => [ls[0], ls[1].replace(/\t\d+$/, '\ttrain'), ...ls.slice(2)])),
      '.inter', /line 2: bad x_label "train"/);
    dataCase('non-integer userID', variant(mmrec, 'tsv-user', d => editInter(d, ls => [ls[0], ls[1].replace(/^\d+/, 'u7'), ...ls.slice(2)])),
      '.inter', /line 2: userID "u7" is not an integer/);
    dataCase('negative itemID', variant(mmrec, 'tsv-negitem', d => editInter(d, ls => [ls[0], ls[1].replace(/^(\d+)\t\d+/, '$1\t-1'), ...ls.slice(2)])),
      '.inter', /line 2: itemID -1 is negative/);
    dataCase('fractional itemID', variant(mmrec, 'tsv-fracitem', d => editInter(d, ls => [ls[0], ls[1].replace(/^(\d+)\t\d+/, '$1\t2.5'), ...ls.slice(2)])),
      '.inter', /line 2: itemID "2\.5" is not an integer/);
    dataCase('itemID beyond the feature rows', variant(mmrec, 'tsv-itemrange', d => editInter(d, ls => [ls[0], ls[1].replace(/^(\d+)\t\d+/, `$1\t${items + 5}`), ...ls.slice(2)])),
      '.inter', new RegExp(`line 2: item ${items + 5} is out of range`));
    dataCase('empty .inter file', variant(mmrec, 'tsv-empty', d => fs.writeFileSync(inter(d), '')), '.inter', /empty file, expected a header line/);
    dataCase('.inter with a header only', variant(mmrec, 'tsv-header', d => editInter(d, ls => [ls[0], ''])),
      '.inter', /the train split \(x_label 0\) has no interactions/);
    dataCase('several .inter files', variant(mmrec, 'tsv-several', d => { fs.copyFileSync(inter(d), path.join(d, 'zzz.inter')); fs.renameSync(inter(d), path.join(d, 'aaa.inter')); }),
      'tsv-several', /several \.inter files \(aaa\.inter, zzz\.inter\)/);
    dataCase('both layouts in one folder', variant(lattice, 'both-layouts', d => fs.copyFileSync(inter(mmrec), path.join(d, 'x.inter'))),
      'both-layouts', /holds both layouts/);

    // --- paths ----------------------------------------------------------------------------------
    dataCase('missing folder', path.join(tmp, 'no-such-folder'), 'no-such-folder', /missing folder/, true);
    const plainFile = path.join(tmp, 'a-file.txt');
    fs.writeFileSync(plainFile, 'x');
    dataCase('a file instead of a folder', plainFile, 'a-file.txt', /not a folder/);
    const emptyDir = path.join(tmp, 'empty-folder');
    fs.mkdirSync(emptyDir);
    dataCase('empty folder', emptyDir, 'empty-folder', /no data set found/);

    // --- options of ckd train -------------------------------------------------------------------
    optionCase('unknown model', ['--model', 'nope'], 'nope', /unknown model 'nope'/, undefined, true);
    optionCase('missing model', [], '--model', /--model is required/);
    for (const lr of ['0', '1', '1.5', '-0.1', '1e-400']) optionCase(`--lr ${lr}`, ['--model', 'vbpr', '--lr', lr], '--lr', /--lr must be in \(0, 1\)/, undefined, lr === '0');
    for (const lr of ['fast', 'Infinity', 'NaN', '']) optionCase(`--lr '${lr}'`, ['--model', 'vbpr', `--lr=${lr}`], '--lr', /--lr must be a number/);
    for (const n of ['0', '-5']) optionCase(`--epochs ${n}`, ['--model', 'vbpr', `--epochs=${n}`], '--epochs', /--epochs must be a positive integer/, undefined, n === '0');
    for (const n of ['2.5', 'ten']) optionCase(`--epochs ${n}`, ['--model', 'vbpr', '--epochs', n], '--epochs', /--epochs must be an integer/);
    optionCase('--epochs 1e300', ['--model', 'vbpr', '--epochs', '1e300'], '--epochs', /--epochs is out of range/);
    optionCase('--epochs without a value', ['--model', 'vbpr', '--epochs'], '--epochs', /--epochs needs a value/);
    for (const n of ['0', '-1']) optionCase(`--batch-size ${n}`, ['--model', 'vbpr', `--batch-size=${n}`], '--batch-size', /--batch-size must be a positive integer/);
    optionCase('--batch-size 3.5', ['--model', 'vbpr', '--batch-size', '3.5'], '--batch-size', /--batch-size must be an integer/);
    optionCase('--batch-size 1e12', ['--model', 'vbpr', '--batch-size', '1e12'], '--batch-size', /--batch-size must be at most 1048576/, undefined, true);
    for (const n of ['0', '-2']) optionCase(`--patience ${n}`, ['--model', 'vbpr', `--patience=${n}`], '--patience', /--patience must be a positive integer/, undefined, n === '0');
    optionCase('--patience 0.5', ['--model', 'vbpr', '--patience', '0.5'], '--patience', /--patience must be an integer/);
    optionCase('--eval-every 0', ['--model', 'vbpr', '--eval-every', '0'], '--eval-every', /--eval-every must be a positive integer/, undefined, true);
    optionCase('--seed 1e300', ['--model', 'vbpr', '--seed', '1e300'], '--seed', /--seed is out of range/);
    optionCase('--seed x', ['--model', 'vbpr', '--seed', 'x'], '--seed', /--seed must be an integer/);
    optionCase('--mode bogus', ['--model', 'vbpr', '--mode', 'bogus'], '--mode', /--mode must be one of multimodal, text-only, visual-only/);
    optionCase('--ndcg bogus', ['--model', 'vbpr', '--ndcg', 'bogus'], '--ndcg', /--ndcg must be one of/);
    optionCase('unknown option', ['--model', 'vbpr', '--learning-rate', '0.1'], '--learning-rate', /unknown option --learning-rate/);
    optionCase('--data and --preset', ['--model', 'vbpr', '--preset', 'tiny'], '--preset', /give either --data or --preset, not both/);
    optionCase('no data', ['--model', 'vbpr'], '--data', /--data DIR or --preset NAME is required/, []);
    optionCase('unknown preset', ['--model', 'vbpr', '--preset', 'huge'], 'huge', /unknown preset 'huge'/, []);
    optionCase('--data-seed x', ['--model', 'vbpr', '--preset', 'tiny', '--data-seed', 'x'], '--data-seed', /--data-seed must be an integer/, []);
    optionCase('--out into a file', ['--model', 'vbpr', '--out', path.join(plainFile, 'r.json')], 'a-file.txt', /cannot write into the folder/, undefined, true);
    optionCase('--out a folder', ['--model', 'vbpr', '--out', emptyDir], 'empty-folder', /is a folder, expected a file name/);
    // Checkpoint options.
    const ckpt = path.join(tmp, 'existing.ckpt');
    fs.writeFileSync(ckpt, 'not a checkpoint');
    optionCase('--resume without --checkpoint', ['--model', 'vbpr', '--resume'], '--resume', /--resume needs --checkpoint FILE/);
    optionCase('--checkpoint-every without --checkpoint', ['--model', 'vbpr', '--checkpoint-every', '2'], '--checkpoint-every', /needs --checkpoint FILE/);
    optionCase('--checkpoint-every 0', ['--model', 'vbpr', '--checkpoint', path.join(tmp, 'c0.ckpt'), '--checkpoint-every', '0'], '--checkpoint-every',
      /--checkpoint-every must be a positive integer/);
    optionCase('--checkpoint over an existing file', ['--model', 'vbpr', '--checkpoint', ckpt], 'existing.ckpt', /a checkpoint already exists; add --resume/);
    optionCase('--checkpoint into a file', ['--model', 'vbpr', '--checkpoint', path.join(plainFile, 'c.ckpt')], 'a-file.txt', /cannot write into the folder/);
    optionCase('--resume a corrupt checkpoint', ['--model', 'vbpr', '--checkpoint', ckpt, '--resume'], 'existing.ckpt', /not a ckd training checkpoint/, undefined, true);
    const foreign = path.join(tmp, 'foreign.ckpt');
    const c: TrainCheckpoint = {
      format: 'ckd-train-checkpoint/1', epoch: 1, identity: { seed: 999 }, params: [], optimizer: { iterations: 1, slots: [] },
      stopper: { best: -Infinity, bestEpoch: 0, sinceBest: 0 }, best: null, history: [{ epoch: 1, loss: { total: 1 }, seconds: 1 }],
      trainSeconds: 1, wallSeconds: 1, savedAt: '',
    };
    writeCheckpoint(foreign, c);
    optionCase('--resume a checkpoint of another run', ['--model', 'vbpr', '--checkpoint', foreign, '--resume'], 'foreign.ckpt', /the checkpoint is of a different run/, undefined, true);
    const truncated = path.join(tmp, 'truncated.ckpt');
    fs.writeFileSync(truncated, fs.readFileSync(foreign).subarray(0, 60));
    optionCase('--resume a truncated checkpoint', ['--model', 'vbpr', '--checkpoint', truncated, '--resume'], 'truncated.ckpt', /corrupt checkpoint/);
    // Methods and their options.
    optionCase('unknown method', ['--model', 'vbpr', '--method', 'nope'], 'nope', /--method must be one of plain, ckd, gb, ogm \(got 'nope'\)/);
    optionCase('CKD option with another method', ['--model', 'vbpr', '--method', 'ogm', '--tau', '0.1'], 'tau', /is an option of --method ckd, not of ogm/);
    optionCase('non-numeric CKD weight', ['--model', 'vbpr', '--method', 'ckd', '--lambda-kd', 'lots'], 'lambdaKd', /must be a number/);
    optionCase('unknown re-weighting', ['--model', 'vbpr', '--method', 'ckd', '--reweight', 'magic'], 'reweight', /must be one of paper, reference-code, none/);
    // Other commands.
    const never = path.join(tmp, 'never-reproduced');
    cases.push({ name: 'synth: unknown setting', args: ['data', 'synth', '--preset', 'tiny', '--set', 'colour=3', '--out', never], names: 'colour=3', problem: /is not KEY=X/ });
    cases.push({ name: 'synth: setting out of range', args: ['data', 'synth', '--preset', 'tiny', '--set', 'visualNoise=-1', '--out', never], names: 'visualNoise=-1', problem: /out of range/ });
    cases.push({ name: 'reproduce: unknown preset', args: ['reproduce', '--data', lattice, '--preset', 'huge', '--out', never], names: 'huge', problem: /unknown preset/ });
    cases.push({ name: 'reproduce: missing data folder', args: ['reproduce', '--data', path.join(tmp, 'nowhere'), '--out', never], names: 'nowhere', problem: /no such folder/ });
    cases.push({ name: 'reproduce: bad shard', args: ['reproduce', '--data', lattice, '--shard', '3/2', '--out', never], names: '3/2', problem: /--shard must be K\/N/ });
    cases.push({ name: 'reproduce: shard 0', args: ['reproduce', '--data', lattice, '--shard', '0/2', '--out', never], names: '0/2', problem: /--shard must be K\/N with 1 <= K <= N/, spawn: true });
    const unreadable = path.join(tmp, 'unreadable-results');
    fs.mkdirSync(path.join(unreadable, 'store.shard-2-of-2.jsonl'), { recursive: true });
    cases.push({ name: 'reproduce: unreadable store file', args: ['reproduce', '--data', lattice, '--out', unreadable, '--plan'], names: 'store.shard-2-of-2.jsonl', problem: /cannot read the result store: is a folder, not a file/, spawn: true });
    cases.push({ name: 'reproduce: no jobs', args: ['reproduce', '--data', lattice, '--jobs', '0', '--out', never], names: 'jobs', problem: /between 1 and 64/ });
    cases.push({ name: 'reproduce: unknown backbone', args: ['reproduce', '--data', lattice, '--models', 'vbpr,resnet', '--out', never], names: 'resnet', problem: /unknown model/ });
    const noStore = path.join(tmp, 'results-without-store');
    fs.mkdirSync(noStore);
    const recorded = path.join(tmp, 'recorded-results');
    fs.mkdirSync(recorded);
    fs.writeFileSync(path.join(recorded, 'store.jsonl'), JSON.stringify({ key: '0123456789abcdef', config: {}, result: {}, finishedAt: '' }) + '\n');
    cases.push({ name: 'reproduce: --reference to no folder', args: ['reproduce', '--data', lattice, '--out', never, '--reference', path.join(tmp, 'no-reference-here')], names: 'no-reference-here', problem: /^ckd: --reference .*: no such folder$/ });
    cases.push({ name: 'reproduce: --reference without store.jsonl', args: ['reproduce', '--data', lattice, '--out', never, '--reference', noStore], names: 'results-without-store', problem: /^ckd: --reference .*: no store\.jsonl there/ });
    cases.push({ name: 'reproduce: --reference to a file', args: ['reproduce', '--data', lattice, '--out', never, '--reference', plainFile], names: 'a-file.txt', problem: /^ckd: --reference .*: not a folder/ });
    cases.push({ name: 'reproduce: --reference is --out', args: ['reproduce', '--data', lattice, '--out', recorded, '--reference', recorded], names: '--reference', problem: /the results folder itself \(--out\), so nothing would be reproduced/, spawn: true });
    cases.push({ name: 'reproduce: --fresh and --out', args: ['reproduce', '--data', lattice, '--fresh', '--out', never], names: '--fresh', problem: /give either --fresh or --out DIR, not both/ });
    cases.push({ name: 'reproduce: --fresh and --report-only', args: ['reproduce', '--data', lattice, '--fresh', '--report-only'], names: '--report-only', problem: /a new folder has no cells to report on/ });
    cases.push({ name: 'inspect: two folders', args: ['data', 'inspect', lattice, mmrec], names: 'base-mmrec', problem: /unexpected argument/ });
    cases.push({ name: 'inspect: no folder', args: ['data', 'inspect'], names: 'inspect', problem: /needs a folder/ });

    // Every case in this process, one at a time (stdout and stderr are captured) ...
    for (const c of cases) outcomes.set(c.name, await ckdInProcess(c.args));
    // ... and the marked ones as child processes too, a few at a time.
    const toSpawn = cases.filter(c => c.spawn);
    let next = 0;
    const worker = async () => {
      while (next < toSpawn.length) {
        const c = toSpawn[next++];
        spawned.set(c.name, await ckd(c.args));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('every hostile input is rejected with one clean line and exit code 2', () => {
    const failures: string[] = [];
    for (const c of cases) {
      const r = outcomes.get(c.name) as Outcome;
      let why = judge(c, r);
      const child = spawned.get(c.name);
      if (!why && child) {
        const childWhy = judge(c, child);
        if (childWhy) why = `as a child process: ${childWhy}`;
        else if (child.stderr !== r.stderr) why = `child process printed ${JSON.stringify(child.stderr)}, main() ${JSON.stringify(r.stderr)}`;
      }
      if (why) failures.push(`${c.name}: ${why}`);
    }
    const clean = cases.length - failures.length;
    console.log(`      hostile inputs: ${cases.length} cases, ${clean} rejected cleanly (${spawned.size} of them also as child processes of bin/ckd.js)`);
    assert.deepStrictEqual(failures, []);
    assert.ok(cases.length >= 100, `only ${cases.length} cases`);
    assert.ok(spawned.size >= 20, `only ${spawned.size} child-process cases`);
  });
});
