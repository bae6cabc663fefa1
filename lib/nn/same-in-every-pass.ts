/**
 * Values that are the same in every forward pass of a training step.
 *
 * A CKD step runs a model three times: with every modality and once with each modality
 * mean-ablated. In a late-fusion backbone (MMGCN, GRCN) the branch of a modality that a pass
 * keeps has the same inputs, hence the same output, in every pass that keeps it: the variables do
 * not change within a step. Inside reusingWithinStep(f) a model's `sameInEveryPass(owner, key,
 * compute)` computes such a value once and hands every later pass a copy; outside it (evaluation,
 * or a method that does not ask for it) it just computes.
 *
 * The values are those of computing each time. The gradient is not bit for bit: it flows back
 * through the shared value once, summed over the passes, instead of once per pass, so the
 * parameters' gradients are summed in another order and differ in float rounding. That is why it
 * is an option (CKD's reuseKeptBranches), off unless asked for: cells trained without it keep
 * their bits.
 */
import * as tf from '@tensorflow/tfjs-core';
import { inStepScope } from './step-scope';

type Shareable = tf.Tensor | Record<string, tf.Tensor>;

let step: Map<object, Map<string, Shareable>> | null = null;

/** Runs `f` (one step's forward passes; it may return a Promise) with values shared between its passes. */
export function reusingWithinStep<T>(f: () => T): T {
  const open = () => {
    if (step) return false;
    step = new Map();
    return true;
  };
  return inStepScope(open, endStep, f);
}

function endStep(): void {
  for (const values of step?.values() ?? []) for (const v of values.values()) tf.dispose(v);
  step = null;
}

/**
 * `compute()`, a value that depends on `owner`'s variables only (not on the pass's mask): once per
 * step inside reusingWithinStep, copies of it after that; `key` names it within its owner.
 */
export function sameInEveryPass<T extends Shareable>(owner: object, key: string, compute: () => T): T {
  if (!step) return compute();
  let values = step.get(owner);
  if (!values) step.set(owner, values = new Map());
  let v = values.get(key) as T | undefined;
  if (!v) {
    v = compute();
    for (const t of v instanceof tf.Tensor ? [v] : Object.values(v)) tf.keep(t);
    values.set(key, v);
  }
  return (v instanceof tf.Tensor ? tf.clone(v) : Object.fromEntries(Object.entries(v).map(([k, t]) => [k, tf.clone(t)]))) as T;
}
