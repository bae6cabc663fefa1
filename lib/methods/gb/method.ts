/**
 * GB, Gradient Blending (Wang, Tran, Feiszli, CVPR 2020; no code from its authors), online
 * version, for any backbone through forward(mask) (docs/method.md, "Gradient Blending").
 *
 * Branches k: 'text' (visual ablated), 'visual' (text ablated), 'all'. L_k = mean BPR of the
 * student under branch k's mask. Between estimations the model trains on
 *   L = sum_k w_k L_k + L2,
 * with the backbone's L2 added once, from the multimodal forward (its strength as in plain
 * training). The weights come from the overfitting-to-generalisation ratio (ogr.ts).
 *
 * Schedule (our choice, the paper's Algorithm "online Gradient-Blending"): super-epochs of
 * `window` epochs (default 5). At the start of each super-epoch (epochs 1, 1 + window, ...), from
 * the current weights W0: for each branch k, restore W0, train on L_k alone (+ L2 of that
 * forward) with a fresh Adam at the trainer's learning rate for `estimateEpochs` epochs (default
 * = window, as in the paper; every branch sees the same batches), and measure L_T (fixed train
 * triples) and L_V (fixed held-out triples) at W0 and at the end; then restore W0 and train the
 * main model `window` epochs with the weights fixed. Estimation thus costs 3 x estimateEpochs
 * extra epochs per super-epoch; it is counted in the epoch's seconds.
 * Held-out data: about `holdout` (10%) of every user's train interactions, never a user's last
 * one, removed from training altogether (trainInteractions), the validation split untouched.
 * L_T is measured on up to `evalTriples` fixed triples of the remaining train interactions, L_V
 * on the held-out ones (up to the same number), negatives fixed and outside the full train list.
 * If no branch gets a positive weight (no held-out loss fell), the previous weights stay.
 * diagnostics(): w_text, w_visual, w_all in force during the epoch; `estimates` keeps every
 * estimation (losses, dG, dO, raw and normalised weights).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, UserItemLists } from '../../data/dataset';
import { TripleSampler } from '../../data/samplers';
import { CkdError } from '../../errors';
import { Rng } from '../../engine/random';
import { Backbone, ModalityMask, TripleBatch } from '../../models/backbone';
import { bprLoss, tripleScores } from '../../train/bpr';
import { adam } from '../../train/adam';
import { leanVariableGrads } from '../../train/lean-gradients';
import { EpochContext, StepContext, StepLoss, TrainingMethod } from '../../train/method';
import { WeightsSnapshot } from '../../train/weights-snapshot';
import { readScalars } from '../../nn/host-values';
import { batchTriples, tripleMargins } from '../margins';
import { fixedTriples, holdOutInteractions } from './holdout';
import { OGR_EPS, OgrEstimate, normaliseWeights, ogrWeight } from './ogr';
import { ValuesOf, defaultsOf, int, num, resolveOptions } from '../../options/spec';

/**
 * GB's three branches are the model under the three masks (one vocabulary: ModalityMask), estimated
 * in this order (the order fixes which random draws each estimate takes).
 */
export const GB_BRANCHES: readonly ModalityMask[] = ['text', 'visual', 'all'];

/** GB's options, declared once (lib/options/spec.ts): type, defaults, checks, CLI flags and help. */
export const GB_OPTION_SPECS = {
  window: int(5, 'super-epoch length (epochs between weight estimations)', { min: 1 }),
  estimateEpochs: int(5, 'epochs each branch trains per estimation', { min: 1 }),
  holdout: num(0.1, 'fraction of train interactions held out for the OGR', { min: 0, max: 1, minOpen: true, maxOpen: true }),
  evalTriples: int(20000, 'fixed triples for the train and held-out losses (at most)', { min: 1 }),
  seed: int(1, 'seed of the held-out split and the fixed triples'),
  eps: num(OGR_EPS, 'floor of dO^2', { min: 0, minOpen: true }),
} as const;

export type GbOptions = ValuesOf<typeof GB_OPTION_SPECS>;

export const GB_DEFAULTS: Readonly<GbOptions> = defaultsOf(GB_OPTION_SPECS);

export function gbOptions(o: Partial<GbOptions> = {}): GbOptions {
  return resolveOptions('GB option', GB_OPTION_SPECS, o);
}

export interface GbEstimate {
  epoch: number;
  branches: Record<ModalityMask, OgrEstimate>;
  /** The weights used from this epoch on. */
  weights: Record<ModalityMask, number>;
  /** True when no branch had a positive weight and the previous weights were kept. */
  degenerate: boolean;
}

export class GradientBlendingMethod implements TrainingMethod {
  readonly name = 'gb';
  readonly options: GbOptions;
  readonly trainInteractions: UserItemLists;
  readonly heldOut: UserItemLists;
  readonly estimates: GbEstimate[] = [];
  private weights: Record<ModalityMask, number> = { text: 1 / 3, visual: 1 / 3, all: 1 / 3 };
  private readonly data: Dataset;
  private readonly trainTriples: TripleBatch;
  private readonly heldOutTriples: TripleBatch;

  constructor(_model: Backbone, data: Dataset, options: Partial<GbOptions> = {}) {
    this.options = gbOptions(options);
    this.data = data;
    const rng = new Rng(this.options.seed).fork('gb');
    const split = holdOutInteractions(data.train, this.options.holdout, rng.fork('holdout'));
    if (split.heldOut.items.length === 0) throw new CkdError('GB: the held-out part of the train interactions is empty (too few interactions per user)');
    this.trainInteractions = split.train;
    this.heldOut = split.heldOut;
    this.trainTriples = fixedTriples(split.train, data.train, data.numItems, this.options.evalTriples, rng.fork('triples:train'));
    this.heldOutTriples = fixedTriples(split.heldOut, data.train, data.numItems, this.options.evalTriples, rng.fork('triples:held-out'));
  }

  /** The weights in force. */
  get currentWeights(): Record<ModalityMask, number> { return { ...this.weights }; }

  async beforeEpoch(ctx: EpochContext): Promise<void> {
    if ((ctx.epoch - 1) % this.options.window === 0) await this.estimate(ctx);
  }

  /** One estimation from the model's current weights; sets and returns the new weights. */
  async estimate(ctx: EpochContext): Promise<GbEstimate> {
    const vars = ctx.model.variables();
    const start = new WeightsSnapshot();
    start.capture(vars);
    const sampler = new TripleSampler(this.trainInteractions, this.data.numItems);
    const branches = {} as Record<ModalityMask, OgrEstimate>;
    try {
      for (const k of GB_BRANCHES) {
        start.restore(vars);
        const before = await this.measure(ctx.model, k);
        const optimizer: tf.Optimizer = adam(ctx.lr);
        try {
          for (let e = 1; e <= this.options.estimateEpochs; e++) {
            for (const batch of sampler.epoch(ctx.batchSize, ctx.rng.fork(`estimate:${e}`), ctx.sampling)) {
              const { value, grads } = leanVariableGrads(() => branchLoss(ctx.model, k, batch, true), vars);
              optimizer.applyGradients(grads);
              tf.dispose([value, ...Object.values(grads)]);
            }
          }
        } finally {
          optimizer.dispose();
        }
        const after = await this.measure(ctx.model, k);
        branches[k] = ogrWeight({ trainStart: before.train, valStart: before.val, trainEnd: after.train, valEnd: after.val }, this.options.eps);
      }
      start.restore(vars);
    } finally {
      start.dispose();
    }
    const raw = { text: branches.text.raw, visual: branches.visual.raw, all: branches.all.raw };
    const normalised = normaliseWeights(raw);
    if (normalised) this.weights = normalised;
    const record: GbEstimate = { epoch: ctx.epoch, branches, weights: { ...this.weights }, degenerate: normalised === null };
    this.estimates.push(record);
    return record;
  }

  /** Branch k's mean BPR on the fixed train and held-out triples (inference mode), read asynchronously. */
  async measure(model: Backbone, k: ModalityMask): Promise<{ train: number; val: number }> {
    const means = tf.tidy(() => {
      const [t, v] = tripleMargins(model, this.data, k, [batchTriples(this.trainTriples), batchTriples(this.heldOutTriples)], false);
      return { train: tf.mean(tf.softplus(tf.neg(t))), val: tf.mean(tf.softplus(tf.neg(v))) };
    });
    try {
      const { train, val } = await readScalars(means);
      return { train, val };
    } finally {
      tf.dispose(Object.values(means));
    }
  }

  loss(batch: TripleBatch, ctx: StepContext): StepLoss {
    if (ctx.mask !== 'all') throw new CkdError(`GB trains a multimodal model (mode multimodal), not a ${ctx.mask}-only model`);
    const terms: Record<string, tf.Scalar> = {};
    let total: tf.Scalar = tf.scalar(0);
    for (const k of GB_BRANCHES) {
      const { pos, neg, reps } = tripleScores(ctx.model, k, batch, true);
      const l = bprLoss(pos, neg);
      terms[`bpr_${k}`] = l;
      total = tf.add(total, tf.mul(l, this.weights[k]));
      if (k === 'all') {
        terms.bpr = l;
        terms.reg = ctx.model.regularization(batch, reps);
        total = tf.add(total, terms.reg);
      }
    }
    return { total, terms };
  }

  /**
   * State for training checkpoints (lib/train/checkpoint.ts, CheckpointableMethod, matched by
   * shape): the weights in force and the estimates so far. The held-out split and the fixed
   * triples are rebuilt from the seed.
   */
  checkpointState(): { weights: Record<ModalityMask, number>; estimates: GbEstimate[] } {
    return { weights: { ...this.weights }, estimates: structuredClone(this.estimates) };
  }

  restoreCheckpointState(state: unknown): void {
    const s = state as { weights?: Record<string, unknown>; estimates?: unknown };
    const w = s?.weights;
    if (!w || !GB_BRANCHES.every(k => typeof w[k] === 'number') || !Array.isArray(s.estimates)) {
      throw new CkdError('GB: the checkpoint does not hold Gradient Blending state (weights per branch and estimates)');
    }
    this.weights = { text: w.text as number, visual: w.visual as number, all: w.all as number };
    this.estimates.splice(0, this.estimates.length, ...(s.estimates as GbEstimate[]));
  }

  diagnostics(): Record<string, number> {
    return { w_text: this.weights.text, w_visual: this.weights.visual, w_all: this.weights.all };
  }

  dispose(): void {}
}

/** BPR of one branch plus the backbone's L2 on that forward: what an estimation copy trains on. */
export function branchLoss(model: Backbone, mask: ModalityMask, batch: TripleBatch, training: boolean): tf.Scalar {
  const { pos, neg, reps } = tripleScores(model, mask, batch, training);
  return tf.add(bprLoss(pos, neg), model.regularization(batch, reps)) as tf.Scalar;
}
