import * as tf from '@tensorflow/tfjs-core';
import { Dataset, Modality } from '../data/dataset';

/**
 * Which modalities a forward pass keeps. 'text' keeps text only (visual ablated), 'visual'
 * keeps visual only. Ablation replaces the ablated modality's item features, and the user
 * preferences tied to it, by their means (docs/method.md, "Modality ablation"), so the model stays in distribution.
 */
export type ModalityMask = 'all' | 'text' | 'visual';
export const MASKS: readonly ModalityMask[] = ['all', 'text', 'visual'];

/** How a model is trained: the mask used during training. */
export type TrainMode = 'multimodal' | 'text-only' | 'visual-only';
export const TRAIN_MODES: readonly TrainMode[] = ['multimodal', 'text-only', 'visual-only'];
export function maskOfMode(mode: TrainMode): ModalityMask {
  return mode === 'multimodal' ? 'all' : mode === 'text-only' ? 'text' : 'visual';
}

/** True when the mask keeps modality m. */
export function keeps(mask: ModalityMask, m: Modality): boolean {
  return mask === 'all' || mask === m;
}

/** Rows a forward pass must produce; omitted = all users / all items. */
export interface RowRequest {
  users?: Int32Array;
  items?: Int32Array;
}

/** Final user and item representations; the score of (u, i) is their dot product. */
export interface Representations {
  users: tf.Tensor2D;
  items: tf.Tensor2D;
  /**
   * Intermediate tensors a model's own loss terms need (e.g. MGCN's views for its contrastive
   * term), produced by the same forward pass. Owned and disposed together with users/items.
   */
  aux?: Record<string, tf.Tensor>;
}

/** A BPR batch: user u prefers pos over neg. */
export interface TripleBatch {
  users: Int32Array;
  pos: Int32Array;
  neg: Int32Array;
}

export interface ParameterGroups {
  shared: tf.Variable[];
  visual: tf.Variable[];
  text: tf.Variable[];
}

export interface BackboneOptions {
  /** Embedding size (64 in the paper for every backbone). */
  dim?: number;
  seed: number;
  /** Model-specific hyper-parameters by name (each model documents and defaults its own). */
  params?: Record<string, number>;
}

/** The interface every backbone offers; CKD, GB, OGM and the pilot study only use this. */
export interface Backbone {
  readonly name: string;
  /** Width of the final representations. */
  readonly outDim: number;
  readonly groups: ParameterGroups;
  /** All trainable variables (the union of the groups). */
  variables(): tf.Variable[];
  /** Representations of the requested rows under the mask. Caller owns (or tidies) the result. */
  forward(mask: ModalityMask, rows?: RowRequest, training?: boolean): Representations;
  /**
   * The model's own loss terms beyond BPR for a batch, given the representations of the batch
   * (users; items = pos then neg, stacked), as its reference code defines them: L2 and, where
   * the model has one, its auxiliary loss (added to BPR as is).
   */
  regularization(batch: TripleBatch, reps: Representations): tf.Scalar;
  dispose(): void;
}

export type BackboneFactory = (data: Dataset, opts: BackboneOptions) => Backbone;

export function allVariables(groups: ParameterGroups): tf.Variable[] {
  return [...groups.shared, ...groups.visual, ...groups.text];
}
