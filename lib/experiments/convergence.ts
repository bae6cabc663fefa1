/**
 * Whether a run converged: validation Recall@20 stopped improving for long enough that its best
 * state is not an accident of a short patience. We ask for both
 *   - the run's own patience rule to have stopped it (not its epoch cap), and
 *   - at least MIN_FLAT_EPOCHS epochs without a better validation after the best epoch.
 * The second condition is why the short protocol of our first grid (patience 5 epochs) counts as
 * not converged: side by side with the authors' code, its text teachers stopped after 15-39
 * epochs at popularity level while the same models kept improving for over 300 epochs at the
 * authors' settings. Tables flag every run that did not converge.
 */
export interface ConvergenceInput {
  bestEpoch: number;
  epochsRun: number;
}

export interface ConvergenceRule {
  evalEvery: number;
  patience: number;
}

/** The shortest flat stretch after the best epoch that counts as convergence. */
export const MIN_FLAT_EPOCHS = 20;

export function hasConverged(r: ConvergenceInput, rule: ConvergenceRule): boolean {
  const flat = r.epochsRun - r.bestEpoch;
  return flat >= rule.patience * rule.evalEvery && flat >= MIN_FLAT_EPOCHS;
}
