/**
 * Counterfactual re-weighting of the per-modality distillation losses (paper Eqs. 15-18; docs/method.md, "Counterfactual re-weighting"), from
 * the margins' values on the host: the weights are plain numbers, so no gradient can flow
 * through them (the paper and the authors' code both treat them as constants), and every step's
 * values are recorded for free.
 *
 * Notation, for a batch B of training triples (u, i, j) and two modalities m, m':
 *   ds       the student's margin with all modalities;
 *   ds^m     the student's channel m: every modality but m ablated (forward(mask = m));
 *   ds^{-m}  the student with m ablated; with two modalities that is channel m', ds^{m'};
 *   dt^m     the frozen m teacher's margin.
 *
 * 'paper' (Eqs. 15-18): ITE delta^m = ds - ds^{-m}; ATE gamma^m = mean_B delta^m;
 *   rho^m = gamma^m / sum_B dt^m; lambda_m = 1 - rho^m / sum_m' rho^m'. One weight per modality
 *   and batch; with two modalities the weights sum to 1.
 *   Guard (ours; the paper has none): rho^m <= 0 (the modality does not help the margin yet, or
 *   the teacher's margins sum to <= 0) would give weights outside [0, 1], negative ones included,
 *   which turn distillation into anti-distillation. rho is floored at `rhoFloor` (1e-8, the lower
 *   clamp of the authors' code) before normalising, so a modality with rho <= 0 gets weight ~1
 *   and both at the floor get 1/2 each. Non-finite rho is treated the same way. The raw rho is
 *   what is recorded.
 * 'reference-code' (codes/train_kd.py): per triple, c^m = clamp(delta^m / ds^m, 1e-8, 10),
 *   lambda_m = 1 - (c^m - c^m') / (c^m + c^m'); the two weights sum to 2 per triple, and the
 *   denominator is the student's own channel margin, not the teacher's. A 0/0 (NaN in torch,
 *   which would end training) is taken as 1e-8 here.
 * 'none' (Table 3, w/o re-weight): lambda_m = 1.
 * gamma and rho are computed (the paper's way) whatever the variant, for the diagnostics.
 */
import { Modality, MODALITIES } from '../../data/dataset';

export type Reweight = 'paper' | 'reference-code' | 'none';
export const REWEIGHTS: readonly Reweight[] = ['paper', 'reference-code', 'none'];

export interface BatchMargins {
  /** ds: the student with every modality. */
  all: Float32Array;
  /** ds^m: the student's channel m (every other modality ablated). */
  student: Record<Modality, Float32Array>;
  /** dt^m: the teachers. */
  teacher: Record<Modality, Float32Array>;
}

export interface ModalityWeights {
  /** One weight per modality (paper, none) or one per triple (reference-code). */
  lambda: Record<Modality, number | Float32Array>;
  /** Mean weight of each modality over the batch. */
  lambdaMean: Record<Modality, number>;
  /** The paper's rho^m (raw, before the floor); for 'reference-code' the batch mean of c^m. */
  rho: Record<Modality, number>;
  /** The ATE gamma^m = mean_B (ds - ds^{-m}). */
  gamma: Record<Modality, number>;
}

export const RHO_FLOOR = 1e-8;
const C_MIN = 1e-8;
const C_MAX = 10;

function other(m: Modality): Modality {
  return m === 'visual' ? 'text' : 'visual';
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k];
  return a.length ? s / a.length : NaN;
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k];
  return s;
}

/** gamma^m = mean_B (ds - ds^{-m}), where ds^{-m} (m ablated) is the other modality's channel. */
export function averageTreatmentEffects(m: BatchMargins): Record<Modality, number> {
  const out = {} as Record<Modality, number>;
  for (const mod of MODALITIES) {
    const ablated = m.student[other(mod)];
    let s = 0;
    for (let k = 0; k < m.all.length; k++) s += m.all[k] - ablated[k];
    out[mod] = m.all.length ? s / m.all.length : NaN;
  }
  return out;
}

/** rho^m = gamma^m / sum_B dt^m (paper Eq. 17). */
export function relativeEffects(m: BatchMargins, gamma = averageTreatmentEffects(m)): Record<Modality, number> {
  const out = {} as Record<Modality, number>;
  for (const mod of MODALITIES) out[mod] = gamma[mod] / sum(m.teacher[mod]);
  return out;
}

/** lambda_m = 1 - rho'^m / sum rho' with rho' = rho floored at `floor` (paper Eq. 18 plus our guard). */
export function paperLambdas(rho: Record<Modality, number>, floor = RHO_FLOOR): Record<Modality, number> {
  const r = {} as Record<Modality, number>;
  let total = 0;
  for (const mod of MODALITIES) {
    const v = rho[mod];
    r[mod] = Number.isFinite(v) && v > floor ? v : floor;
    total += r[mod];
  }
  const out = {} as Record<Modality, number>;
  for (const mod of MODALITIES) out[mod] = 1 - r[mod] / total;
  return out;
}

/** The authors' per-triple ratios c^m = clamp((ds - ds^{-m}) / ds^m, 1e-8, 10). */
export function referenceRatios(m: BatchMargins): Record<Modality, Float32Array> {
  const out = {} as Record<Modality, Float32Array>;
  for (const mod of MODALITIES) {
    const own = m.student[mod];
    const ablated = m.student[other(mod)];
    const c = new Float32Array(m.all.length);
    for (let k = 0; k < c.length; k++) {
      const v = (m.all[k] - ablated[k]) / own[k];
      c[k] = Number.isNaN(v) ? C_MIN : Math.min(Math.max(v, C_MIN), C_MAX);
    }
    out[mod] = c;
  }
  return out;
}

/** Per-triple lambda_m = 1 - (c^m - c^m') / (c^m + c^m'). */
export function referenceLambdas(c: Record<Modality, Float32Array>): Record<Modality, Float32Array> {
  const out = {} as Record<Modality, Float32Array>;
  for (const mod of MODALITIES) {
    const a = c[mod];
    const b = c[other(mod)];
    const w = new Float32Array(a.length);
    for (let k = 0; k < w.length; k++) w[k] = 1 - (a[k] - b[k]) / (a[k] + b[k]);
    out[mod] = w;
  }
  return out;
}

/** The weights of one batch under a variant, with the recorded quantities. */
export function modalityWeights(variant: Reweight, m: BatchMargins, rhoFloor = RHO_FLOOR): ModalityWeights {
  const gamma = averageTreatmentEffects(m);
  const rhoPaper = relativeEffects(m, gamma);
  if (variant === 'reference-code') {
    const c = referenceRatios(m);
    const lambda = referenceLambdas(c);
    const lambdaMean = {} as Record<Modality, number>;
    const rho = {} as Record<Modality, number>;
    for (const mod of MODALITIES) {
      lambdaMean[mod] = mean(lambda[mod]);
      rho[mod] = mean(c[mod]);
    }
    return { lambda, lambdaMean, rho, gamma };
  }
  const lambda = variant === 'paper' ? paperLambdas(rhoPaper, rhoFloor) : { visual: 1, text: 1 };
  return { lambda, lambdaMean: { ...lambda }, rho: rhoPaper, gamma };
}
