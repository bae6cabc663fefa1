/**
 * Full-ranking evaluation (docs/method.md, "Evaluation and metrics"). For each user with at least one target item,
 * score every item by the dot product of user and item representations, drop the user's train
 * items, keep the top max(ks) (ties: lower item id first), and report Recall@K, Precision@K and
 * NDCG@K ('standard' by default, or the CKD code's 'lattice' variant: metrics.ts) averaged over
 * those users. The ranking runs in a fused wasm kernel (kernels/rank.c) that never stores the
 * score matrix, on worker threads when there are several cores.
 */
export { evaluateRanking, evaluateRankingSync, metricsFromTopK, usersWithTargets } from './evaluate';
export type { EvaluationOptions, EvaluationResult, MetricByK, PerUserMetrics } from './evaluate';
export { MetricCalculator } from './metrics';
export type { NdcgVariant, UserMetricValues } from './metrics';
export type { RankingInput, TopKLists } from './ranking-input';
export { rankTopK } from './topk';
export type { ProgressFn } from './topk';
export { defaultThreads, rankTopKParallel } from './topk-parallel';
export { rankTopKReference, scoreF32 } from './topk-reference';
export { evaluateTensors, readEmbeddings } from './tensors';
export type { Embeddings } from './tensors';
export { popularityBaseline } from './popularity';
export { contentProfileBaseline } from './content-profile';
