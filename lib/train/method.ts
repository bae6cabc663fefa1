import * as tf from '@tensorflow/tfjs-core';
import { Dataset } from '../data/dataset';
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

/**
 * A way of training a backbone (plain, teacher, CKD, GB, OGM). The trainer calls `loss` inside
 * the optimiser's gradient tape; a method may also adjust gradients (`transformGradients`).
 */
export interface TrainingMethod {
  readonly name: string;
  loss(batch: TripleBatch, ctx: StepContext): StepLoss;
  transformGradients?(grads: Record<string, tf.Tensor>, ctx: StepContext): Record<string, tf.Tensor>;
  /** Per-step diagnostics the method wants in the history (plain numbers only). */
  diagnostics?(): Record<string, number>;
  dispose?(): void;
}

/** The backbone alone: BPR plus the backbone's own regularisation, under the training mask. */
export const plainMethod: TrainingMethod = {
  name: 'plain',
  loss(batch, ctx) {
    const { pos, neg, reps } = tripleScores(ctx.model, ctx.mask, batch, true);
    const bpr = bprLoss(pos, neg);
    const reg = ctx.model.regularization(batch, reps);
    return { total: tf.add(bpr, reg), terms: { bpr, reg } };
  },
};
