import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../lib/engine/random';

/** Shared checks for the engine tests. */

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.strictEqual(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= tol * (1 + Math.abs(expected[i])))) assert.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/**
 * Checks tfjs's gradients of sum(C * f(xs)) against central differences of the same float32
 * forward. Ops here are linear or smooth, so eps in float32 gives errors far below `tol`.
 */
export function gradCheck(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], rng: Rng, eps: number, tol: number, what: string): void {
  const y0 = f(...xs);
  const C = Array.from({ length: y0.size }, () => rng.normal());
  const dy = tf.tensor(C, y0.shape);
  y0.dispose();
  const analytic = tf.grads(f)(xs, dy);
  dy.dispose();
  const loss = (args: tf.Tensor[]) => {
    const y = f(...args);
    const v = y.dataSync();
    y.dispose();
    let s = 0;
    for (let i = 0; i < v.length; i++) s += C[i] * v[i];
    return s;
  };
  xs.forEach((x, which) => {
    const base = Array.from(x.dataSync());
    const numeric = base.map((_, i) => {
      const at = (delta: number) => {
        const v = base.slice();
        v[i] += delta;
        const xi = tf.tensor(v, x.shape, 'float32');
        const args = xs.map((t, j) => (j === which ? xi : t));
        const l = loss(args);
        xi.dispose();
        return l;
      };
      return (at(eps) - at(-eps)) / (2 * eps);
    });
    assertClose(analytic[which].dataSync(), numeric, tol, `${what}: d/dx${which}`);
  });
  tf.dispose(analytic);
}
