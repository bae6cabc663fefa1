/**
 * Whether a run converged: it stopped because validation Recall@20 had not improved for
 * `patience` validations, not because it reached its epoch cap. Its best epoch then lies
 * patience x evalEvery epochs before its last. A run that reached the cap while still improving
 * (or that improved in the last patience window) did not converge: its teacher or student may be
 * far from what its architecture can reach, and tables flag it.
 */
export interface ConvergenceInput {
  bestEpoch: number;
  epochsRun: number;
}

export interface ConvergenceRule {
  evalEvery: number;
  patience: number;
}

export function hasConverged(r: ConvergenceInput, rule: ConvergenceRule): boolean {
  return r.epochsRun - r.bestEpoch >= rule.patience * rule.evalEvery;
}
