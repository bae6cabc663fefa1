/**
 * Summaries over seeds and paired significance tests of method A against method B.
 *
 * Two paired tests, both Student t-tests with the exact t distribution (computed here through the
 * regularised incomplete beta function; no statistics package):
 *   - over seeds (pairedTTestOverSeeds): one value per seed and method, paired by seed (the same
 *     seed gives both methods the same initial draw and sampling stream). This is the test the
 *     tables (tables.ts) use by default, in the 'p' column: two-sided, H0 "equal means". With the
 *     paper's 3 seeds it has 2 degrees of freedom and little power: a p above 0.05 there is weak
 *     evidence of no difference.
 *   - over users (pairedTestOverUsers): each test user's metric (EvaluationResult.perUser, averaged
 *     over the seeds when several runs are given), paired by user. Thousands of pairs, so it detects
 *     small differences; it treats users as the sample, so it speaks about these models on this
 *     test set, not about training variability. tables.ts uses it when asked for
 *     `significance: 'users'` and per-user metrics are present.
 */
import { EvaluationResult } from '../eval/evaluate';
import { CkdError } from '../errors';

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1 in the denominator); NaN when n < 2. */
  sd: number;
  /** Standard error of the mean, sd / sqrt(n); NaN when n < 2. */
  sem: number;
  min: number;
  max: number;
}

/** Mean, sample standard deviation, n, ... of values (NaN values propagate into mean and sd). */
export function summarize(values: ArrayLike<number>): Summary {
  const n = values.length;
  if (n === 0) return { n: 0, mean: NaN, sd: NaN, sem: NaN, min: NaN, max: NaN };
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    sum += values[i];
    if (values[i] < min) min = values[i];
    if (values[i] > max) max = values[i];
  }
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) * (values[i] - mean);
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : NaN;
  return { n, mean, sd, sem: sd / Math.sqrt(n), min, max };
}

// ---------------------------------------------------------------------------------------------
// Special functions

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Gamma(x) for x > 0 (Lanczos, g = 7; relative error ~1e-15). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new CkdError(`logGamma: x must be positive (got ${x})`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - qab * x / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) return h;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b), for 0 <= x <= 1 and a, b > 0. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new CkdError(`incomplete beta: a and b must be positive (got ${a}, ${b})`);
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return Math.exp(lnFront) * betaContinuedFraction(x, a, b) / a;
  return 1 - Math.exp(lnFront) * betaContinuedFraction(1 - x, b, a) / b;
}

/** P(|T| >= |t|) for Student's t with df degrees of freedom (computed without cancellation). */
export function studentTTwoSided(t: number, df: number): number {
  checkDf(df);
  if (Number.isNaN(t)) return NaN;
  if (!Number.isFinite(t)) return 0;
  return regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** The CDF P(T <= t) of Student's t distribution with df > 0 degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  checkDf(df);
  if (Number.isNaN(t)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** The quantile (inverse CDF) of Student's t with df degrees of freedom, by bisection. */
export function studentTQuantile(p: number, df: number): number {
  checkDf(df);
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return NaN;
  }
  if (p === 0.5) return 0;
  let lo = -1;
  let hi = 1;
  while (studentTCdf(lo, df) > p) lo *= 2;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-14 * Math.max(1, Math.abs(lo)); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

function checkDf(df: number): void {
  if (!(df > 0) || !Number.isFinite(df)) throw new CkdError(`Student t: degrees of freedom must be positive and finite (got ${df})`);
}

// ---------------------------------------------------------------------------------------------
// Paired t-tests

export type Alternative = 'two-sided' | 'greater' | 'less';

export interface PairedTest {
  test: 'paired t';
  /** What was paired: seeds, users, or plain index-aligned pairs. */
  unit: 'seeds' | 'users' | 'pairs';
  /** Number of pairs. */
  n: number;
  df: number;
  meanA: number;
  meanB: number;
  /** Mean of A - B. */
  meanDiff: number;
  /** Sample standard deviation of A - B. */
  sdDiff: number;
  t: number;
  /** p-value under the alternative; NaN with fewer than 2 pairs or when every difference is 0. */
  p: number;
  alternative: Alternative;
  /** 95% confidence interval of the mean difference (two-sided, whatever the alternative). */
  ci95: [number, number];
}

/**
 * Paired t-test of A against B (A[i] paired with B[i]): t = mean(d) / (sd(d) / sqrt(n)), d = A - B,
 * df = n - 1. 'greater' tests mean(A - B) > 0. Matches scipy.stats.ttest_rel, including its NaN
 * when every difference is zero and its infinite t (p = 0) when the differences are equal but not 0.
 */
export function pairedTTest(a: ArrayLike<number>, b: ArrayLike<number>, alternative: Alternative = 'two-sided',
  unit: PairedTest['unit'] = 'pairs'): PairedTest {
  if (a.length !== b.length) throw new CkdError(`paired t-test: A has ${a.length} values, B has ${b.length}`);
  const n = a.length;
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = a[i] - b[i];
  const sd = summarize(d);
  const meanA = summarize(a).mean;
  const meanB = summarize(b).mean;
  const df = n - 1;
  let t = NaN;
  let p = NaN;
  let ci95: [number, number] = [NaN, NaN];
  if (n >= 2) {
    if (sd.sd > 0) {
      t = sd.mean / sd.sem;
      const q = studentTQuantile(0.975, df);
      ci95 = [sd.mean - q * sd.sem, sd.mean + q * sd.sem];
    } else if (sd.mean !== 0) {
      t = sd.mean > 0 ? Infinity : -Infinity;
      ci95 = [sd.mean, sd.mean];
    }
    if (!Number.isNaN(t)) {
      const half = 0.5 * studentTTwoSided(t, df);
      // P(T >= t) and P(T <= t), each taken from the accurate tail on its own side.
      const upper = t >= 0 ? half : 1 - half;
      const lower = t <= 0 ? half : 1 - half;
      p = alternative === 'two-sided' ? 2 * half : alternative === 'greater' ? upper : lower;
    }
  }
  return { test: 'paired t', unit, n, df, meanA, meanB, meanDiff: sd.mean, sdDiff: sd.sd, t, p, alternative, ci95 };
}

/** A value of one run, keyed by its seed. */
export interface SeedValue {
  seed: number;
  value: number;
}

/** Values of A and B on the seeds both have (sorted by seed); unmatched seeds are dropped. */
export function pairBySeed(a: readonly SeedValue[], b: readonly SeedValue[]): { seeds: number[]; a: number[]; b: number[] } {
  const byA = new Map<number, number>();
  for (const r of a) {
    if (byA.has(r.seed)) throw new CkdError(`pairBySeed: seed ${r.seed} appears twice in A`);
    byA.set(r.seed, r.value);
  }
  const byB = new Map<number, number>();
  for (const r of b) {
    if (byB.has(r.seed)) throw new CkdError(`pairBySeed: seed ${r.seed} appears twice in B`);
    byB.set(r.seed, r.value);
  }
  const seeds = [...byA.keys()].filter(s => byB.has(s)).sort((x, y) => x - y);
  return { seeds, a: seeds.map(s => byA.get(s)!), b: seeds.map(s => byB.get(s)!) };
}

/** Paired t-test over seeds: A's and B's runs with the same seed form a pair. */
export function pairedTTestOverSeeds(a: readonly SeedValue[], b: readonly SeedValue[], alternative: Alternative = 'two-sided'): PairedTest {
  const p = pairBySeed(a, b);
  return pairedTTest(p.a, p.b, alternative, 'seeds');
}

export type PerUserMetricName = 'recall' | 'precision' | 'ndcg';

/**
 * Each user's metric@k, averaged over the given runs (seeds) of one method. Every run must carry
 * per-user metrics (evaluate with perUser: true); users missing from some run are averaged over
 * the runs that have them.
 */
export function perUserMeans(runs: readonly EvaluationResult[], metric: PerUserMetricName, k: number): Map<number, number> {
  if (runs.length === 0) throw new CkdError('per-user metrics: no runs given');
  const sum = new Map<number, number>();
  const count = new Map<number, number>();
  for (const r of runs) {
    const pu = r.perUser;
    if (!pu) throw new CkdError('per-user metrics: a run has no perUser arrays (evaluate with perUser: true)');
    const arr = pu[metric][k];
    if (!arr) throw new CkdError(`per-user metrics: no ${metric}@${k} (have k = ${r.ks.join(', ')})`);
    for (let i = 0; i < pu.users.length; i++) {
      const u = pu.users[i];
      sum.set(u, (sum.get(u) ?? 0) + arr[i]);
      count.set(u, (count.get(u) ?? 0) + 1);
    }
  }
  const out = new Map<number, number>();
  for (const [u, s] of sum) out.set(u, s / count.get(u)!);
  return out;
}

/**
 * Paired t-test over users of metric@k: method A's runs against method B's (one EvaluationResult
 * per seed, or a single one), each user's value averaged over the seeds, users paired by id
 * (only users evaluated for both methods).
 */
export function pairedTestOverUsers(
  a: EvaluationResult | readonly EvaluationResult[], b: EvaluationResult | readonly EvaluationResult[],
  metric: PerUserMetricName = 'recall', k = 20, alternative: Alternative = 'two-sided',
): PairedTest {
  const ma = perUserMeans(Array.isArray(a) ? a : [a as EvaluationResult], metric, k);
  const mb = perUserMeans(Array.isArray(b) ? b : [b as EvaluationResult], metric, k);
  const users = [...ma.keys()].filter(u => mb.has(u)).sort((x, y) => x - y);
  return pairedTTest(users.map(u => ma.get(u)!), users.map(u => mb.get(u)!), alternative, 'users');
}
