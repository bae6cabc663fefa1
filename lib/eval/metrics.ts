/**
 * Per-user ranking metrics from one user's top-maxK list.
 *
 * 'standard' NDCG@K = DCG@K / IDCG@K with IDCG@K = sum_{p=1..min(|targets|, K)} 1/log2(p+1): the
 * DCG of a perfect list, every target at the top.
 *
 * 'lattice' NDCG@K is what the CKD code (codes/utility/metrics.py ndcg_at_k, called from
 * batch_test.py get_performance; the same code as LATTICE's) computes. It builds the 0/1 hit
 * vector r of the top-maxK list (maxK = the largest K evaluated, 20 there) and divides
 * dcg_at_k(r, K) by dcg_at_k(sorted(r, descending), K): the "ideal" list is that same
 * hit vector with its hits moved to the front. So IDCG@K = sum_{p=1..min(H, K)} 1/log2(p+1),
 * H = the number of targets found in the top-maxK list (0 hits: NDCG 0). Because H <= |targets|
 * the denominator is never larger than the standard one, and NDCG can only go up: targets the
 * model failed to retrieve cost nothing. A user with 5 targets and one hit at rank 1 scores
 * 1.0 instead of 0.34. It also makes NDCG@10 depend on the hits at ranks 11..maxK (they enlarge
 * H), so lattice NDCG@K changes with the list of Ks it is evaluated with.
 */
export type NdcgVariant = 'standard' | 'lattice';

/** 1/log2(p + 2) for rank p = 0, 1, ...; cumulative sums give the ideal DCGs. */
function discounts(n: number): { disc: Float64Array; cum: Float64Array } {
  const disc = new Float64Array(n);
  const cum = new Float64Array(n + 1);
  for (let p = 0; p < n; p++) {
    disc[p] = 1 / Math.log2(p + 2);
    cum[p + 1] = cum[p] + disc[p];
  }
  return { disc, cum };
}

export interface UserMetricValues {
  recall: number[];
  precision: number[];
  ndcg: number[];
}

/** A metric calculator for one set of Ks; `maxK` is the length of the top lists it reads. */
export class MetricCalculator {
  readonly maxK: number;
  private readonly disc: Float64Array;
  private readonly cum: Float64Array;
  private readonly hits: Uint8Array;

  constructor(readonly ks: readonly number[], readonly variant: NdcgVariant) {
    this.maxK = Math.max(...ks);
    ({ disc: this.disc, cum: this.cum } = discounts(this.maxK));
    this.hits = new Uint8Array(this.maxK);
  }

  /**
   * top: the user's maxK best items, best first (-1 pads a short list); targets: sorted ascending.
   * Writes into out[metric][index of K].
   */
  compute(top: Int32Array, targets: Int32Array, out: UserMetricValues): void {
    const { maxK, hits, disc, cum } = this;
    let found = 0;
    for (let p = 0; p < maxK; p++) {
      hits[p] = top[p] >= 0 && contains(targets, top[p]) ? 1 : 0;
      found += hits[p];
    }
    for (let j = 0; j < this.ks.length; j++) {
      const K = this.ks[j];
      let h = 0;
      let dcg = 0;
      for (let p = 0; p < K; p++) if (hits[p]) { h++; dcg += disc[p]; }
      const ideal = this.variant === 'standard' ? cum[Math.min(targets.length, K)] : cum[Math.min(found, K)];
      out.recall[j] = h / targets.length;
      out.precision[j] = h / K;
      out.ndcg[j] = ideal > 0 ? dcg / ideal : 0;
    }
  }
}

function contains(sorted: Int32Array, x: number): boolean {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1; else hi = mid;
  }
  return lo < sorted.length && sorted[lo] === x;
}
