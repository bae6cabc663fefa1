import { Rng } from '../engine/random';
import { FeatureMatrix } from '../data/dataset';
import { SynthConfig } from './presets';

/** What the generator draws before the split: interactions per user and item features. */
export interface SynthDraw {
  interactions: Int32Array[]; // per user, distinct item ids
  visual: FeatureMatrix;
  text: FeatureMatrix;
  /** The planted ground truth, kept for notebooks that want to look at it. */
  userFactors: Float32Array;
  itemFactors: Float32Array;
}

function gaussianMatrix(rng: Rng, rows: number, cols: number, scale = 1): Float32Array {
  const m = new Float32Array(rows * cols);
  for (let k = 0; k < m.length; k++) m[k] = rng.normal() * scale;
  return m;
}

/** Interactions per user: at least minPerUser, geometric tail with the requested mean. */
function drawCount(rng: Rng, cfg: SynthConfig): number {
  const extraMean = Math.max(cfg.meanPerUser - cfg.minPerUser, 0);
  if (extraMean === 0) return cfg.minPerUser;
  const p = 1 / (1 + extraMean);
  let u = rng.next();
  if (u === 0) u = Number.MIN_VALUE;
  const extra = Math.floor(Math.log(u) / Math.log(1 - p));
  return Math.min(cfg.minPerUser + extra, Math.floor(cfg.items / 2));
}

/**
 * Draws n distinct items for one user by the Gumbel-top-k trick over
 * logits = affinity * <p_u, q_i> / sqrt(r) + log popularity_i.
 */
function drawItems(rng: Rng, logits: Float64Array, n: number): Int32Array {
  const bestKey = new Float64Array(n).fill(-Infinity);
  const bestItem = new Int32Array(n).fill(-1);
  for (let i = 0; i < logits.length; i++) {
    let u = rng.next();
    if (u === 0) u = Number.MIN_VALUE;
    const key = logits[i] - Math.log(-Math.log(u));
    if (key <= bestKey[n - 1]) continue;
    let pos = n - 1;
    while (pos > 0 && bestKey[pos - 1] < key) {
      bestKey[pos] = bestKey[pos - 1];
      bestItem[pos] = bestItem[pos - 1];
      pos--;
    }
    bestKey[pos] = key;
    bestItem[pos] = i;
  }
  return bestItem.sort();
}

/** A noisy random projection of the factor dimensions [from, to) into `dim` features. */
function projectFeatures(
  rng: Rng, factors: Float32Array, items: number, r: number,
  from: number, to: number, dim: number, noise: number,
): FeatureMatrix {
  const seen = to - from;
  const proj = gaussianMatrix(rng, seen, dim, 1 / Math.sqrt(seen));
  const data = new Float32Array(items * dim);
  const row = new Float64Array(dim);
  for (let i = 0; i < items; i++) {
    row.fill(0);
    for (let k = 0; k < seen; k++) {
      const z = factors[i * r + from + k];
      const pk = k * dim;
      for (let c = 0; c < dim; c++) row[c] += z * proj[pk + c];
    }
    const out = i * dim;
    for (let c = 0; c < dim; c++) data[out + c] = row[c] + noise * rng.normal();
  }
  return { rows: items, cols: dim, data };
}

export function drawSynthetic(cfg: SynthConfig, seed: number): SynthDraw {
  const root = new Rng(`synth:${seed}`);
  const r = cfg.factors;
  const userFactors = gaussianMatrix(root.fork('user-factors'), cfg.users, r);
  const itemFactors = gaussianMatrix(root.fork('item-factors'), cfg.items, r);

  // Popularity: Zipf over a random permutation of items, so id order carries no signal.
  const order = root.fork('popularity').shuffle(Int32Array.from({ length: cfg.items }, (_, k) => k));
  const logPop = new Float64Array(cfg.items);
  for (let rank = 0; rank < cfg.items; rank++) logPop[order[rank]] = -cfg.popularityExponent * Math.log(rank + 1);

  const rngInter = root.fork('interactions');
  const scale = cfg.affinityScale / Math.sqrt(r);
  const logits = new Float64Array(cfg.items);
  const interactions: Int32Array[] = [];
  for (let u = 0; u < cfg.users; u++) {
    const pu = u * r;
    for (let i = 0; i < cfg.items; i++) {
      let dot = 0;
      const qi = i * r;
      for (let k = 0; k < r; k++) dot += userFactors[pu + k] * itemFactors[qi + k];
      logits[i] = scale * dot + logPop[i];
    }
    interactions.push(drawItems(rngInter, logits, drawCount(rngInter, cfg)));
  }

  const textTo = Math.max(1, Math.round(cfg.textCoverage * r));
  const visualFrom = Math.min(r - 1, r - Math.round(cfg.visualCoverage * r));
  const text = projectFeatures(root.fork('text'), itemFactors, cfg.items, r, 0, textTo, cfg.textDim, cfg.textNoise);
  const visual = projectFeatures(root.fork('visual'), itemFactors, cfg.items, r, visualFrom, r, cfg.visualDim, cfg.visualNoise);
  return { interactions, visual, text, userFactors, itemFactors };
}
