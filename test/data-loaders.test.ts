import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Dataset, SPLITS } from '../lib/data/dataset';
import { convertDataset, detectLayout, loadDataset, writeDataset } from '../lib/data/loaders';
import { describeDataset, formatDescription } from '../lib/data/describe';
import { writeNpy } from '../lib/data/npy';
import { assertDataError, cleanupTmp, tinyDataset, tmpDir } from './data-fixtures';

function assertSameData(a: Dataset, b: Dataset): void {
  assert.strictEqual(a.numUsers, b.numUsers);
  assert.strictEqual(a.numItems, b.numItems);
  for (const s of SPLITS) {
    assert.deepStrictEqual(Array.from(a[s].indptr), Array.from(b[s].indptr), `${s} indptr`);
    assert.deepStrictEqual(Array.from(a[s].items), Array.from(b[s].items), `${s} items`);
  }
  for (const m of ['visual', 'text'] as const) {
    assert.strictEqual(a.features[m].rows, b.features[m].rows);
    assert.strictEqual(a.features[m].cols, b.features[m].cols);
    assert.deepStrictEqual(Array.from(a.features[m].data), Array.from(b.features[m].data));
  }
  assert.deepStrictEqual(a.itemCategories && Array.from(a.itemCategories), b.itemCategories && Array.from(b.itemCategories));
}

const noWarn = (m: string) => { throw new Error(`unexpected warning: ${m}`); };

/** A LATTICE folder from JSON texts (objects or raw strings) and the tiny features. */
function latticeDir(splits: Partial<Record<'train' | 'val' | 'test', unknown>>, opts: { items?: number } = {}): string {
  const dir = tmpDir();
  const ds = tinyDataset();
  writeDataset(ds, dir, 'lattice');
  if (opts.items !== undefined) {
    writeNpy(path.join(dir, 'image_feat.npy'), new Float32Array(opts.items * 2), [opts.items, 2]);
    writeNpy(path.join(dir, 'text_feat.npy'), new Float32Array(opts.items * 2), [opts.items, 2]);
  }
  for (const [s, v] of Object.entries(splits)) {
    fs.writeFileSync(path.join(dir, '5-core', `${s}.json`), typeof v === 'string' ? v : JSON.stringify(v));
  }
  return dir;
}

/** An MMRec folder whose .inter file has the given text, with the tiny features. */
function mmrecDir(inter: string, name = 'baby'): { dir: string; file: string } {
  const dir = tmpDir();
  writeDataset(tinyDataset(), dir, 'mmrec');
  fs.rmSync(path.join(dir, 'tiny.inter'));
  const file = path.join(dir, `${name}.inter`);
  fs.writeFileSync(file, inter);
  return { dir, file };
}

const GOOD_TRAIN = { 0: [0, 1], 1: [2, 3], 2: [4] };
const GOOD_VAL = { 0: [2], 1: [], 2: [5] };
const GOOD_TEST = { 0: [3], 1: [4], 2: [] };

describe('data/loaders', () => {
  after(cleanupTmp);

  describe('round trips', () => {
    it('LATTICE layout', () => {
      const ds = tinyDataset();
      const dir = tmpDir();
      writeDataset(ds, dir, 'lattice');
      assert.strictEqual(detectLayout(dir), 'lattice');
      const back = loadDataset(dir, { warn: noWarn });
      assertSameData(ds, back);
      assert.strictEqual(back.name, path.basename(dir));
      const train = JSON.parse(fs.readFileSync(path.join(dir, '5-core', 'train.json'), 'utf8'));
      assert.deepStrictEqual(train['0'], [0, 1, 2]);
      assert.deepStrictEqual(Object.keys(train), ['0', '1', '2', '3', '4']);
    });

    it('MMRec layout, with categories', () => {
      const ds = tinyDataset();
      ds.itemCategories = Int32Array.from([0, 1, 1, 2, 0, 3, 2, 1]);
      const dir = tmpDir();
      writeDataset(ds, dir, 'mmrec');
      assert.strictEqual(detectLayout(dir), 'mmrec');
      assert.ok(fs.existsSync(path.join(dir, 'tiny.inter')));
      const back = loadDataset(dir, { warn: noWarn });
      assertSameData(ds, back);
      assert.strictEqual(back.name, 'tiny');
    });

    it('convert LATTICE -> MMRec -> LATTICE', () => {
      const ds = tinyDataset();
      const a = tmpDir();
      const b = tmpDir();
      const c = tmpDir();
      writeDataset(ds, a, 'lattice');
      convertDataset(a, b, 'mmrec', { warn: noWarn });
      convertDataset(b, c, 'lattice', { warn: noWarn });
      assertSameData(ds, loadDataset(b, { warn: noWarn }));
      assertSameData(ds, loadDataset(c, { warn: noWarn }));
      assertDataError(() => convertDataset(a, a, 'mmrec'), a, /different output folder/);
    });

    it('reads float64 features (as in the public image_feat.npy)', () => {
      const dir = latticeDir({});
      const f64 = new Float64Array(8 * 3).map((_, k) => k / 3);
      writeNpy(path.join(dir, 'image_feat.npy'), f64, [8, 3]);
      const ds = loadDataset(dir, { warn: noWarn });
      assert.strictEqual(ds.features.visual.cols, 3);
      assert.ok(Math.abs(ds.features.visual.data[5] - 5 / 3) < 1e-6);
    });
  });

  describe('MMRec parsing', () => {
    it('takes the columns by name, in any order, with extra columns, CRLF and blank lines', () => {
      const { dir } = mmrecDir([
        'rating\tx_label\ttimestamp\titemID\tuserID',
        '5.0\t0\t100\t1\t0', '4.0\t0\t101\t0\t0', '3.0\t1\t102\t2\t0', '3.0\t2\t103\t3\t0',
        '1.0\t0\t104\t4\t1', '', '2.0\t2\t105\t5.0\t1', '',
      ].join('\r\n'));
      const ds = loadDataset(dir, { warn: noWarn });
      assert.strictEqual(ds.name, 'baby');
      assert.strictEqual(ds.numUsers, 2);
      assert.strictEqual(ds.numItems, 8);
      assert.deepStrictEqual(Array.from(ds.train.items), [0, 1, 4]);
      assert.deepStrictEqual(Array.from(ds.val.indptr), [0, 1, 1]);
      assert.deepStrictEqual(Array.from(ds.test.items), [3, 5]);
    });

    it('accepts RecBole-style typed headers', () => {
      const { dir } = mmrecDir('userID:token\titemID:token\tx_label:float\n0\t0\t0\n0\t1\t1\n0\t2\t2\n');
      assert.strictEqual(loadDataset(dir, { warn: noWarn }).numUsers, 1);
    });
  });

  describe('duplicates are dropped with a warning, never an error', () => {
    it('within and across splits (LATTICE)', () => {
      const dir = latticeDir({ train: { 0: [0, 1, 1], 1: [2] }, val: { 0: [1, 3], 1: [3] }, test: { 0: [3, 4], 1: [4, 4] } });
      const warnings: string[] = [];
      const ds = loadDataset(dir, { warn: (m) => warnings.push(m) });
      assert.deepStrictEqual(Array.from(ds.train.items), [0, 1, 2]);
      assert.deepStrictEqual(Array.from(ds.val.items), [3, 3]);
      assert.deepStrictEqual(Array.from(ds.test.items), [4, 4]);
      assert.strictEqual(warnings.length, 4, warnings.join('\n'));
      assert.match(warnings[0], /train\.json: dropped 1 duplicate interaction\(s\) in the train split \(first: user 0, item 1\)/);
      assert.match(warnings[1], /test\.json: dropped 1 duplicate/);
      assert.match(warnings[2], /val\.json: dropped 1 interaction\(s\) from the val split that already occur in an earlier split \(first: user 0, item 1\)/);
      assert.match(warnings[3], /test\.json: dropped 1 interaction\(s\) .* \(first: user 0, item 3\)/);
    });

    it('MMRec duplicate rows name their line', () => {
      const { dir, file } = mmrecDir('userID\titemID\tx_label\n0\t0\t0\n0\t1\t1\n0\t2\t2\n0\t0\t0\n');
      const warnings: string[] = [];
      loadDataset(dir, { warn: (m) => warnings.push(m) });
      assert.strictEqual(warnings.length, 1);
      assert.ok(warnings[0].startsWith(file));
      assert.match(warnings[0], /line 5/);
    });

    it('warnings go to console.warn by default', () => {
      const dir = latticeDir({ train: { 0: [0, 0] }, val: { 0: [1] }, test: { 0: [2] } });
      const orig = console.warn;
      const got: string[] = [];
      console.warn = (m: string) => { got.push(m); };
      try { loadDataset(dir); } finally { console.warn = orig; }
      assert.strictEqual(got.length, 1);
    });
  });

  describe('bad inputs are DataErrors naming the file and the problem', () => {
    it('feature rows differ between modalities', () => {
      const dir = latticeDir({});
      const f = path.join(dir, 'text_feat.npy');
      writeNpy(f, new Float32Array(7 * 4), [7, 4]);
      assertDataError(() => loadDataset(dir), f, /has 7 rows \(items\) but image_feat\.npy has 8/);
    });

    it('an item id beyond the feature rows (LATTICE: the user; MMRec: the line)', () => {
      const dir = latticeDir({ test: { 0: [3], 2: [9] } });
      assertDataError(() => loadDataset(dir), path.join(dir, '5-core', 'test.json'), /user 2: item 9 is out of range: image_feat\.npy has 8 rows/);
      const { dir: d2, file } = mmrecDir('userID\titemID\tx_label\n0\t0\t0\n0\t8\t1\n0\t2\t2\n');
      assertDataError(() => loadDataset(d2), file, /line 3: item 8 is out of range/);
    });

    it('NaN or Inf in features names the row', () => {
      const dir = latticeDir({});
      const f = path.join(dir, 'image_feat.npy');
      const data = new Float32Array(8 * 2);
      data[5 * 2 + 1] = NaN;
      writeNpy(f, data, [8, 2]);
      assertDataError(() => loadDataset(dir), f, /row 5 \(item 5\) column 1 is NaN/);
      const t = path.join(dir, 'text_feat.npy');
      const d2 = new Float64Array(8 * 2);
      d2[3 * 2] = 1e300; // finite in float64, Inf in float32
      writeNpy(f, new Float32Array(16), [8, 2]);
      writeNpy(t, d2, [8, 2]);
      assertDataError(() => loadDataset(dir), t, /row 3 \(item 3\) column 0 is Inf \(possibly a float64 value too large/);
    });

    it('features that are not 2-D or are empty', () => {
      const dir = latticeDir({});
      const f = path.join(dir, 'image_feat.npy');
      writeNpy(f, new Float32Array(8), [8]);
      assertDataError(() => loadDataset(dir), f, /must be a 2-D array/);
      writeNpy(f, new Float32Array(0), [0, 4]);
      assertDataError(() => loadDataset(dir), f, /features are empty/);
    });

    it('negative, non-integer and malformed ids (LATTICE)', () => {
      const cases: [unknown, RegExp][] = [
        [{ 0: [0, -1] }, /user 0: item -1 \(position 1\) is negative/],
        [{ 0: [0, 1.5] }, /user 0: item 1\.5 \(position 1\) is not an integer/],
        [{ 0: ['3'] }, /user 0: item "3" \(position 0\) is not an integer/],
        [{ '-1': [0] }, /user id "-1" is not a non-negative integer/],
        [{ abc: [0] }, /user id "abc" is not a non-negative integer/],
        [{ 0: 5 }, /user 0: expected a list of item ids, found number/],
        [[[0, 1]], /expected a JSON object mapping user id/],
        ['{"0": [1, 2', /malformed JSON/],
      ];
      for (const [train, re] of cases) {
        const dir = latticeDir({ train });
        assertDataError(() => loadDataset(dir), path.join(dir, '5-core', 'train.json'), re);
      }
    });

    it('negative, non-integer and malformed rows (MMRec)', () => {
      const cases: [string, RegExp][] = [
        ['userID\titemID\tx_label\n0\t0\t0\n-1\t1\t1\n', /line 3: userID -1 is negative/],
        ['userID\titemID\tx_label\n0\t0.5\t0\n', /line 2: itemID "0\.5" is not an integer/],
        ['userID\titemID\tx_label\n0\t\t0\n', /line 2: itemID "" is not an integer/],
        ['userID\titemID\tx_label\nx\t1\t0\n', /line 2: userID "x" is not an integer/],
        ['userID\titemID\tx_label\n0\t1\t3\n', /line 2: bad x_label "3" \(expected 0 train, 1 val or 2 test\)/],
        ['userID\titemID\tx_label\n0\t1\ttrain\n', /line 2: bad x_label "train"/],
        ['userID\titemID\tx_label\n0\t1\n', /line 2: malformed TSV: 2 tab-separated field\(s\), need at least 3/],
        ['userID\titemID\trating\n0\t1\t5\n', /missing column\(s\) x_label/],
        ['user,item,x_label\n0,1,0\n', /missing column\(s\) userID, itemID, x_label/],
        ['', /empty file/],
      ];
      for (const [text, re] of cases) {
        const { dir, file } = mmrecDir(text);
        assertDataError(() => loadDataset(dir), file, re);
      }
    });

    it('empty splits', () => {
      let dir = latticeDir({ val: { 0: [], 1: [] } });
      assertDataError(() => loadDataset(dir), path.join(dir, '5-core', 'val.json'), /the val split has no interactions/);
      dir = latticeDir({ train: {} });
      assertDataError(() => loadDataset(dir), path.join(dir, '5-core', 'val.json'), /user 0 has interactions in the val split but no train items/);
      const { dir: d2, file } = mmrecDir('userID\titemID\tx_label\n0\t0\t0\n0\t1\t1\n');
      assertDataError(() => loadDataset(d2), file, /the test split \(x_label 2\) has no interactions/);
    });

    it('a val/test user without train items', () => {
      const dir = latticeDir({ train: GOOD_TRAIN, val: GOOD_VAL, test: { ...GOOD_TEST, 4: [1] } });
      assertDataError(() => loadDataset(dir), path.join(dir, '5-core', 'test.json'), /user 4: user 4 has interactions in the test split but no train items/);
      const { dir: d2, file } = mmrecDir('userID\titemID\tx_label\n0\t0\t0\n0\t1\t1\n1\t2\t2\n');
      assertDataError(() => loadDataset(d2), file, /line 4: user 1 has interactions in the test split \(x_label 2\) but no train items/);
    });

    it('a stray huge user id', () => {
      const dir = latticeDir({ train: { ...GOOD_TRAIN, 2000000000: [1] } });
      assertDataError(() => loadDataset(dir), path.join(dir, '5-core', 'train.json'), /user id 2000000000 is out of range/);
    });

    it('missing files and folders', () => {
      for (const f of ['5-core/val.json', '5-core/test.json', 'image_feat.npy', 'text_feat.npy']) {
        const dir = latticeDir({});
        fs.rmSync(path.join(dir, f));
        assertDataError(() => loadDataset(dir), path.join(dir, f), /missing file/);
      }
      const { dir } = mmrecDir('userID\titemID\tx_label\n0\t0\t0\n0\t1\t1\n0\t2\t2\n');
      fs.rmSync(path.join(dir, 'image_feat.npy'));
      assertDataError(() => loadDataset(dir), path.join(dir, 'image_feat.npy'), /missing file/);
      const empty = tmpDir();
      assertDataError(() => loadDataset(empty), empty, /no data set found: expected 5-core\/train\.json .* or a NAME\.inter file/);
      assertDataError(() => loadDataset(path.join(empty, 'nope')), path.join(empty, 'nope'), /missing folder/);
      const d3 = tmpDir();
      writeDataset(tinyDataset(), d3, 'lattice');
      assertDataError(() => loadDataset(d3, { layout: 'mmrec' }), path.join(d3, '<name>.inter'), /missing file: no \.inter file/);
    });

    it('both layouts in one folder need an explicit layout; several .inter files need the folder name', () => {
      const dir = tmpDir();
      writeDataset(tinyDataset(), dir, 'lattice');
      writeDataset(tinyDataset(), dir, 'mmrec');
      assertDataError(() => loadDataset(dir), dir, /holds both layouts/);
      assert.strictEqual(loadDataset(dir, { layout: 'mmrec', warn: noWarn }).name, 'tiny');
      assert.strictEqual(loadDataset(dir, { layout: 'lattice', warn: noWarn }).numUsers, 5);
      const { dir: d2 } = mmrecDir('userID\titemID\tx_label\n0\t0\t0\n0\t1\t1\n0\t2\t2\n', 'a');
      fs.writeFileSync(path.join(d2, 'b.inter'), 'userID\titemID\tx_label\n');
      assertDataError(() => loadDataset(d2), d2, /several \.inter files \(a\.inter, b\.inter\)/);
      fs.renameSync(path.join(d2, 'a.inter'), path.join(d2, `${path.basename(d2)}.inter`));
      assert.strictEqual(loadDataset(d2, { warn: noWarn }).numUsers, 1);
    });

    it('item category file: wrong length, negative, wrong dtype', () => {
      const dir = latticeDir({});
      const f = path.join(dir, 'item_category.npy');
      writeNpy(f, Int32Array.from([0, 1, 2]), [3]);
      assertDataError(() => loadDataset(dir), f, /has 3 entries but the data set has 8 items/);
      writeNpy(f, Int32Array.from([0, 1, 2, 0, 0, -1, 0, 0]), [8]);
      assertDataError(() => loadDataset(dir), f, /item 5 has negative category -1/);
      writeNpy(f, new Float32Array(8), [8]);
      assertDataError(() => loadDataset(dir), f, /expected int32 or int64 data/);
      writeNpy(f, Int32Array.from([0, 1, 2, 0, 0, 1, 0, 0]), [8]);
      assert.deepStrictEqual(Array.from(loadDataset(dir, { warn: noWarn }).itemCategories ?? []), [0, 1, 2, 0, 0, 1, 0, 0]);
    });
  });

  describe('describeDataset', () => {
    it('counts users, items, interactions, density and feature dims', () => {
      const d = describeDataset(tinyDataset());
      assert.strictEqual(d.users, 5);
      assert.strictEqual(d.items, 8);
      assert.deepStrictEqual(d.interactions, { train: 11, val: 3, test: 3, total: 17 });
      assert.deepStrictEqual(d.activeUsers, { train: 5, val: 3, test: 3 });
      assert.strictEqual(d.itemsWithTrain, 7);
      assert.deepStrictEqual(d.features, { visual: { rows: 8, dims: 6 }, text: { rows: 8, dims: 4 } });
      assert.ok(Math.abs(d.density - 17 / 40) < 1e-12);
      assert.ok(Math.abs(d.sparsity - 23 / 40) < 1e-12);
      assert.ok(Math.abs(d.meanInteractionsPerUser.total - 17 / 5) < 1e-12);
      assert.deepStrictEqual(d.trainPerUser, { min: 1, median: 2, max: 3 });
      assert.strictEqual(d.categories, null);
      assert.doesNotThrow(() => JSON.stringify(d));
      const text = formatDescription(d);
      assert.match(text, /users\s+5/);
      assert.match(text, /interactions\s+17 total: train 11, val 3, test 3/);
      assert.match(text, /features\s+visual 8 x 6, text 8 x 4/);
    });
  });
});
