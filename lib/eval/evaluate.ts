import { UserItemLists } from '../data/dataset';
import { CkdError } from '../errors';
import { MetricCalculator, NdcgVariant, UserMetricValues } from './metrics';
import { checkLists, checkRankingInput, numItemsOf, numUsersOf, RankingInput, TopKLists } from './ranking-input';
import { ProgressFn, rankTopK } from './topk';
import { rankTopKParallel } from './topk-parallel';

export interface EvaluationOptions extends RankingInput {
  /** Per user, the held-out items to find (val or test split). */
  targets: UserItemLists;
  /** Cut-offs, e.g. [10, 20]; one top-max(ks) list serves them all. */
  ks: number[];
  /** 'standard' (default) or 'lattice', the CKD code's inflated variant: see metrics.ts. */
  ndcg?: NdcgVariant;
  /** Evaluate only these users (still only those with targets); default all. */
  users?: Int32Array;
  /** Also return each user's top list and metric values (for paired significance tests). */
  perUser?: boolean;
  /** Worker threads for ranking (evaluateRanking only); default one per core. */
  threads?: number;
  onProgress?: ProgressFn;
}

export type MetricByK = Record<number, number>;

export interface PerUserMetrics {
  /** The evaluated users; row r of every array below belongs to users[r]. */
  users: Int32Array;
  recall: Record<number, Float64Array>;
  precision: Record<number, Float64Array>;
  ndcg: Record<number, Float64Array>;
  /** Their top-max(ks) lists (absent when the metrics were read back from a stored record). */
  top?: TopKLists;
}

export interface EvaluationResult {
  ks: number[];
  ndcgVariant: NdcgVariant;
  /** Users averaged over: those with at least one target (in `users`, when given). NaN metrics when 0. */
  users: number;
  recall: MetricByK;
  precision: MetricByK;
  ndcg: MetricByK;
  perUser?: PerUserMetrics;
}

/** Full-ranking Recall / Precision / NDCG at each K, averaged over users with targets. */
export async function evaluateRanking(options: EvaluationOptions): Promise<EvaluationResult> {
  const { users, maxK } = prepare(options);
  const top = await rankTopKParallel(options, users, maxK, { threads: options.threads, onProgress: options.onProgress });
  return metricsFromTopK(top, options.targets, options.ks, options.ndcg ?? 'standard', options.perUser ?? false);
}

/** evaluateRanking on the calling thread, synchronously (`threads` is ignored). */
export function evaluateRankingSync(options: EvaluationOptions): EvaluationResult {
  const { users, maxK } = prepare(options);
  const top = rankTopK(options, users, maxK, options.onProgress);
  return metricsFromTopK(top, options.targets, options.ks, options.ndcg ?? 'standard', options.perUser ?? false);
}

/** Metrics from top lists already computed (rows for top.users, at least max(ks) long). */
export function metricsFromTopK(
  top: TopKLists, targets: UserItemLists, ks: number[], variant: NdcgVariant, perUser: boolean,
): EvaluationResult {
  checkKs(ks);
  const calc = new MetricCalculator(ks, variant);
  if (top.k < calc.maxK) throw new CkdError(`evaluation: top lists hold ${top.k} items, max(ks) is ${calc.maxK}`);
  const n = top.users.length;
  const per = { recall: ks.map(() => new Float64Array(n)), precision: ks.map(() => new Float64Array(n)), ndcg: ks.map(() => new Float64Array(n)) };
  const one: UserMetricValues = { recall: ks.map(() => 0), precision: ks.map(() => 0), ndcg: ks.map(() => 0) };
  const sums = { recall: ks.map(() => 0), precision: ks.map(() => 0), ndcg: ks.map(() => 0) };
  for (let r = 0; r < n; r++) {
    const u = top.users[r];
    const t = targets.items.subarray(targets.indptr[u], targets.indptr[u + 1]);
    if (t.length === 0) throw new CkdError(`evaluation: user ${u} has no targets`);
    calc.compute(top.items.subarray(r * top.k, r * top.k + calc.maxK), t, one);
    for (const m of ['recall', 'precision', 'ndcg'] as const) {
      for (let j = 0; j < ks.length; j++) { per[m][j][r] = one[m][j]; sums[m][j] += one[m][j]; }
    }
  }
  const byK = (vals: number[]): MetricByK => Object.fromEntries(ks.map((K, j) => [K, n > 0 ? vals[j] / n : NaN]));
  const arraysByK = (arrs: Float64Array[]) => Object.fromEntries(ks.map((K, j) => [K, arrs[j]])) as Record<number, Float64Array>;
  const result: EvaluationResult = {
    ks: ks.slice(), ndcgVariant: variant, users: n,
    recall: byK(sums.recall), precision: byK(sums.precision), ndcg: byK(sums.ndcg),
  };
  if (perUser) {
    result.perUser = {
      users: top.users, recall: arraysByK(per.recall), precision: arraysByK(per.precision), ndcg: arraysByK(per.ndcg), top,
    };
  }
  return result;
}

/** The users to rank (those of `candidates`, default all, with at least one target). */
export function usersWithTargets(targets: UserItemLists, candidates?: Int32Array): Int32Array {
  const numUsers = targets.indptr.length - 1;
  const has = (u: number) => u >= 0 && u < numUsers && targets.indptr[u + 1] > targets.indptr[u];
  if (candidates) return candidates.filter(has);
  const out: number[] = [];
  for (let u = 0; u < numUsers; u++) if (has(u)) out.push(u);
  return Int32Array.from(out);
}

function prepare(options: EvaluationOptions): { users: Int32Array; maxK: number } {
  checkKs(options.ks);
  if (options.ndcg !== undefined && options.ndcg !== 'standard' && options.ndcg !== 'lattice') {
    throw new CkdError(`evaluation: ndcg must be 'standard' or 'lattice', got '${options.ndcg}'`);
  }
  const maxK = Math.max(...options.ks);
  checkRankingInput(options, options.users ?? new Int32Array(0), maxK);
  checkLists(options.targets, numUsersOf(options), numItemsOf(options), 'targets');
  return { users: usersWithTargets(options.targets, options.users), maxK };
}

function checkKs(ks: number[]): void {
  if (ks.length === 0) throw new CkdError('evaluation: ks is empty');
  for (const K of ks) if (!Number.isInteger(K) || K < 1) throw new CkdError(`evaluation: every K must be a positive integer, got ${K}`);
  if (new Set(ks).size !== ks.length) throw new CkdError(`evaluation: ks has duplicates: ${ks.join(', ')}`);
}
