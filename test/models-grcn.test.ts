import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, Modality } from '../lib/data/dataset';
import { initEngine } from '../lib/engine/backend';
import { BackboneFactory, ModalityMask, TripleBatch } from '../lib/models/backbone';
import { Grcn, grcnFactory } from '../lib/models/grcn';
import { synthesizeDataset } from '../lib/synth/synthesize';
import {
  allScores, assertAblationIgnoresModality, assertGradientsReachGroups, assertMatchesDense, assertNoTensorLeaks, assertRequestedRowsMatch,
  assertShortRunImproves, denseAdjacency, featureTensor, lossGrads,
} from './model-fixtures';

const factory: BackboneFactory = grcnFactory;
const OUT_DIM = 192;

/** GRCN's equations (docs/backbones.md, section GRCN) with dense tfjs ops, from the model's variables. */
function denseGrcn(model: Grcn, data: Dataset, mask: ModalityMask): tf.Tensor2D {
  const p = model as unknown as {
    idEmb: tf.Tensor2D; pref: Record<Modality, tf.Tensor2D>; proj: Record<Modality, { w: tf.Tensor2D; b: tf.Tensor1D }>;
    conf: Record<Modality, tf.Tensor2D>;
  };
  return tf.tidy(() => {
    const adj = denseAdjacency(data); // adj[i][j] = 1: edge j -> i
    const norm = (x: tf.Tensor2D) => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D;
    const content: tf.Tensor2D[] = [];
    const scores: tf.Tensor2D[] = [];
    for (const m of ['visual', 'text'] as const) {
      const ablate = mask !== 'all' && mask !== m;
      const pref = ablate ? tf.add(tf.zeros(p.pref[m].shape), tf.mean(p.pref[m], 0, true)) as tf.Tensor2D : p.pref[m];
      const feat = tf.leakyRelu(tf.add(tf.matMul(featureTensor(data, m, ablate), p.proj[m].w), p.proj[m].b), 0.01) as tf.Tensor2D;
      const h = tf.concat([norm(pref), norm(feat)], 0);
      // Softmax over each row's edges (in-edges of the row's node); rows without edges stay 0.
      const logits = tf.matMul(h, h, false, true);
      const ex = tf.mul(tf.exp(tf.sub(logits, tf.max(logits, 1, true))), adj);
      const alpha = tf.div(ex, tf.maximum(tf.sum(ex, 1, true), 1e-30)) as tf.Tensor2D;
      content.push(tf.add(h, tf.matMul(alpha, h)) as tf.Tensor2D);
      const conf = ablate ? tf.mean(p.conf[m]) : tf.reshape(p.conf[m], [1, -1]); // by source j (column)
      scores.push(tf.mul(alpha, conf) as tf.Tensor2D);
    }
    const w = tf.mul(tf.relu(tf.maximum(scores[0], scores[1])), adj) as tf.Tensor2D;
    const x = norm(p.idEmb);
    const h1 = tf.matMul(w, x);
    const h2 = tf.matMul(w, h1);
    return tf.concat([tf.add(tf.add(x, h1), h2), ...content], 1) as tf.Tensor2D;
  });
}

const BATCH: TripleBatch = { users: Int32Array.of(0, 1, 2, 3, 7), pos: Int32Array.of(1, 2, 3, 4, 0), neg: Int32Array.of(9, 8, 7, 6, 5) };

describe('GRCN', () => {
  let data: Dataset;
  before(async () => {
    await initEngine({ quiet: true });
    data = synthesizeDataset('tiny', 2);
  });

  it('equals a dense re-computation of its equations, under every mask', () => {
    const model = new Grcn(data, { seed: 1 });
    assertMatchesDense(model, mask => denseGrcn(model, data, mask));
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
    const model = new Grcn(data, { seed: 1 });
    // E_id; per modality W, b, P, confidence column.
    assert.strictEqual(model.variables().length, 1 + 2 * 4);
    const { value, grads } = lossGrads(model, data, BATCH);
    assert.ok(Number.isFinite(value.dataSync()[0]));
    assertGradientsReachGroups(model, grads);
    tf.dispose([value, ...Object.values(grads)]);
    // Text-only forward: the visual confidence column enters through its mean only (equal gradient
    // in every row); the visual preference table through its mean plus the L2 term on the batch rows.
    const t = lossGrads(model, data, BATCH, 'text');
    const [, , , confV] = model.groups.visual;
    const gc = t.grads[confV.name];
    const spread = tf.tidy(() => tf.max(tf.abs(tf.sub(gc, tf.mean(gc, 0, true)))).dataSync()[0]);
    assert.ok(spread < 1e-9, `ablated confidence rows get different gradients (${spread})`);
    tf.dispose([t.value, ...Object.values(t.grads)]);
    model.dispose();
  });

  it('an ablated content block is one constant row for every node with edges', () => {
    const model = new Grcn(data, { seed: 1 });
    const hasEdges = (u: number) => data.train.indptr[u + 1] > data.train.indptr[u];
    const itemSeen = new Uint8Array(data.numItems);
    for (const i of data.train.items) itemSeen[i] = 1;
    for (const [mask, block] of [['text', 1], ['visual', 2]] as const) {
      const r = model.forward(mask);
      const users = tf.slice(r.users, [0, 64 * block], [-1, 64]).arraySync() as number[][];
      const items = tf.slice(r.items, [0, 64 * block], [-1, 64]).arraySync() as number[][];
      const rows = [...users.filter((_, u) => hasEdges(u)), ...items.filter((_, i) => itemSeen[i])];
      assert.ok(rows.length > data.numUsers / 2);
      for (const row of rows) row.forEach((x, c) => assert.ok(Math.abs(x - rows[0][c]) < 1e-5, `${mask}: ${x} vs ${rows[0][c]}`));
      tf.dispose([r.users, r.items]);
    }
    model.dispose();
  });

  it('leaks no tensors in forward, forward+backward, and dispose', () => {
    assertNoTensorLeaks(() => new Grcn(data, { seed: 1 }), data, BATCH);
  });

  it('is deterministic in the seed', () => {
    assert.deepStrictEqual(allScores(factory, data, 'all', { seed: 4 }), allScores(factory, data, 'all', { seed: 4 }));
    assert.notDeepStrictEqual(allScores(factory, data, 'all', { seed: 4 }), allScores(factory, data, 'all', { seed: 5 }));
  });

  it('rejects unknown or invalid hyper-parameters', () => {
    assert.throws(() => grcnFactory(data, { seed: 1, params: { layers: 1 } }), /unknown parameter 'layers'/);
    assert.throws(() => grcnFactory(data, { seed: 1, params: { lambda: -1 } }), /lambda/);
  });

  it('trains: a short run on tiny beats its initial validation Recall@20', async () => {
    await assertShortRunImproves(factory(data, { seed: 7 }), data, 10, 2);
  });
});
