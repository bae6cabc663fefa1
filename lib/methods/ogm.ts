/**
 * OGM-GE, on-the-fly gradient modulation with generalisation enhancement (Peng et al., CVPR
 * 2022; GeWu-Lab/OGM-GE_CVPR2022 @ 343dc1d, main.py; docs/method.md, "OGM-GE"), for any backbone
 * through the Backbone interface.
 *
 * The loss is plain training's (BPR + the backbone's own L2, with every modality); backward runs
 * on it alone. Per step, from the values of the same batch (no gradient):
 *   s_m = sum_B sigma(margin of modality m), the batch's "probability of the right answer" of m;
 *   margin of m, option `score`:
 *     'contribution' (default)  ds - ds^{-m}: the margin with every modality minus the margin
 *                                with m ablated (the other modality's channel). For VBPR this is
 *                                exactly the modality-only margin p_u^m W_m (f_i - f_j), the
 *                                preferred score where a model has one, the analogue of the
 *                                official out_v = W_v v (+ half the bias); for other backbones
 *                                it is the causal effect of m.
 *     'branch'                   ds^m, the margin of the ablated branch (every other modality
 *                                mean-ablated); for VBPR it includes the shared ID part.
 *   rho = s_v / s_t; if rho > 1: k_v = 1 - tanh(alpha * rho), k_t = 1;
 *   else k_t = 1 - tanh(alpha / rho), k_v = 1 (the official code: tanh of the ratio itself, not of
 *   ratio - 1, so even a balanced batch damps one side by 1 - tanh(alpha)).
 * Within the modulation window (epochs windowStart..windowEnd inclusive; the official README
 * runs epochs 0..50 0-based, i.e. 1..51 here) every gradient of modality m's parameter group is
 * multiplied by k_m and, with GE, N(0, (std(g) + 1e-8)^2) noise is added to both groups, std over
 * the unscaled gradient as in the official code. Shared parameters (ID tables) are untouched.
 *
 * Our decisions where recommendation differs from the official image/audio setting:
 *  - Groups: the backbone's own `groups.visual` / `groups.text` (all their parameters; the
 *    official code modulates only the encoders' 4-D conv weights).
 *  - Embedding tables: a BPR batch touches few rows of a user table; rows whose gradient is all
 *    zero are left alone: the std is taken over the touched rows only and noise is added only
 *    to them (noise on every row would move users the batch never saw, and Adam would amplify it).
 *    The rule is applied to every 2-D gradient (dense weights normally have no zero rows).
 *  - The backbone's L2 term is inside the loss, so its gradient is scaled along (as in the
 *    official code, where weight decay is inside SGD, it is not); Adam partly undoes any constant
 *    per-parameter scale: both are inherent to putting OGM on these backbones.
 * Noise is drawn from ctx.rng (seeded).
 * diagnostics(): epoch means of s_visual, s_text, rho, k_visual, k_text, modulated (fraction of
 * steps inside the window); `trace` holds every step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, Modality, MODALITIES } from '../data/dataset';
import { CkdError } from '../errors';
import { Backbone, TripleBatch } from '../models/backbone';
import { bprLoss, tripleScores } from '../train/bpr';
import { StepContext, StepLoss, TrainingMethod } from '../train/method';
import { withHostValues } from '../nn/host-values';
import { batchTriples, tripleMargins } from './margins';
import { StepTrace } from './step-trace';
import { ValuesOf, bool, choice, defaultsOf, int, num, resolveOptions } from '../options/spec';

export type OgmScore = 'contribution' | 'branch';
export const OGM_SCORES: readonly OgmScore[] = ['contribution', 'branch'];

/** OGM-GE's options, declared once (lib/options/spec.ts): type, defaults, checks, CLI flags and help. */
export const OGM_OPTION_SPECS = {
  alpha: num(0.1, 'modulation strength (k = 1 - tanh(alpha * rho))', { min: 0 }),
  /** First and last epoch (1-based, inclusive) of modulation and noise. */
  windowStart: int(1, 'first epoch of modulation (1-based)', { min: 1 }),
  windowEnd: int(51, 'last epoch of modulation (inclusive)', { min: 1 }),
  /** Generalisation enhancement (Gaussian noise); false = plain OGM. */
  ge: bool(true, 'the generalisation enhancement noise', 'plain OGM, without GE'),
  score: choice(OGM_SCORES, 'contribution', 'margin per modality: contribution (ds - ds with m ablated) or branch (ablated branch)'),
} as const;

export type OgmOptions = ValuesOf<typeof OGM_OPTION_SPECS>;

export const OGM_DEFAULTS: Readonly<OgmOptions> = defaultsOf(OGM_OPTION_SPECS);

export function ogmOptions(o: Partial<OgmOptions> = {}): OgmOptions {
  const r = resolveOptions('OGM option', OGM_OPTION_SPECS, o);
  if (r.windowEnd < r.windowStart) {
    throw new CkdError(`OGM window must be whole epochs with 1 <= windowStart <= windowEnd (got ${r.windowStart}..${r.windowEnd})`);
  }
  return r;
}

export interface OgmCoefficients {
  rho: number;
  k: Record<Modality, number>;
}

/** The official coefficients from the two scores. Degenerate scores (0/0) modulate nothing. */
export function ogmCoefficients(sVisual: number, sText: number, alpha: number): OgmCoefficients {
  const rho = sVisual / sText;
  if (Number.isNaN(rho)) return { rho, k: { visual: 1, text: 1 } };
  if (rho > 1) return { rho, k: { visual: 1 - Math.tanh(alpha * rho), text: 1 } };
  return { rho, k: { visual: 1, text: 1 - Math.tanh(alpha / rho) } };
}

/** sum_k sigma(x_k). */
export function sigmoidSum(x: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < x.length; k++) s += 1 / (1 + Math.exp(-x[k]));
  return s;
}

/**
 * GE noise for one gradient: N(0, (std + 1e-8)^2) on the rows the gradient touches (2-D: rows
 * that are not all zero; otherwise every entry), std (unbiased, like torch) over those entries.
 */
export function geNoise(g: tf.Tensor, seed: number): tf.Tensor {
  return tf.tidy(() => {
    let mask: tf.Tensor;
    let count: tf.Scalar;
    if (g.rank === 2) {
      mask = tf.cast(tf.greater(tf.sum(tf.abs(g), 1, true), 0), 'float32');
      count = tf.mul(tf.sum(mask), g.shape[1]!) as tf.Scalar;
    } else {
      mask = tf.onesLike(g);
      count = tf.scalar(g.size);
    }
    const mean = tf.div(tf.sum(g), tf.maximum(count, 1));
    const centred = tf.mul(tf.sub(g, mean), mask);
    const variance = tf.div(tf.sum(tf.square(centred)), tf.maximum(tf.sub(count, 1), 1));
    const std = tf.add(tf.sqrt(variance), 1e-8);
    return tf.mul(tf.mul(tf.randomNormal(g.shape, 0, 1, 'float32', seed), std), mask);
  });
}

function checkMultimodal(ctx: StepContext): void {
  if (ctx.mask !== 'all') throw new CkdError(`OGM-GE trains a multimodal model (mode multimodal), not a ${ctx.mask}-only model`);
}

export class OgmGeMethod implements TrainingMethod {
  readonly name = 'ogm';
  readonly options: OgmOptions;
  readonly trace = new StepTrace();
  private readonly data: Dataset;
  private current: OgmCoefficients = { rho: NaN, k: { visual: 1, text: 1 } };

  constructor(_model: Backbone, data: Dataset, options: Partial<OgmOptions> = {}) {
    this.options = ogmOptions(options);
    this.data = data;
  }

  /** The coefficients of the last step. */
  get coefficients(): OgmCoefficients { return { rho: this.current.rho, k: { ...this.current.k } }; }

  inWindow(epoch: number): boolean {
    return epoch >= this.options.windowStart && epoch <= this.options.windowEnd;
  }

  /** The forward passes, then the coefficients from the margins' values (read to the host: at once on wasm and cpu, awaited on webgpu). */
  loss(batch: TripleBatch, ctx: StepContext): StepLoss | Promise<StepLoss> {
    checkMultimodal(ctx);
    const f = this.forward(batch, ctx);
    return withHostValues({ all: f.all, visual: f.channel.visual, text: f.channel.text },
      v => this.finish(f, ctx, v.all, { visual: v.visual, text: v.text }));
  }

  /** BPR, regularisation, and the fused and per-channel margins of the batch. */
  private forward(batch: TripleBatch, ctx: StepContext): { bpr: tf.Scalar; reg: tf.Scalar; all: tf.Tensor1D; channel: Record<Modality, tf.Tensor1D> } {
    const { pos, neg, reps } = tripleScores(ctx.model, ctx.mask, batch, true);
    const bpr = bprLoss(pos, neg);
    const reg = ctx.model.regularization(batch, reps);
    const all = tf.sub(pos, neg) as tf.Tensor1D;
    const onBatch = batchTriples(batch);
    const channel = {} as Record<Modality, tf.Tensor1D>;
    for (const m of MODALITIES) channel[m] = tripleMargins(ctx.model, this.data, m, [onBatch], true)[0];
    return { bpr, reg, all, channel };
  }

  /** The coefficients from the margins read to the host, and the step's loss. */
  private finish(f: { bpr: tf.Scalar; reg: tf.Scalar }, ctx: StepContext, all: Float32Array, channel: Record<Modality, Float32Array>): StepLoss {
    const s = {} as Record<Modality, number>;
    for (const m of MODALITIES) {
      if (this.options.score === 'branch') {
        s[m] = sigmoidSum(channel[m]);
      } else {
        const ablated = channel[m === 'visual' ? 'text' : 'visual'];
        s[m] = sigmoidSum(all.map((v, k) => v - ablated[k]));
      }
    }
    this.current = ogmCoefficients(s.visual, s.text, this.options.alpha);
    this.trace.record(ctx.epoch, ctx.step, {
      s_visual: s.visual, s_text: s.text, rho: this.current.rho,
      k_visual: this.current.k.visual, k_text: this.current.k.text, modulated: this.inWindow(ctx.epoch) ? 1 : 0,
    });
    return { total: tf.add(f.bpr, f.reg) as tf.Scalar, terms: { bpr: f.bpr, reg: f.reg } };
  }

  transformGradients(grads: Record<string, tf.Tensor>, ctx: StepContext): Record<string, tf.Tensor> {
    if (!this.inWindow(ctx.epoch)) return grads;
    const out: Record<string, tf.Tensor> = { ...grads };
    for (const m of MODALITIES) {
      const k = this.current.k[m];
      for (const v of ctx.model.groups[m]) {
        const g = grads[v.name];
        if (!g) continue;
        if (this.options.ge) {
          const seed = ctx.rng.seedInt();
          out[v.name] = tf.tidy(() => tf.add(tf.mul(g, k), geNoise(g, seed)));
        } else if (k !== 1) {
          out[v.name] = tf.mul(g, k);
        }
      }
    }
    return out;
  }

  diagnostics(): Record<string, number> {
    return this.trace.takeMeans();
  }

  dispose(): void {}
}
