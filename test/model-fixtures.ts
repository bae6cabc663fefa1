/**
 * Helpers shared by the backbone tests (test/models-*.test.ts): shuffled feature rows, all-pairs
 * scores, BPR loss gradients, tensor-count and gradient checks, short training runs, and small
 * plain-array / dense re-computation utilities.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, FeatureMatrix, Modality } from '../lib/data/dataset';
import { Rng } from '../lib/engine/random';
import { Backbone, BackboneFactory, BackboneOptions, MASKS, ModalityMask, TripleBatch } from '../lib/models/backbone';
import { plainMethod } from '../lib/train/method';
import { trainModel } from '../lib/train/trainer';
import { evaluateBackbone } from '../lib/train/validate';

/** The feature matrix with its rows permuted by a seeded shuffle. */
export function shuffledRows(f: FeatureMatrix, seed: number): FeatureMatrix {
  const order = new Rng(seed).shuffle(Int32Array.from({ length: f.rows }, (_, k) => k));
  const data = new Float32Array(f.data.length);
  order.forEach((src, dst) => data.set(f.data.subarray(src * f.cols, (src + 1) * f.cols), dst * f.cols));
  return { ...f, data };
}

/** The data set with modality m's feature rows shuffled (seed 11). */
export function withShuffled(data: Dataset, m: Modality): Dataset {
  return { ...data, features: { ...data.features, [m]: shuffledRows(data.features[m], 11) } };
}

/** Every user-item score of a freshly built model (inference forward), row-major users x items. */
export function allScores(factory: BackboneFactory, data: Dataset, mask: ModalityMask, opts: BackboneOptions = { seed: 3 }): Float32Array {
  const model = factory(data, opts);
  const reps = model.forward(mask, {}, false);
  const scores = tf.tidy(() => tf.matMul(reps.users, reps.items, false, true).dataSync() as Float32Array);
  tf.dispose([reps.users, reps.items]);
  model.dispose();
  return scores;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.strictEqual(a.length, b.length);
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k] - b[k]));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]));
  return m;
}

/** The value and per-variable gradients of the plain BPR loss on one batch. */
export function lossGrads(model: Backbone, data: Dataset, batch: TripleBatch, mask: ModalityMask = 'all') {
  const ctx = { model, data, mask, epoch: 1, step: 0, rng: new Rng(1) };
  return tf.variableGrads(() => plainMethod.loss(batch, ctx).total, model.variables());
}

/**
 * A fresh model's BPR loss on `batch` is finite, its gradient reaches every variable of every
 * group (none empty), and its variables have unique names; the model is disposed.
 */
export function assertBprGradientsReachEveryVariable(model: Backbone, data: Dataset, batch: TripleBatch): void {
  try {
    const { value, grads } = lossGrads(model, data, batch);
    try {
      assert.ok(Number.isFinite(value.dataSync()[0]));
      assertGradientsReachGroups(model, grads, true);
      assert.strictEqual(model.variables().length, new Set(model.variables().map(v => v.name)).size);
    } finally {
      tf.dispose([value, ...Object.values(grads)]);
    }
  } finally {
    model.dispose();
  }
}

/**
 * Every variable of the shared, visual and text groups has a nonzero, finite gradient;
 * with nonEmpty, each group must also hold at least one variable.
 */
export function assertGradientsReachGroups(model: Backbone, grads: tf.NamedTensorMap, nonEmpty = false): void {
  for (const group of ['shared', 'visual', 'text'] as const) {
    if (nonEmpty) assert.ok(model.groups[group].length > 0);
    for (const v of model.groups[group]) {
      const g = grads[v.name];
      assert.ok(g, `no gradient for a ${group} variable of shape ${v.shape}`);
      const norm = tf.tidy(() => tf.norm(g).dataSync()[0]);
      assert.ok(norm > 0 && Number.isFinite(norm), `gradient norm ${norm} for a ${group} variable of shape ${v.shape}`);
    }
  }
}

/** Moves the parameters away from their initial values so that every term matters. */
export function perturbVariables(model: Backbone): void {
  for (const v of model.variables()) v.assign(tf.tidy(() => tf.add(v, tf.mul(tf.sin(tf.mul(tf.reshape(tf.range(0, v.size), v.shape), 1.7)), 0.3))));
}

/**
 * The gradient of the BPR loss agrees with central finite differences along each variable's
 * gradient direction, under masks 'all' and 'text'; at least 4 variables are checked per mask.
 */
export function assertGradientsMatchFiniteDifferences(model: Backbone, data: Dataset, batch: TripleBatch): void {
  for (const mask of ['all', 'text'] as const) {
    const ctx = { model, data, mask, epoch: 1, step: 0, rng: new Rng(1) };
    const loss = () => tf.tidy(() => plainMethod.loss(batch, ctx).total.dataSync()[0]);
    const { value, grads } = tf.variableGrads(() => plainMethod.loss(batch, ctx).total, model.variables());
    let checked = 0;
    for (const v of model.variables()) {
      const norm = tf.tidy(() => tf.norm(grads[v.name]).dataSync()[0]);
      if (norm < 2e-3) continue; // below what float32 differences resolve
      checked++;
      const orig = v.clone();
      const eps = 1e-2;
      const step = tf.tidy(() => tf.mul(grads[v.name], eps / norm));
      v.assign(tf.tidy(() => tf.add(orig, step)));
      const up = loss();
      v.assign(tf.tidy(() => tf.sub(orig, step)));
      const down = loss();
      v.assign(orig);
      tf.dispose([orig, step]);
      const numeric = (up - down) / (2 * eps);
      assert.ok(Math.abs(numeric - norm) < 0.03 * norm, `mask ${mask}, variable ${v.shape}: |g| ${norm}, finite difference ${numeric}`);
    }
    assert.ok(checked >= 4, `only ${checked} variables checked under mask ${mask}`);
    tf.dispose([value, ...Object.values(grads)]);
  }
}

/**
 * Builds a model, warms it up with one backward pass (the fixed-feature layers keep their
 * transposed features after the first one), then checks that forward and forward+backward under
 * every mask leave the tensor count unchanged, and that dispose returns it to where it started.
 */
export function assertNoTensorLeaks(build: () => Backbone, data: Dataset, batch: TripleBatch): void {
  const before = tf.memory().numTensors;
  const model = build();
  const w = lossGrads(model, data, batch);
  tf.dispose([w.value, ...Object.values(w.grads)]);
  const steady = tf.memory().numTensors;
  for (const mask of MASKS) {
    const r = model.forward(mask);
    tf.dispose([r.users, r.items]);
    assert.strictEqual(tf.memory().numTensors, steady, `forward under ${mask}`);
    const g = lossGrads(model, data, batch, mask);
    tf.dispose([g.value, ...Object.values(g.grads)]);
    assert.strictEqual(tf.memory().numTensors, steady, `forward+backward under ${mask}`);
  }
  model.dispose();
  assert.strictEqual(tf.memory().numTensors, before, 'tensors left after dispose');
}

/** Full and requested-row forwards have the expected shapes, and requested rows equal the full pass. */
export function assertRequestedRowsMatch(model: Backbone, data: Dataset, outDim: number): void {
  assert.strictEqual(model.outDim, outDim);
  for (const mask of MASKS) {
    const all = model.forward(mask);
    assert.deepStrictEqual(all.users.shape, [data.numUsers, outDim]);
    assert.deepStrictEqual(all.items.shape, [data.numItems, outDim]);
    const users = Int32Array.of(3, 1, data.numUsers - 1);
    const items = Int32Array.of(0, 5, 5, data.numItems - 1);
    const some = model.forward(mask, { users, items }, true);
    assert.deepStrictEqual(some.users.shape, [3, outDim]);
    assert.deepStrictEqual(some.items.shape, [4, outDim]);
    const [fu, fi, su, si] = [all.users, all.items, some.users, some.items].map(t => t.arraySync() as number[][]);
    users.forEach((u, k) => assert.deepStrictEqual(su[k], fu[u]));
    items.forEach((i, k) => assert.deepStrictEqual(si[k], fi[i]));
    const onlyUsers = model.forward(mask, { users });
    assert.deepStrictEqual(onlyUsers.items.shape, [data.numItems, outDim]);
    tf.dispose([all.users, all.items, some.users, some.items, onlyUsers.users, onlyUsers.items]);
  }
}

/**
 * Under masks 'text' and 'visual', shuffling the ablated modality's features leaves every score
 * unchanged (up to the summation order of the mean), while the full model and the channel that
 * keeps the modality see them, and the masks differ from each other.
 */
export function assertAblationIgnoresModality(factory: BackboneFactory, data: Dataset): void {
  const scores = (d: Dataset, mask: ModalityMask) => allScores(factory, d, mask);
  const ref = { text: scores(data, 'text'), visual: scores(data, 'visual'), all: scores(data, 'all') };
  // Mask 'text' ablates visual; mask 'visual' ablates text.
  const tol = 1e-5 * maxAbs(ref.all);
  assert.ok(maxAbsDiff(scores(withShuffled(data, 'visual'), 'text'), ref.text) <= tol);
  assert.ok(maxAbsDiff(scores(withShuffled(data, 'text'), 'visual'), ref.visual) <= tol);
  assert.ok(maxAbsDiff(scores(withShuffled(data, 'visual'), 'all'), ref.all) > 1e-3 * maxAbs(ref.all));
  assert.ok(maxAbsDiff(scores(withShuffled(data, 'text'), 'text'), ref.text) > 1e-3 * maxAbs(ref.all));
  assert.ok(maxAbsDiff(ref.text, ref.visual) > 1e-3 * maxAbs(ref.all));
}

/** A short multimodal run on the data beats the model's initial validation Recall@20 and lowers the loss. */
export async function assertShortRunImproves(model: Backbone, data: Dataset, epochs: number, evalEvery: number): Promise<void> {
  try {
    const initial = (await evaluateBackbone(model, data, 'val', ['all'], [20])).all.recall[20];
    const r = await trainModel(model, data, { mode: 'multimodal', seed: 7, epochs, lr: 5e-3, batchSize: 128, evalEvery, patience: 10 });
    assert.ok(r.bestValRecall > initial, `val recall@20 ${initial} -> best ${r.bestValRecall}`);
    const losses = r.history.map(h => h.loss.total);
    assert.ok(losses[losses.length - 1] < losses[0], `loss ${losses[0]} -> ${losses[losses.length - 1]}`);
  } finally {
    model.dispose();
  }
}

// ---- dense tfjs re-computations ---------------------------------------------------------------

/** Under every mask, the model's forward equals a dense re-computation within 1e-4 (relative to max(1, |ref|)). */
export function assertMatchesDense(model: Backbone, dense: (mask: ModalityMask) => tf.Tensor2D): void {
  for (const mask of MASKS) {
    const r = model.forward(mask);
    const ours = tf.concat([r.users, r.items], 0);
    const ref = dense(mask);
    const diff = maxAbsDiff(ours.dataSync() as Float32Array, ref.dataSync() as Float32Array);
    assert.ok(diff < 1e-4 * Math.max(1, maxAbs(ref.dataSync() as Float32Array)), `${mask}: max difference ${diff}`);
    tf.dispose([r.users, r.items, ours, ref]);
  }
}

/** The user-item train adjacency as a dense (U+I) x (U+I) 0/1 matrix, users then items. */
export function denseAdjacency(data: Dataset): tf.Tensor2D {
  const n = data.numUsers + data.numItems;
  const a = new Float32Array(n * n);
  for (let u = 0; u < data.numUsers; u++) {
    for (let k = data.train.indptr[u]; k < data.train.indptr[u + 1]; k++) {
      const i = data.numUsers + data.train.items[k];
      a[u * n + i] = 1;
      a[i * n + u] = 1;
    }
  }
  return tf.tensor2d(a, [n, n]);
}

/** Modality m's features as a tensor; ablated: every row replaced by the mean row. */
export function featureTensor(data: Dataset, m: Modality, ablate: boolean): tf.Tensor2D {
  const f = tf.tensor2d(data.features[m].data, [data.features[m].rows, data.features[m].cols]);
  return ablate ? tf.add(tf.zeros(f.shape), tf.mean(f, 0, true)) : f;
}

// ---- plain-array re-computations --------------------------------------------------------------

export type Mat = number[][];
export const matmul = (a: Mat, b: Mat): Mat => a.map(r => b[0].map((_, c) => r.reduce((s, x, k) => s + x * b[k][c], 0)));
export const addBias = (a: Mat, b: number[]): Mat => a.map(r => r.map((x, c) => x + b[c]));
export const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
