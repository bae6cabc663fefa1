import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthOverrides } from '../lib/cli/data-commands';
import { gini, quantileSorted, summarizeCounts } from '../lib/data/describe';
import { datasetFingerprint } from '../lib/experiments/provenance';
import { BABY_TARGETS, CALIBRATION_ROWS, calibrationRows, calibrationStats } from '../lib/synth/calibrate';
import { drawSynthetic, kCoreFilter } from '../lib/synth/generator';
import { presetConfig } from '../lib/synth/presets';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { CkdRun, assertUserError as assertOneLineError, ckd } from './cli-process';

function assertUserError(r: CkdRun, problem: RegExp): void {
  assertOneLineError(r, problem);
  assert.strictEqual(r.stdout, '');
}

describe('synthetic data: settings added for the baby-like preset', () => {
  it('leave the existing presets bit-identical (data set fingerprints from before they existed)', () => {
    // 'default' seed 1 is the data set of the committed results (results/*-default/store.jsonl:
    // config.dataset); tiny seeds 1 and 3 and the interactions of baby-scale (its first 2,000
    // users, narrow features) were fingerprinted with the generator before the change.
    assert.strictEqual(datasetFingerprint(synthesizeDataset('default', 1)), 'ef6a3d07c8612f83');
    assert.strictEqual(datasetFingerprint(synthesizeDataset('tiny', 1)), '0ccecc7280238698');
    assert.strictEqual(datasetFingerprint(synthesizeDataset('tiny', 3)), '6e8e569ae13b1d61');
    const babyScale = synthesizeDataset(presetConfig('baby-scale', { users: 2000, visualDim: 8, textDim: 8 }), 1);
    assert.strictEqual(datasetFingerprint(babyScale), '420e64b3a5245649');
  });

  it('the k-core filter removes users and items below k repeatedly, cascading', () => {
    // k = 2. Item 3 has one user (u3): it goes in round 1, which leaves u3 with one item; u3
    // goes in round 2, which leaves item 2 with one user (u2); item 2 goes in round 3, which
    // leaves u2 with one item; u2 goes in round 4. Users 0 and 1 share items 0 and 1: a 2-core.
    const lists = [[0, 1], [0, 1], [1, 2], [2, 3], [4]].map(l => Int32Array.from(l));
    const core = kCoreFilter(lists, 5, 2);
    assert.deepStrictEqual(Array.from(core.users), [0, 1]);
    assert.deepStrictEqual(Array.from(core.items), [0, 1]);
    assert.deepStrictEqual(core.interactions.map(l => Array.from(l)), [[0, 1], [0, 1]]);
    // Renumbering keeps the order: drop item 0 and the survivors 1, 2 become 0, 1.
    const shifted = kCoreFilter([[1, 2], [1, 2], [0]].map(l => Int32Array.from(l)), 3, 2);
    assert.deepStrictEqual(Array.from(shifted.items), [1, 2]);
    assert.deepStrictEqual(shifted.interactions.map(l => Array.from(l)), [[0, 1], [0, 1]]);
    // A stable input is returned unchanged; k = 3 empties this one entirely.
    assert.deepStrictEqual(kCoreFilter(lists.slice(0, 2), 2, 2).interactions.map(l => Array.from(l)), [[0, 1], [0, 1]]);
    const none = kCoreFilter(lists, 5, 3);
    assert.strictEqual(none.users.length + none.items.length, 0);
  });

  it('a 5-core draw has every user and item at 5 or more interactions, and drops below the drawn counts', () => {
    const cfg = presetConfig('baby-like', { users: 600, items: 400, visualDim: 4, textDim: 4 });
    const draw = drawSynthetic(cfg, 2);
    assert.ok(draw.interactions.length < cfg.users && draw.numItems < cfg.items, `${draw.interactions.length} users, ${draw.numItems} items`);
    const perItem = new Int32Array(draw.numItems);
    for (const l of draw.interactions) {
      assert.ok(l.length >= 5);
      for (const i of l) perItem[i]++;
    }
    assert.ok(Math.min(...perItem) >= 5);
    assert.strictEqual(draw.visual.rows, draw.numItems);
    assert.strictEqual(draw.itemFactors.length, draw.numItems * cfg.factors);
    const ds = synthesizeDataset(cfg, 2);
    assert.strictEqual(ds.numItems, draw.numItems);
    assert.strictEqual(ds.numUsers, draw.interactions.length);
    assert.throws(() => synthesizeDataset(presetConfig('tiny', { coreK: 50 }), 1), /50-core filter left no users or items/);
  });

  it('median, p90 (linear interpolation) and Gini on hand-made counts', () => {
    assert.strictEqual(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
    assert.strictEqual(quantileSorted([5], 0.9), 5);
    assert.ok(Number.isNaN(quantileSorted([], 0.5)));
    // 1..10: p90 at position 8.1 -> 9 + 0.1 * (10 - 9).
    assert.ok(Math.abs(quantileSorted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) - 9.1) < 1e-12);
    const s = summarizeCounts([7, 1, 3, 5, 100]);
    assert.deepStrictEqual({ ...s, p90: Math.round(s.p90 * 1e9) / 1e9 }, { mean: 23.2, median: 5, p90: 62.8, max: 100 });
    assert.strictEqual(gini([4, 4, 4, 4]), 0);
    assert.strictEqual(gini([0, 0, 0, 8]), 0.75); // (n - 1) / n when one holds all
    assert.strictEqual(gini([]), 0);
    // [1, 2, 3]: (-2*1 + 0*2 + 2*3) / (3 * 6) = 4/18.
    assert.ok(Math.abs(gini([3, 1, 2]) - 4 / 18) < 1e-12);
  });

  it('calibration rows compare each statistic with Baby', async () => {
    const stats = await calibrationStats(synthesizeDataset('tiny', 1));
    assert.strictEqual(stats.users, 150);
    assert.strictEqual(stats.interactions, stats.train + stats.val + stats.test);
    assert.ok(stats.mostPopRecall20 > 0 && stats.mostPopRecall20 < 1);
    const rows = calibrationRows(stats);
    assert.deepStrictEqual(rows.map(r => r.key), CALIBRATION_ROWS.map(r => r.key));
    const users = rows.find(r => r.key === 'users')!;
    assert.strictEqual(users.target, BABY_TARGETS.users);
    assert.ok(Math.abs(users.relDiff - (150 - 19445) / 19445) < 1e-12);
  });

  it('--set accepts the new settings and rejects them out of range', () => {
    assert.deepStrictEqual(synthOverrides('coreK=5,userPowerLaw=1,popularitySd=0.5'), { coreK: 5, userPowerLaw: 1, popularitySd: 0.5 });
    assert.throws(() => synthOverrides('coreK=-1'), /coreK=-1 is out of range \(an integer >= 0/);
    assert.throws(() => synthOverrides('userPowerLaw=2'), /userPowerLaw=2 is out of range \(0 or 1\)/);
    assert.throws(() => synthOverrides('popularitySd=-0.1'), /out of range \(>= 0\)/);
  });
});

describe('ckd data calibrate', () => {
  let tmp: string;
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-calibrate-')); });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('prints the table and writes the JSON record', () => {
    const out = path.join(tmp, 'sub', 'tiny.json');
    const r = ckd('data', 'calibrate', '--preset', 'tiny', '--seed', '2', '--out', out);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /^statistic +Baby +tiny seed 2 +rel\. diff$/m);
    assert.match(r.stdout, /^MostPop test Recall@20 +0\.052 /m);
    const record = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.strictEqual(record.source.preset, 'tiny');
    assert.strictEqual(record.rows.length, CALIBRATION_ROWS.length);
    assert.match(record.fingerprint, /^[0-9a-f]{16}$/);
    assert.ok(record.timing.generationSeconds >= 0);
  });

  it('rejects hostile input in one line with exit code 2', () => {
    assertUserError(ckd('data', 'calibrate', '--preset', 'huge'), /--preset must be one of tiny, default, baby-scale, baby-like, weak-ids, strong-ids \(got 'huge'\)/);
    assertUserError(ckd('data', 'calibrate', '--preset', 'tiny', '--seed', '1.5'), /--seed must be an integer/);
    assertUserError(ckd('data', 'calibrate', '--preset', 'tiny', '--set', 'coreK=x'), /coreK=x is out of range/);
    assertUserError(ckd('data', 'calibrate', '--data', tmp, '--preset', 'tiny'), /--data .* takes no --preset/);
    assertUserError(ckd('data', 'calibrate', '--preset', 'tiny', '--out', tmp), /--out must name a file/);
    assertUserError(ckd('data', 'calibrate', '--bogus'), /unknown option --bogus/);
  });
});
