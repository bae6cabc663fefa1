import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, Modality } from '../lib/data/dataset';
import { initEngine } from '../lib/engine/backend';
import { Rng } from '../lib/engine/random';
import { BackboneFactory, ModalityMask, TripleBatch } from '../lib/models/backbone';
import { MMGCN_DEFAULTS, Mmgcn, mmgcnFactory } from '../lib/models/mmgcn';
import { leakyRelu } from '../lib/nn/activation';
import { linear as denseLinear } from '../lib/nn/dense';
import { l2NormalizeRows } from '../lib/nn/normalize';
import { synthesizeDataset } from '../lib/synth/synthesize';
import {
  allScores, assertAblationIgnoresModality, assertGradientsReachGroups, assertMatchesDense, assertNoTensorLeaks, assertRequestedRowsMatch,
  assertShortRunImproves, denseAdjacency, featureTensor, lossGrads, maxAbsDiff,
} from './model-fixtures';

const factory: BackboneFactory = mmgcnFactory;
const OUT_DIM = 64;

/** MMGCN's equations (docs/backbones.md, section MMGCN) with dense tfjs ops, from the model's variables. */
function denseMmgcn(model: Mmgcn, data: Dataset, mask: ModalityMask): tf.Tensor2D {
  type Dense = { w: tf.Tensor2D; b: tf.Tensor1D };
  const p = model as unknown as {
    userId: tf.Tensor2D; itemId: tf.Tensor2D; pref: Record<Modality, tf.Tensor2D>; proj: Record<Modality, Dense>;
    gcn: Record<Modality, { conv: Dense; lin: Dense; g: Dense }[]>;
  };
  return tf.tidy(() => {
    const adj = denseAdjacency(data);
    const withSelf = tf.add(adj, tf.eye(adj.shape[0]));
    const aHat = tf.div(withSelf, tf.sum(withSelf, 1, true)) as tf.Tensor2D;
    const lrelu = (x: tf.Tensor2D) => tf.leakyRelu(x, 0.01) as tf.Tensor2D;
    const lin = (x: tf.Tensor2D, d: Dense) => tf.add(tf.matMul(x, d.w), d.b) as tf.Tensor2D;
    const idEmb = tf.concat([p.userId, p.itemId], 0);
    const branch = (m: Modality): tf.Tensor2D => {
      const ablate = mask !== 'all' && mask !== m;
      const pref = ablate ? tf.add(tf.zeros(p.pref[m].shape), tf.mean(p.pref[m], 0, true)) : p.pref[m];
      const feat = lin(featureTensor(data, m, ablate), p.proj[m]);
      const x0 = tf.concat([pref, feat], 0);
      let x = tf.div(x0, tf.norm(x0, 'euclidean', 1, true)) as tf.Tensor2D;
      for (const l of p.gcn[m]) {
        const h = lrelu(tf.matMul(aHat, lin(x, l.conv)));
        const xHat = tf.add(lrelu(lin(x, l.lin)), idEmb) as tf.Tensor2D;
        x = lrelu(tf.add(lin(h, l.g), xHat) as tf.Tensor2D);
      }
      return x;
    };
    return tf.div(tf.add(branch('visual'), branch('text')), 2) as tf.Tensor2D;
  });
}

const BATCH: TripleBatch = { users: Int32Array.of(0, 1, 2, 3, 7), pos: Int32Array.of(1, 2, 3, 4, 0), neg: Int32Array.of(9, 8, 7, 6, 5) };

describe('MMGCN (CKD code form)', () => {
  let data: Dataset;
  before(async () => {
    await initEngine({ quiet: true });
    data = synthesizeDataset('tiny', 2);
  });

  it('its fast linear, LeakyReLU and row-normalisation ops match tfjs\'s own, in values and gradients', () => {
    const rng = new Rng(5);
    const rand = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal()), shape);
    const [x, w, b, c] = [rand([37, 16]), rand([16, 16]), rand([16]), rand([37, 16])];
    // Row 3 of X W + b is zeroed (by the mask) to exercise the normalisation's clamp.
    const zeroRow = tf.tensor2d(Float32Array.from({ length: 37 }, (_, k) => (k === 3 ? 0 : 1)), [37, 1]);
    const ours = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(l2NormalizeRows(tf.mul(
      leakyRelu(denseLinear(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D), 0.01), zeroRow) as tf.Tensor2D), c));
    const stock = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
      const y = tf.mul(tf.leakyRelu(tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b), 0.01), zeroRow);
      return tf.sum(tf.mul(tf.mul(y, tf.rsqrt(tf.maximum(tf.sum(tf.square(y), 1, true), 1e-24))), c));
    };
    const a = tf.valueAndGrads(ours)([x, w, b]);
    const s = tf.valueAndGrads(stock)([x, w, b]);
    assert.ok(Math.abs(a.value.dataSync()[0] - s.value.dataSync()[0]) < 1e-3);
    a.grads.forEach((g, k) => assert.ok(maxAbsDiff(g.dataSync() as Float32Array, s.grads[k].dataSync() as Float32Array) < 1e-4, `gradient ${k}`));
    tf.dispose([x, w, b, c, zeroRow, a.value, s.value, ...a.grads, ...s.grads]);
  });

  it('equals a dense re-computation of its equations, under every mask', () => {
    const model = new Mmgcn(data, { seed: 1 });
    assertMatchesDense(model, mask => denseMmgcn(model, data, mask));
    model.dispose();
  });

  it('produces representations of the expected shapes; requested rows equal the full pass', () => {
    const model = factory(data, { seed: 1 });
    assertRequestedRowsMatch(model, data, OUT_DIM);
    model.dispose();
  });

  it('an ablated forward ignores its modality: shuffled features leave every score unchanged', () => {
    assertAblationIgnoresModality(factory, data);
  });

  it('gradients of the BPR loss reach every parameter group, and only through kept modalities', () => {
    const model = new Mmgcn(data, { seed: 1 });
    assert.strictEqual(model.variables().length, 2 + 2 * (3 + 6 * MMGCN_DEFAULTS.layers));
    const { value, grads } = lossGrads(model, data, BATCH);
    assert.ok(Number.isFinite(value.dataSync()[0]));
    assertGradientsReachGroups(model, grads);
    tf.dispose([value, ...Object.values(grads)]);
    // Text-only forward: the visual projection's gradient only sees the mean feature row, not zero,
    // but the visual preference table gets the same gradient in every row (through its mean).
    const t = lossGrads(model, data, BATCH, 'text');
    const gv = t.grads[model.groups.visual[2].name];
    const spread = tf.tidy(() => tf.max(tf.abs(tf.sub(gv, tf.mean(gv, 0, true)))).dataSync()[0]);
    assert.ok(spread < 1e-9, `ablated preference rows get different gradients (${spread})`);
    tf.dispose([t.value, ...Object.values(t.grads)]);
    model.dispose();
  });

  it('leaks no tensors in forward, forward+backward, and dispose', () => {
    assertNoTensorLeaks(() => new Mmgcn(data, { seed: 1 }), data, BATCH);
  });

  it('is deterministic in the seed', () => {
    assert.deepStrictEqual(allScores(factory, data, 'all', { seed: 4 }), allScores(factory, data, 'all', { seed: 4 }));
    assert.notDeepStrictEqual(allScores(factory, data, 'all', { seed: 4 }), allScores(factory, data, 'all', { seed: 5 }));
  });

  it('rejects unknown or invalid hyper-parameters', () => {
    assert.throws(() => mmgcnFactory(data, { seed: 1, params: { lamda: 1 } }), /unknown parameter 'lamda'/);
    assert.throws(() => mmgcnFactory(data, { seed: 1, params: { layers: 0 } }), /layers/);
    const two = new Mmgcn(data, { seed: 1, params: { layers: 2 } });
    assert.strictEqual(two.variables().length, 2 + 2 * (3 + 6 * 2));
    two.dispose();
  });

  it('trains: a short run on tiny beats its initial validation Recall@20', async () => {
    await assertShortRunImproves(factory(data, { seed: 7 }), data, 10, 2);
  });
});
