import * as tf from '@tensorflow/tfjs-core';
import { Dataset } from '../data/dataset';
import { evaluateRanking, EvaluationResult, readEmbeddings } from '../eval';
import { dropConstantItemColumns } from '../eval/constant-columns';
import { NdcgVariant } from '../eval/metrics';
import { Backbone, ModalityMask } from '../models/backbone';

export type { NdcgVariant };
export const NDCG_VARIANTS: readonly NdcgVariant[] = ['standard', 'lattice'];

export type MetricsByMask = Record<ModalityMask, EvaluationResult>;

/**
 * Full-ranking metrics of a backbone on the val or test split under each mask. Representations
 * are recomputed in inference mode (no cached training state); train items are excluded.
 */
export async function evaluateBackbone(
  model: Backbone, data: Dataset, split: 'val' | 'test', masks: readonly ModalityMask[],
  ks: number[], ndcg: NdcgVariant = 'standard', perUser = false,
): Promise<MetricsByMask> {
  const out = {} as MetricsByMask;
  for (const mask of masks) {
    const reps = model.forward(mask, {}, false);
    try {
      const emb = dropConstantItemColumns(await readEmbeddings(reps.users, reps.items));
      out[mask] = await evaluateRanking({ ...emb, exclude: data.train, targets: data[split], ks, ndcg, perUser });
    } finally {
      tf.dispose([reps.users, reps.items]);
    }
  }
  return out;
}
