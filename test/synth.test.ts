import * as assert from 'assert';
import { describeDataset } from '../lib/data/describe';
import { drawSynthetic } from '../lib/synth/generator';
import { PRESETS, presetConfig } from '../lib/synth/presets';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { CkdError } from '../lib/errors';

describe('synthetic data set', () => {
  it('tiny has the preset sizes, every user at least 5 interactions, and builds in well under a second', () => {
    const t0 = Date.now();
    const ds = synthesizeDataset('tiny', 1);
    assert.ok(Date.now() - t0 < 1000, `tiny took ${Date.now() - t0} ms`);
    assert.strictEqual(ds.numUsers, PRESETS.tiny.users);
    assert.strictEqual(ds.numItems, PRESETS.tiny.items);
    assert.strictEqual(ds.features.visual.cols, PRESETS.tiny.visualDim);
    assert.strictEqual(ds.features.text.cols, PRESETS.tiny.textDim);
    for (let u = 0; u < ds.numUsers; u++) {
      const n = ['train', 'val', 'test'].reduce((s, k) => {
        const l = ds[k as 'train'];
        return s + l.indptr[u + 1] - l.indptr[u];
      }, 0);
      assert.ok(n >= 5, `user ${u} has ${n} interactions`);
      assert.ok(ds.train.indptr[u + 1] > ds.train.indptr[u], `user ${u} has no train item`);
    }
  });

  it('is deterministic in the seed and changes with it', () => {
    const a = synthesizeDataset('tiny', 7);
    const b = synthesizeDataset('tiny', 7);
    const c = synthesizeDataset('tiny', 8);
    assert.deepStrictEqual(a.train.items, b.train.items);
    assert.deepStrictEqual(a.features.visual.data, b.features.visual.data);
    assert.notDeepStrictEqual(a.train.items, c.train.items);
  });

  it('has a long-tailed item popularity', () => {
    const draw = drawSynthetic(presetConfig('default', { users: 1000, items: 500, visualDim: 8, textDim: 8 }), 3);
    const counts = new Array(500).fill(0);
    for (const list of draw.interactions) for (const i of list) counts[i]++;
    counts.sort((x, y) => y - x);
    const top10 = counts.slice(0, 50).reduce((s, x) => s + x, 0);
    const total = counts.reduce((s, x) => s + x, 0);
    assert.ok(top10 / total > 0.25, `top 10% of items hold ${(100 * top10 / total).toFixed(1)}% of interactions`);
  });

  it('plants a text modality that carries more of the item factors than the visual one', () => {
    // Fit item factors from features by least squares is overkill: compare how well nearest
    // neighbours in feature space agree with neighbours in factor space.
    const cfg = presetConfig('default', { users: 10, items: 300 });
    const draw = drawSynthetic(cfg, 5);
    const agreement = (f: { data: Float32Array; cols: number }) => {
      let hits = 0;
      const r = cfg.factors;
      const nearest = (i: number, get: (a: number, b: number) => number) => {
        let best = -1; let bestD = Infinity;
        for (let j = 0; j < cfg.items; j++) if (j !== i) { const d = get(i, j); if (d < bestD) { bestD = d; best = j; } }
        return best;
      };
      const dist = (data: Float32Array, cols: number) => (a: number, b: number) => {
        let s = 0;
        for (let c = 0; c < cols; c++) { const t = data[a * cols + c] - data[b * cols + c]; s += t * t; }
        return s;
      };
      for (let i = 0; i < 100; i++) {
        const nf = nearest(i, dist(f.data, f.cols));
        const trueD = dist(draw.itemFactors, r);
        let rank = 0;
        for (let j = 0; j < cfg.items; j++) if (j !== i && trueD(i, j) < trueD(i, nf)) rank++;
        if (rank < cfg.items * 0.1) hits++;
      }
      return hits;
    };
    const text = agreement(draw.text);
    const visual = agreement(draw.visual);
    assert.ok(text > visual, `text neighbours agree ${text}/100, visual ${visual}/100`);
  });

  it('describes itself and rejects unknown presets', () => {
    const d = describeDataset(synthesizeDataset('tiny', 1));
    assert.strictEqual(d.users, PRESETS.tiny.users);
    assert.throws(() => presetConfig('huge'), (e: Error) => e instanceof CkdError && /unknown preset 'huge'/.test(e.message));
  });
});
