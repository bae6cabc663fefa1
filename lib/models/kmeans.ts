import { FeatureMatrix } from '../data/dataset';
import { Rng } from '../engine/random';

/**
 * Seeded k-means (k-means++ seeding, Lloyd iterations) on feature rows; returns each row's
 * cluster id. DeepStyle uses it to derive item categories when a data set ships none.
 */
export function kmeans(f: FeatureMatrix, k: number, rng: Rng, iterations = 20): Int32Array {
  const { rows: n, cols: d, data } = f;
  k = Math.max(1, Math.min(k, n));
  const centres = new Float64Array(k * d);
  const dist2 = (row: number, c: number) => {
    let s = 0;
    for (let j = 0; j < d; j++) { const t = data[row * d + j] - centres[c * d + j]; s += t * t; }
    return s;
  };
  // k-means++: first centre uniform, then proportional to squared distance to the nearest centre.
  const nearest = new Float64Array(n).fill(Infinity);
  let chosen = rng.int(n);
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < d; j++) centres[c * d + j] = data[chosen * d + j];
    let total = 0;
    for (let i = 0; i < n; i++) { nearest[i] = Math.min(nearest[i], dist2(i, c)); total += nearest[i]; }
    if (c + 1 === k) break;
    let target = rng.next() * total;
    chosen = n - 1;
    for (let i = 0; i < n; i++) { target -= nearest[i]; if (target <= 0) { chosen = i; break; } }
  }
  const assign = new Int32Array(n);
  for (let it = 0; it < iterations; it++) {
    let moved = 0;
    for (let i = 0; i < n; i++) {
      let best = 0; let bestD = Infinity;
      for (let c = 0; c < k; c++) { const dd = dist2(i, c); if (dd < bestD) { bestD = dd; best = c; } }
      if (assign[i] !== best || it === 0) moved++;
      assign[i] = best;
    }
    if (moved === 0) break;
    const counts = new Int32Array(k);
    const sums = new Float64Array(k * d);
    for (let i = 0; i < n; i++) {
      counts[assign[i]]++;
      for (let j = 0; j < d; j++) sums[assign[i] * d + j] += data[i * d + j];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue; // an empty cluster keeps its centre
      for (let j = 0; j < d; j++) centres[c * d + j] = sums[c * d + j] / counts[c];
    }
  }
  return assign;
}
