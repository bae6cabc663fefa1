/**
 * Mean ablation (docs/method.md, "Modality ablation"): a forward pass whose mask drops modality m
 * replaces m's item features by their item mean and the user preferences tied to m by their user
 * mean. The model stays in distribution, and no item and no user can be told apart through m any
 * more: under mask 'text' the outputs do not depend on which item has which visual features, only
 * on their mean (test/models-ablation.test.ts checks this bit for bit for every backbone).
 *
 *   itemFeatures(mask, m, F, (W, b))     F[i] W + b for each item i;    dropped: mean(F) W + b
 *   userPreferences(mask, m, P)          P[u] for each user u;          dropped: mean_u P[u]
 *   meanItemFeatures / meanRow           the dropped values themselves (one row), for models that
 *                                        broadcast the mean or average something else (EgoGCN's
 *                                        normalised preferences, DeepStyle's style term)
 *
 * What else a model must average so that nothing leaks (GRCN's confidence column, MGCN's kNN
 * graph, DeepStyle's category term) its own header says.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Modality } from '../data/dataset';
import { FixedFeatures } from '../nn/fixed-features';
import { gatherRows, repeatRow } from '../nn/rows';
import { ModalityMask, keeps } from './backbone';

/** A trained linear layer over fixed features: W (in x out), b (none when null). */
export interface Projection {
  w: tf.Tensor2D;
  b: tf.Tensor1D | null;
}

/**
 * Modality m's projected item features for the requested items (all when omitted): F[i] W + b,
 * or, when the mask drops m, mean(F) W + b in every row. `encode`, a row-wise map (an activation,
 * a normalisation), is applied to every row: to the one mean row before it is repeated.
 */
export function itemFeatures(
  mask: ModalityMask, m: Modality, features: FixedFeatures, proj: Projection, items?: Int32Array,
  encode: (x: tf.Tensor2D) => tf.Tensor2D = x => x,
): tf.Tensor2D {
  if (keeps(mask, m)) return encode(features.project(proj.w, proj.b, items));
  return repeatRow(encode(features.projectMean(proj.w, proj.b)), items ? items.length : features.rows);
}

/** All items' projected features of m, or, when the mask drops m, the one row mean(F) W + b (the caller broadcasts it). */
export function itemFeaturesOrMean(mask: ModalityMask, m: Modality, features: FixedFeatures, proj: Projection): tf.Tensor2D {
  return keeps(mask, m) ? features.project(proj.w, proj.b) : features.projectMean(proj.w, proj.b);
}

/** The user preference table P tied to m, rows `users` (all when omitted), or its mean row in every row when the mask drops m. */
export function userPreferences(mask: ModalityMask, m: Modality, P: tf.Tensor2D, users?: Int32Array): tf.Tensor2D {
  if (keeps(mask, m)) return users ? gatherRows(P, users) : P;
  return repeatRow(meanRow(P), users ? users.length : P.shape[0]);
}

/** The mean row (1 x d) of a table: what a dropped modality's rows become. */
export function meanRow(t: tf.Tensor2D): tf.Tensor2D {
  return tf.mean(t, 0, true) as tf.Tensor2D;
}
