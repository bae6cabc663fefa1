import * as assert from 'assert';
import { Dataset, SPLITS } from '../lib/data/dataset';
import { datasetFingerprint } from '../lib/data/fingerprint';
import { presetConfig } from '../lib/synth/presets';
import { synthesizeDataset } from '../lib/synth/synthesize';

/** Whether `small`'s users are `big`'s first users, split for split, with the same item features. */
function isPrefixOf(small: Dataset, big: Dataset): boolean {
  if (small.numItems !== big.numItems) return false;
  for (const s of SPLITS) {
    const n = small.numUsers;
    for (let u = 0; u <= n; u++) if (small[s].indptr[u] !== big[s].indptr[u]) return false;
    for (let e = 0; e < small[s].indptr[n]; e++) if (small[s].items[e] !== big[s].items[e]) return false;
  }
  for (const m of ['text', 'visual'] as const) {
    const a = small.features[m].data;
    const b = big.features[m].data;
    if (a.length !== b.length || a.some((x, k) => x !== b[k])) return false;
  }
  return true;
}

describe('synthetic data: weak-ids and strong-ids, the payoff experiment\'s second axis', () => {
  const base = synthesizeDataset('default', 1);
  const weak = synthesizeDataset('weak-ids', 1);
  const strong = synthesizeDataset('strong-ids', 1);

  it('differ from default only in the number of users', () => {
    const { users: _a, ...d } = presetConfig('default');
    for (const name of ['weak-ids', 'strong-ids']) {
      const { users: _b, ...v } = presetConfig(name);
      assert.deepStrictEqual(v, d, name);
    }
    assert.strictEqual(weak.numUsers, 1000);
    assert.strictEqual(strong.numUsers, 6000);
  });

  it('are nested: weak-ids is default\'s first 1,000 users, default is strong-ids\' first 3,000', () => {
    assert.ok(isPrefixOf(weak, base), 'weak-ids inside default');
    assert.ok(isPrefixOf(base, strong), 'default inside strong-ids');
  });

  it('keep their fingerprints (the results folders\' cells name them), and default its own', () => {
    assert.strictEqual(datasetFingerprint(base), 'ef6a3d07c8612f83');
    assert.strictEqual(datasetFingerprint(weak), 'a88d1fc1500da7d1');
    assert.strictEqual(datasetFingerprint(strong), '0960701915b9d376');
  });
});
