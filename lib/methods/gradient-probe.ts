/**
 * Section 2.4 measured: on a fixed set of training triples, the quantities of the paper's
 * gradient argument, for any backbone through forward(mask).
 *   shared      mean sigmoid(-margin) under the training mask: dL_BPR/dS^m, the same for every m
 *   S_<m>       mean contribution of modality m to the margin: margin(all) - margin(m ablated),
 *               the generic form of VBPR's S^m_uij = (p_u^m W_m)(e_i^m - e_j^m)
 *   grad_<g>    L2 norm of the BPR loss's gradient (training mask) over parameter group g
 *               (shared, visual, text)
 * The triples are drawn once from the probe's own seed, so every epoch and every model is
 * measured on the same batch. Nothing here changes the model.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, MODALITIES } from '../data/dataset';
import { TripleSampler } from '../data/samplers';
import { Rng } from '../engine/random';
import { Backbone, ModalityMask, ParameterGroups } from '../models/backbone';
import { bprLoss } from '../train/bpr';
import { leanVariableGrads } from '../train/lean-gradients';
import { readScalars } from '../nn/host-values';
import { TripleSet, tripleMargins } from './margins';

export const PROBE_GROUPS: readonly (keyof ParameterGroups)[] = ['shared', 'visual', 'text'];

export class GradientProbe {
  private readonly set: TripleSet;

  constructor(private readonly data: Dataset, size = 2048, seed = 7) {
    const batch = new TripleSampler(data.train, data.numItems).epoch(size, new Rng(seed).fork('gradient-probe'))[0];
    this.set = { users: batch.users, a: batch.pos, b: batch.neg };
  }

  get triples(): number { return this.set.users.length; }

  /** The probe's numbers for the model in its current state, trained under `mask` (S_<m> for mask 'all' only). */
  async measure(model: Backbone, mask: ModalityMask): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const margins = tf.tidy(() => {
      const named: Record<string, tf.Tensor> = { own: tripleMargins(model, this.data, mask, [this.set], false)[0] };
      if (mask === 'all') {
        for (const m of MODALITIES) {
          const ablated: ModalityMask = m === 'text' ? 'visual' : 'text'; // keeps the other modality only
          named[m] = tripleMargins(model, this.data, ablated, [this.set], false)[0];
        }
      }
      return named;
    });
    const host: Record<string, Float32Array> = {};
    try {
      for (const [k, t] of Object.entries(margins)) host[k] = await t.data() as Float32Array;
    } finally {
      tf.dispose(Object.values(margins));
    }
    const own = host.own;
    out.shared = mean(own.map(x => 1 / (1 + Math.exp(x))));
    out.margin = mean(own);
    if (mask === 'all') for (const m of MODALITIES) out[`S_${m}`] = mean(own.map((x, i) => x - host[m][i]));
    for (const g of PROBE_GROUPS) {
      const vars = model.groups[g];
      if (vars.length === 0) { out[`grad_${g}`] = 0; continue; }
      // Inference-mode forward: a training forward may draw dropout noise, and the probe must not perturb training.
      const { value, grads } = leanVariableGrads(() => {
        const [m] = tripleMargins(model, this.data, mask, [this.set], false);
        return bprLoss(m, tf.zerosLike(m));
      }, vars);
      const squares = tf.tidy(() => Object.fromEntries(Object.entries(grads).map(([k, t]) => [k, tf.sum(tf.square(t))])));
      let sq = 0;
      try {
        for (const x of Object.values(await readScalars(squares))) sq += x;
      } finally {
        tf.dispose([value, ...Object.values(grads), ...Object.values(squares)]);
      }
      out[`grad_${g}`] = Math.sqrt(sq);
    }
    return out;
  }
}

function mean(xs: Float32Array): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length ? s / xs.length : NaN;
}
