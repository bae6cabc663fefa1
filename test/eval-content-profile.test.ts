import * as assert from 'assert';
import { Dataset, FeatureMatrix, listsFromArrays } from '../lib/data/dataset';
import { initEngine } from '../lib/engine/backend';
import { contentProfileBaseline } from '../lib/eval/content-profile';
import { presetConfig } from '../lib/synth/presets';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { ckd } from './cli-process';
import { cleanupTmp, tmpDir } from './data-fixtures';
import { writeDataset } from '../lib/data/loaders';

/** Rows given literally (items x cols). */
function matrix(rows: number[][]): FeatureMatrix {
  return { rows: rows.length, cols: rows[0].length, data: Float32Array.from(rows.flat()) };
}

describe('content profile: how far one modality\'s features rank without training', () => {
  before(async () => { await initEngine({ quiet: true }); });
  after(cleanupTmp);

  it('ranks first the item whose features are closest to the mean of the user\'s train items', async () => {
    // Items 0 and 1 point one way, 2 and 3 another (after centring); item 4 sits at the mean.
    const text = matrix([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9], [0.5, 0.5]]);
    const data: Dataset = {
      name: 'hand', source: '<memory>', numUsers: 2, numItems: 5,
      train: listsFromArrays([[0], [2]], 2), val: listsFromArrays([[1], [3]], 2), test: listsFromArrays([[1], [3]], 2),
      features: { text, visual: matrix([[0, 1], [1, 0], [1, 0], [0, 1], [0.5, 0.5]]) },
    };
    // User 0 (train item 0) finds item 1 first; user 1 (train item 2) finds item 3: Recall@1 = 1.
    assert.strictEqual((await contentProfileBaseline(data, 'text', 'test', [1])).recall[1], 1);
    // The visual features put each user's target on the other side: nobody finds it at 1.
    assert.strictEqual((await contentProfileBaseline(data, 'visual', 'test', [1])).recall[1], 0);
  });

  it('follows the generator: clean features rank far above noise-only ones', async () => {
    const data = synthesizeDataset(presetConfig('tiny', { textNoise: 0, visualNoise: 50 }), 1);
    const text = (await contentProfileBaseline(data, 'text', 'test', [20])).recall[20];
    const visual = (await contentProfileBaseline(data, 'visual', 'test', [20])).recall[20];
    assert.ok(text > visual + 0.05, `text profile ${text} should clearly beat the noise-only visual profile ${visual}`);
  });

  it('ckd data inspect --rankers prints MostPop and both profiles (text and JSON)', () => {
    const dir = tmpDir();
    writeDataset(synthesizeDataset('tiny', 1), dir, 'lattice');
    let r = ckd('data', 'inspect', dir, '--rankers');
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /rankers +test Recall@20 without training: MostPop 0\.\d{4}, text profile 0\.\d{4}, visual profile 0\.\d{4}/);
    r = ckd('data', 'inspect', dir, '--rankers', '--json');
    assert.strictEqual(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.match(j.fingerprint, /^[0-9a-f]{16}$/);
    for (const k of ['mostPop', 'textProfile', 'visualProfile']) assert.ok(j.rankers[k] >= 0 && j.rankers[k] <= 1, k);
    // Without --rankers nothing is ranked.
    assert.strictEqual(JSON.parse(ckd('data', 'inspect', dir, '--json').stdout).rankers, undefined);
  });
});
