import * as assert from 'assert';
import { EvaluationResult } from '../lib/eval/evaluate';
import {
  logGamma, pairBySeed, pairedTTest, pairedTTestOverSeeds, pairedTestOverUsers, regularizedIncompleteBeta,
  studentTCdf, studentTQuantile, studentTTwoSided, summarize,
} from '../lib/experiments/summary';

// Reference values: scipy 1.10.1 (Debian's python3-scipy): scipy.stats.t.cdf / .sf / .ppf,
// scipy.special.betainc / gammaln, scipy.stats.ttest_rel, numpy.std(ddof=1).

function close(actual: number, expected: number, rel = 1e-10, what = ''): void {
  const tol = rel * Math.max(Math.abs(expected), 1e-300);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} != ${expected} (rel tol ${rel})`);
}

describe('experiments: summary statistics', () => {
  it('mean, sample sd and n', () => {
    const s = summarize([0.0462, 0.0493, 0.0492]);
    assert.strictEqual(s.n, 3);
    close(s.mean, 0.04823333333333333, 1e-14, 'mean');
    close(s.sd, 0.0017616280348965088, 1e-12, 'sd');
    close(s.sem, 0.0017616280348965088 / Math.sqrt(3), 1e-12, 'sem');
    assert.strictEqual(s.min, 0.0462);
    assert.strictEqual(s.max, 0.0493);
  });

  it('sd is NaN for one value, everything NaN for none', () => {
    const one = summarize([0.5]);
    assert.strictEqual(one.mean, 0.5);
    assert.ok(Number.isNaN(one.sd));
    const none = summarize([]);
    assert.strictEqual(none.n, 0);
    assert.ok(Number.isNaN(none.mean));
  });
});

describe('experiments: special functions against scipy', () => {
  it('logGamma', () => {
    close(logGamma(0.3), 1.0957979948180756, 1e-13, 'gammaln(0.3)');
    close(logGamma(7.5), 7.534364236758734, 1e-13, 'gammaln(7.5)');
    close(logGamma(171.2), 707.60092684767, 1e-13, 'gammaln(171.2)');
    assert.ok(Math.abs(logGamma(1)) < 1e-14 && Math.abs(logGamma(2)) < 1e-14, 'gammaln(1) = gammaln(2) = 0');
  });

  it('regularised incomplete beta', () => {
    const cases: [number, number, number, number][] = [
      [0.3, 2, 3, 0.3483],
      [0.9, 0.5, 0.5, 0.7951672353008662],
      [0.01, 5, 0.5, 2.4712578086395448e-11],
      [0.999, 10, 2, 0.9999453290118457],
      [0.5, 100, 100, 0.5000000000000132],
    ];
    for (const [x, a, b, want] of cases) close(regularizedIncompleteBeta(x, a, b), want, 1e-11, `I_${x}(${a},${b})`);
    assert.strictEqual(regularizedIncompleteBeta(0, 2, 3), 0);
    assert.strictEqual(regularizedIncompleteBeta(1, 2, 3), 1);
  });

  it('Student t CDF and two-sided tail', () => {
    const cases: [number, number, number, number][] = [
      // t, df, cdf, two-sided p
      [0.5, 2, 0.6666666666666667, 0.6666666666666667],
      [2.0, 2, 0.908248290463863, 0.1835034190722739],
      [-1.3, 5, 0.12515031708533858, 0.25030063417067716],
      [4.303, 2, 0.9750037375073928, 0.04999252498521449],
      [10.0, 1, 0.9682744825694464, 0.06345103486110712],
      [1.96, 1000, 0.9748634075221256, 0.05027318495574871],
      [-3.2, 7.5, 0.00686757693120413, 0.01373515386240826],
      [25, 3, 0.9999298343050212, 0.0001403313899575486],
    ];
    for (const [t, df, cdf, p2] of cases) {
      close(studentTCdf(t, df), cdf, 1e-11, `cdf(${t}, ${df})`);
      close(studentTTwoSided(t, df), p2, 1e-10, `p(${t}, ${df})`);
    }
    assert.strictEqual(studentTCdf(0, 3), 0.5);
    assert.strictEqual(studentTCdf(Infinity, 3), 1);
    assert.strictEqual(studentTTwoSided(-Infinity, 3), 0);
  });

  it('Student t quantile', () => {
    close(studentTQuantile(0.975, 2), 4.302652729911275, 1e-10, 'ppf(0.975, 2)');
    close(studentTQuantile(0.975, 10), 2.2281388519649385, 1e-10, 'ppf(0.975, 10)');
    close(studentTQuantile(0.01, 4), -3.7469473879811375, 1e-10, 'ppf(0.01, 4)');
  });
});

describe('experiments: paired t-test against scipy.stats.ttest_rel', () => {
  const a = [0.051, 0.049, 0.0535, 0.0502, 0.0511];
  const b = [0.0498, 0.0495, 0.0521, 0.0505, 0.0499];

  it('two-sided, greater, less, and the confidence interval', () => {
    const two = pairedTTest(a, b);
    assert.strictEqual(two.n, 5);
    assert.strictEqual(two.df, 4);
    close(two.t, 1.4595127662315575, 1e-10, 't');
    close(two.p, 0.21819516853806886, 1e-9, 'p two-sided');
    close(pairedTTest(a, b, 'greater').p, 0.10909758426903443, 1e-9, 'p greater');
    close(pairedTTest(a, b, 'less').p, 0.8909024157309655, 1e-9, 'p less');
    close(two.ci95[0], -0.0005413857430106108, 1e-8, 'ci low');
    close(two.ci95[1], 0.0017413857430106092, 1e-8, 'ci high');
    close(two.meanDiff, two.meanA - two.meanB, 1e-12, 'mean difference');
  });

  it('three seeds, a clear difference', () => {
    const r = pairedTTest([0.0568, 0.0571, 0.0559], [0.0462, 0.0470, 0.0455]);
    close(r.t, 71.34829323374373, 1e-9, 't');
    close(r.p, 0.0001963834457357318, 1e-8, 'p');
  });

  it('degenerate inputs behave like scipy', () => {
    const same = pairedTTest([1, 2, 3], [1, 2, 3]);
    assert.ok(Number.isNaN(same.t) && Number.isNaN(same.p), 'all differences zero: NaN');
    const shifted = pairedTTest([2, 3, 4], [1, 2, 3]);
    assert.strictEqual(shifted.t, Infinity);
    assert.strictEqual(shifted.p, 0);
    const single = pairedTTest([1], [0]);
    assert.ok(Number.isNaN(single.p), 'one pair: NaN');
    assert.throws(() => pairedTTest([1, 2], [1]), /A has 2 values, B has 1/);
  });

  it('pairs by seed, dropping unmatched seeds', () => {
    const A = [{ seed: 3, value: 0.0559 }, { seed: 1, value: 0.0568 }, { seed: 2, value: 0.0571 }, { seed: 9, value: 1 }];
    const B = [{ seed: 2, value: 0.0470 }, { seed: 1, value: 0.0462 }, { seed: 3, value: 0.0455 }];
    const p = pairBySeed(A, B);
    assert.deepStrictEqual(p.seeds, [1, 2, 3]);
    assert.deepStrictEqual(p.a, [0.0568, 0.0571, 0.0559]);
    const r = pairedTTestOverSeeds(A, B);
    assert.strictEqual(r.unit, 'seeds');
    close(r.p, 0.0001963834457357318, 1e-8, 'p');
    assert.throws(() => pairBySeed([{ seed: 1, value: 0 }, { seed: 1, value: 1 }], B), /seed 1 appears twice/);
  });
});

describe('experiments: paired test over users', () => {
  function evalResult(users: number[], recall: number[]): EvaluationResult {
    const f = Float64Array.from(recall);
    return {
      ks: [20], ndcgVariant: 'standard', users: users.length,
      recall: { 20: recall.reduce((s, v) => s + v, 0) / recall.length }, precision: { 20: 0 }, ndcg: { 20: 0 },
      perUser: {
        users: Int32Array.from(users), recall: { 20: f }, precision: { 20: f.map(() => 0) }, ndcg: { 20: f.map(() => 0) },
        top: { users: Int32Array.from(users), k: 0, items: new Int32Array(0), scores: new Float32Array(0) },
      },
    } as EvaluationResult;
  }

  it('averages over seeds per user and pairs users by id', () => {
    // Method A, two seeds, users listed in different orders; B one seed with an extra user.
    const a1 = evalResult([0, 1, 2, 3, 4], [0.5, 0.0, 1.0, 0.25, 0.5]);
    const a2 = evalResult([4, 3, 2, 1, 0], [0.5, 0.25, 0.0, 0.5, 0.5]);
    const b = evalResult([0, 1, 2, 3, 4, 5], [0.25, 0.0, 0.5, 0.0, 0.5, 1.0]);
    const r = pairedTestOverUsers([a1, a2], b, 'recall', 20);
    assert.strictEqual(r.unit, 'users');
    assert.strictEqual(r.n, 5);
    // A means per user: [0.5, 0.25, 0.5, 0.25, 0.5]; B: [0.25, 0, 0.5, 0, 0.5].
    const direct = pairedTTest([0.5, 0.25, 0.5, 0.25, 0.5], [0.25, 0, 0.5, 0, 0.5]);
    close(r.t, direct.t, 1e-12, 't');
    close(r.p, direct.p, 1e-12, 'p');
  });

  it('needs per-user arrays', () => {
    const e = evalResult([0, 1], [1, 0]);
    delete e.perUser;
    assert.throws(() => pairedTestOverUsers(e, e), /perUser/);
  });
});
