/**
 * Gradient Blending's weights from the overfitting-to-generalisation ratio (Wang, Tran, Feiszli,
 * CVPR 2020, Section 3.2): over an estimation window, with L_T the train loss and L_V the
 * held-out loss of a branch, O = L_V - L_T,
 *   dG = L_V(start) - L_V(end)  (clamped at 0: a branch whose held-out loss rose gets no weight;
 *                                 some implementations take abs(), which rewards getting worse)
 *   dO = O(end) - O(start)
 *   w  = dG / dO^2 (dO^2 floored at eps), then normalised to sum 1.
 */
export interface BranchLosses {
  trainStart: number;
  valStart: number;
  trainEnd: number;
  valEnd: number;
}

export interface OgrEstimate extends BranchLosses {
  dG: number;
  dO: number;
  /** Unnormalised weight dG / dO^2. */
  raw: number;
}

export const OGR_EPS = 1e-12;

export function ogrWeight(l: BranchLosses, eps = OGR_EPS): OgrEstimate {
  const dG = Math.max(l.valStart - l.valEnd, 0);
  const dO = (l.valEnd - l.trainEnd) - (l.valStart - l.trainStart);
  return { ...l, dG, dO, raw: dG / Math.max(dO * dO, eps) };
}

/** Normalised weights, or null when no branch has a positive finite weight. */
export function normaliseWeights<K extends string>(raw: Record<K, number>): Record<K, number> | null {
  const keys = Object.keys(raw) as K[];
  let total = 0;
  for (const k of keys) {
    if (!Number.isFinite(raw[k]) || raw[k] < 0) return null;
    total += raw[k];
  }
  if (!(total > 0) || !Number.isFinite(total)) return null;
  const out = {} as Record<K, number>;
  for (const k of keys) out[k] = raw[k] / total;
  return out;
}
