import { Rng } from '../engine/random';
import { FeatureMatrix } from '../data/dataset';
import { SynthConfig } from './presets';

/** What the generator draws before the split: interactions per user and item features. */
export interface SynthDraw {
  interactions: Int32Array[]; // per user, distinct item ids (after the core filter, if any)
  /** Items after the core filter (cfg.items without one); users are interactions.length. */
  numItems: number;
  visual: FeatureMatrix;
  text: FeatureMatrix;
  /** The planted ground truth, kept for notebooks that want to look at it (rows of the kept users and items). */
  userFactors: Float32Array;
  itemFactors: Float32Array;
  /** With a core filter: the drawn ids of the kept users and items (new id = position). */
  kept?: { users: Int32Array; items: Int32Array };
}

function gaussianMatrix(rng: Rng, rows: number, cols: number, scale = 1): Float32Array {
  const m = new Float32Array(rows * cols);
  for (let k = 0; k < m.length; k++) m[k] = rng.normal() * scale;
  return m;
}

/**
 * The standard normal's quantile function (P. J. Acklam's rational approximation, relative
 * error below 1.2e-9) for p in (0, 1).
 */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
  const b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
  const c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
  const d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * Interactions per user: at least minPerUser, with a geometric tail of the requested mean, or
 * (userPowerLaw) a Pareto tail whose index gives about that mean: E[floor(min u^(-1/a))] is
 * about min a / (a - 1) - 1/2.
 */
function drawCount(rng: Rng, cfg: SynthConfig): number {
  if (cfg.userPowerLaw) {
    const m = cfg.meanPerUser + 0.5;
    let u = rng.next();
    if (u === 0) u = Number.MIN_VALUE;
    if (m <= cfg.minPerUser) return cfg.minPerUser;
    const a = m / (m - cfg.minPerUser);
    const n = Math.floor(cfg.minPerUser * Math.pow(u, -1 / a));
    return Math.min(Math.max(n, cfg.minPerUser), Math.floor(cfg.items / 2));
  }
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

/** Per-user lists after an iterative k-core filter, renumbered; `users` and `items` are the kept ids. */
export interface CoreFiltered {
  interactions: Int32Array[];
  users: Int32Array;
  items: Int32Array;
}

/**
 * The iterative k-core filter of the Amazon 5-core sets: remove every user and every item with
 * fewer than k interactions, count again (a removal lowers the others' counts), and repeat until
 * nothing changes. Lists hold distinct item ids in [0, numItems). Kept users and items are
 * renumbered in their original order, so sorted lists stay sorted.
 */
export function kCoreFilter(perUser: ArrayLike<number>[], numItems: number, k: number): CoreFiltered {
  const numUsers = perUser.length;
  const userAlive = new Uint8Array(numUsers).fill(1);
  const itemAlive = new Uint8Array(numItems).fill(1);
  const userDeg = new Int32Array(numUsers);
  const itemDeg = new Int32Array(numItems);
  for (let changed = true; changed;) {
    changed = false;
    userDeg.fill(0);
    itemDeg.fill(0);
    for (let u = 0; u < numUsers; u++) {
      if (!userAlive[u]) continue;
      const list = perUser[u];
      for (let j = 0; j < list.length; j++) {
        const i = list[j];
        if (itemAlive[i]) { userDeg[u]++; itemDeg[i]++; }
      }
    }
    for (let u = 0; u < numUsers; u++) if (userAlive[u] && userDeg[u] < k) { userAlive[u] = 0; changed = true; }
    for (let i = 0; i < numItems; i++) if (itemAlive[i] && itemDeg[i] < k) { itemAlive[i] = 0; changed = true; }
  }
  const newItem = new Int32Array(numItems).fill(-1);
  const items: number[] = [];
  for (let i = 0; i < numItems; i++) if (itemAlive[i]) { newItem[i] = items.length; items.push(i); }
  const users: number[] = [];
  const interactions: Int32Array[] = [];
  for (let u = 0; u < numUsers; u++) {
    if (!userAlive[u]) continue;
    users.push(u);
    const list = perUser[u];
    const out: number[] = [];
    for (let j = 0; j < list.length; j++) if (itemAlive[list[j]]) out.push(newItem[list[j]]);
    interactions.push(Int32Array.from(out));
  }
  return { interactions, users: Int32Array.from(users), items: Int32Array.from(items) };
}

function selectRows(m: Float32Array, rows: Int32Array, cols: number): Float32Array {
  const out = new Float32Array(rows.length * cols);
  for (let k = 0; k < rows.length; k++) out.set(m.subarray(rows[k] * cols, (rows[k] + 1) * cols), k * cols);
  return out;
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
  // Log-normal popularity by rank: the normal quantile at 1 - (rank + 1/2) / items, so the
  // shape is fixed (as Zipf's is) and only which item gets which rank is random.
  if (cfg.popularitySd > 0) {
    for (let rank = 0; rank < cfg.items; rank++) logPop[order[rank]] += cfg.popularitySd * normalQuantile(1 - (rank + 0.5) / cfg.items);
  }

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

  // The core filter comes before the features, so that only kept items get feature rows.
  if (cfg.coreK > 0) {
    const core = kCoreFilter(interactions, cfg.items, cfg.coreK);
    const keptItemFactors = selectRows(itemFactors, core.items, r);
    return {
      interactions: core.interactions, numItems: core.items.length,
      ...drawFeatures(root, cfg, keptItemFactors, core.items.length),
      userFactors: selectRows(userFactors, core.users, r), itemFactors: keptItemFactors,
      kept: { users: core.users, items: core.items },
    };
  }
  return { interactions, numItems: cfg.items, ...drawFeatures(root, cfg, itemFactors, cfg.items), userFactors, itemFactors };
}

function drawFeatures(root: Rng, cfg: SynthConfig, itemFactors: Float32Array, items: number): { text: FeatureMatrix; visual: FeatureMatrix } {
  const r = cfg.factors;
  const textTo = Math.max(1, Math.round(cfg.textCoverage * r));
  const visualFrom = Math.min(r - 1, r - Math.round(cfg.visualCoverage * r));
  const text = projectFeatures(root.fork('text'), itemFactors, items, r, 0, textTo, cfg.textDim, cfg.textNoise);
  const visual = projectFeatures(root.fork('visual'), itemFactors, items, r, visualFrom, r, cfg.visualDim, cfg.visualNoise);
  return { text, visual };
}
