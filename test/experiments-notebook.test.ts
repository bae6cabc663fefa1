import * as assert from 'assert';
import * as path from 'path';
import { writeDataset } from '../lib/data/loaders';
import { DataError } from '../lib/errors';
import * as fs from 'fs';
import { openDataset, openReproduction, runSection } from '../lib/experiments/notebook';
import { PROJECT_ROOT } from '../lib/experiments/provenance';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { cleanupTmp, tmpDir } from './data-fixtures';

describe('experiments: the notebooks open their data', () => {
  after(cleanupTmp);

  it('openDataset reads a given folder as it was written', () => {
    const ds = synthesizeDataset('tiny', 1);
    const dir = writeDataset(ds, path.join(tmpDir('ckd-notebook-'), 'tiny'), 'lattice');
    const back = openDataset(dir);
    assert.strictEqual(back.numUsers, ds.numUsers);
    assert.strictEqual(back.numItems, ds.numItems);
    assert.deepStrictEqual(Array.from(back.train.items), Array.from(ds.train.items));
    assert.deepStrictEqual(Array.from(back.features.text.data.slice(0, 16)), Array.from(ds.features.text.data.slice(0, 16)));
  });

  it('openDataset refuses a folder that holds no data set, and never generates data there', () => {
    const dir = tmpDir('ckd-notebook-');
    assert.throws(() => openDataset(dir), DataError);
    assert.throws(() => openDataset(path.join(dir, 'missing')), DataError);
  });

  it('reads relative data and results folders from the project folder, wherever the kernel runs', async () => {
    const dir = writeDataset(synthesizeDataset('tiny', 1), path.join(tmpDir('ckd-notebook-'), 'tiny'), 'lattice');
    const cwd = process.cwd();
    process.chdir(path.join(PROJECT_ROOT, 'notebooks')); // where the tslab kernel runs
    try {
      const fromRoot = path.relative(PROJECT_ROOT, dir);
      assert.strictEqual(openDataset(fromRoot).numUsers, synthesizeDataset('tiny', 1).numUsers);
      const s = await openReproduction({ data: fromRoot, quick: true, out: 'results/some-folder' });
      assert.strictEqual(s.outDir, path.join(PROJECT_ROOT, 'results', 'some-folder'));
    } finally {
      process.chdir(cwd);
    }
  });

  it('with training off a section trains nothing and says how many of its cells are recorded', async () => {
    const dir = writeDataset(synthesizeDataset('tiny', 1), path.join(tmpDir('ckd-notebook-'), 'tiny'), 'lattice');
    const out = tmpDir('ckd-notebook-out-');
    const s = await openReproduction({ data: dir, quick: true, out, train: false });
    const lines: string[] = [];
    await runSection(s, 'table1', l => lines.push(l));
    assert.strictEqual(lines.length, 1);
    assert.match(lines[0], /^table1: (\d+) cells, 0 already in .*store\.jsonl, (\d+) not recorded and not trained \(TRAIN is off/);
    const [, n, todo] = /^table1: (\d+) cells, 0 already in .*, (\d+) not recorded/.exec(lines[0])!;
    assert.ok(Number(n) > 0 && n === todo);
    assert.strictEqual(s.store.size, 0);
    assert.ok(!fs.existsSync(path.join(out, 'store.jsonl')) || fs.readFileSync(path.join(out, 'store.jsonl'), 'utf8') === '', 'nothing recorded');
    assert.strictEqual((await openReproduction({ data: dir, quick: true, out })).train, true, 'training is on by default');
  });
});
