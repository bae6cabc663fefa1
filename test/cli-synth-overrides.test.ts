import * as assert from 'assert';
import { synthOverrides } from '../lib/cli/data-commands';
import { presetConfig } from '../lib/synth/presets';
import { synthesizeDataset } from '../lib/synth/synthesize';

describe('ckd data synth --set', () => {
  it('parses generator overrides and they change the data set', () => {
    const o = synthOverrides('textCoverage=0.5, visualCoverage=0.5,users=120');
    assert.deepStrictEqual(o, { textCoverage: 0.5, visualCoverage: 0.5, users: 120 });
    const changed = synthesizeDataset(presetConfig('tiny', o), 1);
    assert.strictEqual(changed.numUsers, 120);
    assert.notDeepStrictEqual(Array.from(changed.features.text.data.slice(0, 8)), Array.from(synthesizeDataset('tiny', 1).features.text.data.slice(0, 8)));
    assert.deepStrictEqual(synthOverrides(undefined), {});
    assert.throws(() => synthOverrides('users=1.5'), /users=1.5 is out of range \(a positive integer\)/);
    assert.throws(() => synthOverrides('textCoverage='), /out of range/);
  });
});
