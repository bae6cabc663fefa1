import { Dataset } from '../data/dataset';
import { evaluateRanking, EvaluationResult } from './evaluate';

/**
 * The popularity baseline: every user gets the items with the most train interactions (their
 * own train items excluded). Written as a one-dimensional dot product (user 1, item count) so
 * it goes through the same full-ranking path as the models.
 */
export async function popularityBaseline(data: Dataset, split: 'val' | 'test', ks: number[]): Promise<EvaluationResult> {
  const counts = new Float32Array(data.numItems);
  for (const i of data.train.items) counts[i] += 1;
  return evaluateRanking({
    userEmb: new Float32Array(data.numUsers).fill(1), itemEmb: counts, dim: 1,
    exclude: data.train, targets: data[split], ks,
  });
}
