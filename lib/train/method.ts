import * as tf from '@tensorflow/tfjs-core';
import { Dataset, UserItemLists } from '../data/dataset';
import { BprSampling } from '../data/samplers';
import { Rng } from '../engine/random';
import { Backbone, ModalityMask, TripleBatch } from '../models/backbone';
import { bprLoss, tripleScores } from './bpr';

/** What one training step optimises: the loss terms of a batch. */
export interface StepLoss {
  total: tf.Scalar;
  /** Named parts of the total, for the history (e.g. bpr, reg, kd). */
  terms: Record<string, tf.Scalar>;
}

export interface StepContext {
  model: Backbone;
  data: Dataset;
  /** The mask of the training mode: 'all' for a multimodal model, one modality for a uni-modal one. */
  mask: ModalityMask;
  epoch: number;
  step: number;
  rng: Rng;
}

/** What a method sees at the start of an epoch, before the epoch's batches are drawn. */
export interface EpochContext {
  model: Backbone;
  data: Dataset;
  mask: ModalityMask;
  epoch: number;
  /** A stream of its own (the trainer's stream forked by epoch), independent of the batches. */
  rng: Rng;
  /** The trainer's settings, for methods that run training of their own (GB's estimation). */
  lr: number;
  batchSize: number;
  sampling: BprSampling;
}

/**
 * A way of training a backbone (plain, teacher, CKD, GB, OGM). The trainer calls `loss` inside
 * the optimiser's gradient tape; a method may also adjust gradients (`transformGradients`).
 */
export interface TrainingMethod {
  readonly name: string;
  /**
   * The step's loss. A method that reads tensor values in the middle of its loss (CKD's
   * re-weighting, OGM-GE's modulation) reads them through lib/nn's withHostValues: the loss is
   * then ready at once where the backend reads synchronously (wasm, cpu), and a Promise where it
   * does not (webgpu), which the trainer awaits inside the tape. Nothing else may be pending.
   */
  loss(batch: TripleBatch, ctx: StepContext): StepLoss | Promise<StepLoss>;
  transformGradients?(grads: Record<string, tf.Tensor>, ctx: StepContext): Record<string, tf.Tensor>;
  /**
   * Whether the step's forward passes together reach (nearly) every item, as CKD's thousands of
   * universal triples do: the trainer then projects each modality's fixed features for all items
   * once per step and lets every pass gather from that (lib/nn/fixed-features.ts). Default false.
   */
  readsEveryItem?(batch: TripleBatch, ctx: StepContext): boolean;
  /**
   * Whether the step's forward passes may share what is the same in every pass (a late-fusion
   * backbone's kept branch: lib/nn/same-in-every-pass.ts). Default false: it changes float rounding.
   */
  reusesKeptBranches?(): boolean;
  /**
   * The interactions the trainer draws BPR batches from; default data.train. GB holds part of
   * the train interactions out to estimate its weights on.
   */
  readonly trainInteractions?: UserItemLists;
  /** Called at the start of every epoch, before its batches are drawn (GB re-estimates its weights). */
  beforeEpoch?(ctx: EpochContext): void | Promise<void>;
  /** Per-step diagnostics the method wants in the history (plain numbers only). */
  diagnostics?(): Record<string, number>;
  dispose?(): void;
}

/**
 * A loss that must be ready now: where host reads are synchronous (lib/nn's hostReadsSync) every
 * method's loss is; a pending one is refused.
 */
export function settled(l: StepLoss | Promise<StepLoss>, method = 'the training method'): StepLoss {
  if (l instanceof Promise) {
    l.catch(() => undefined);
    throw new Error(`${method}: the loss is pending where host reads are synchronous (a loss may wait only on withHostValues, lib/nn/host-values.ts)`);
  }
  return l;
}

/** The backbone alone: BPR plus the backbone's own regularisation, under the training mask. */
export const plainMethod = {
  name: 'plain',
  loss(batch: TripleBatch, ctx: StepContext): StepLoss {
    const { pos, neg, reps } = tripleScores(ctx.model, ctx.mask, batch, true);
    const bpr = bprLoss(pos, neg);
    const reg = ctx.model.regularization(batch, reps);
    return { total: tf.add(bpr, reg), terms: { bpr, reg } };
  },
} satisfies TrainingMethod;
