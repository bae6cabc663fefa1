/**
 * CKD's distillation losses on pairwise margins, per triple (callers take means or weighted
 * means). dt: teacher margins (constants), ds: student channel margins.
 *
 * Specific distillation (training triples), paper Eq. 11, and the Table 3 replacements:
 *   hinge  max(dt - ds, 0)           the student must at least reach the teacher's margin
 *   mse    (dt - ds)^2
 *   kl     KL(Bern(sigma(dt/tau)) || Bern(sigma(ds/tau)))
 * The paper names the KL replacement without formula. The only KL between two scalar margins
 * is between the Bernoulli distributions they induce; we use the same temperature as the
 * generic loss. It equals the BCE below minus the teacher's entropy (a constant), so it trains
 * exactly like the BCE (the authors' code calls its BCE function `KLDiverge`).
 *
 * Generic distillation (universal triples), paper Eqs. 12-13: binary cross-entropy between
 * sigma(dt/tau) and sigma(ds/tau). 'exact' is Eq. 12 written with softplus (stable for any
 * margin; tfjs 4.22's logSigmoid gradient is broken inside minimize). 'reference-code' is the
 * authors' form -(p log(q + 1e-8) + (1 - p) log(1 - q + 1e-8)), whose gradient vanishes once
 * |ds/tau| passes ~18, i.e. |ds| > ~1.8 at tau = 0.1.
 */
import * as tf from '@tensorflow/tfjs-core';

export type SdLoss = 'hinge' | 'kl' | 'mse';
export const SD_LOSSES: readonly SdLoss[] = ['hinge', 'kl', 'mse'];
export type BceForm = 'exact' | 'reference-code';
export const BCE_FORMS: readonly BceForm[] = ['exact', 'reference-code'];

export function hingeLoss(dt: tf.Tensor1D, ds: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.relu(tf.sub(dt, ds)) as tf.Tensor1D);
}

export function mseLoss(dt: tf.Tensor1D, ds: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.square(tf.sub(dt, ds)) as tf.Tensor1D);
}

/** BCE(sigma(dt/tau), sigma(ds/tau)) = p softplus(-ds/tau) + (1 - p) softplus(ds/tau), p = sigma(dt/tau). */
export function bceWithTemperature(dt: tf.Tensor1D, ds: tf.Tensor1D, tau: number, form: BceForm = 'exact'): tf.Tensor1D {
  return tf.tidy(() => {
    const p = tf.sigmoid(tf.div(dt, tau));
    const b = tf.div(ds, tau);
    if (form === 'reference-code') {
      const q = tf.sigmoid(b);
      return tf.neg(tf.add(tf.mul(p, tf.log(tf.add(q, 1e-8))), tf.mul(tf.sub(1, p), tf.log(tf.add(tf.sub(1, q), 1e-8))))) as tf.Tensor1D;
    }
    return tf.add(tf.mul(p, tf.softplus(tf.neg(b))), tf.mul(tf.sub(1, p), tf.softplus(b))) as tf.Tensor1D;
  });
}

/** KL(Bern(p) || Bern(q)), p = sigma(dt/tau), q = sigma(ds/tau): BCE minus the entropy of p. */
export function klWithTemperature(dt: tf.Tensor1D, ds: tf.Tensor1D, tau: number): tf.Tensor1D {
  return tf.tidy(() => {
    const a = tf.div(dt, tau);
    const p = tf.sigmoid(a);
    // Entropy of p: p softplus(-a) + (1 - p) softplus(a) (finite for any a).
    const entropy = tf.add(tf.mul(p, tf.softplus(tf.neg(a))), tf.mul(tf.sub(1, p), tf.softplus(a)));
    return tf.sub(bceWithTemperature(dt, ds, tau, 'exact'), entropy) as tf.Tensor1D;
  });
}

/** The specific-distillation loss per triple. */
export function specificLoss(kind: SdLoss, dt: tf.Tensor1D, ds: tf.Tensor1D, tau: number): tf.Tensor1D {
  switch (kind) {
    case 'hinge': return hingeLoss(dt, ds);
    case 'mse': return mseLoss(dt, ds);
    case 'kl': return klWithTemperature(dt, ds, tau);
  }
}

/** The generic-distillation loss: mean BCE over the universal triples. */
export function genericLoss(dt: tf.Tensor1D, ds: tf.Tensor1D, tau: number, form: BceForm = 'exact'): tf.Scalar {
  return tf.tidy(() => tf.mean(bceWithTemperature(dt, ds, tau, form)) as tf.Scalar);
}
