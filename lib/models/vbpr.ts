/**
 * VBPR (He & McAuley, AAAI 2016) in the form of the CKD authors' code
 * (CRIPAC-DIG/Balanced-Multimodal-Rec, codes/Models.py):
 *   user = [x_u | p_u^v | p_u^t], item = [x_i | W_v f_i^v + b_v | W_t f_i^t + b_t], score = dot.
 * Four 64-d tables (user ID, item ID, user visual and text preference), Xavier-uniform;
 * projections with bias. Like that code, and unlike the original paper, no alpha/beta bias terms.
 * Loss: BPR + reg * (|u|^2 + |i|^2 + |j|^2) / 2 / batch on the 192-d vectors (param reg, 1e-5).
 * Ablating m replaces f^m by its item mean and p^m by its user mean: the ablated part then adds
 * one constant per user to every item's score, so rankings ignore it exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, Modality, MODALITIES } from '../data/dataset';
import { Rng } from '../engine/random';
import { FixedFeatures } from '../nn/fixed-features';
import { Matrix, Vector, linearBias, linearWeight, xavierUniform } from '../nn/init';
import { concatColumns, gatherRows } from '../nn/rows';
import { itemFeatures, userPreferences } from './ablation';
import {
  Backbone, BackboneOptions, ModalityMask, ParameterGroups, Representations, RowRequest,
  TripleBatch, allVariables,
} from './backbone';
import { OptionSpecs, num } from '../options/spec';
import { readModelParams } from './params';

/** VBPR's hyper-parameters (opts.params), declared once (lib/models/params.ts). */
export const VBPR_PARAMS = {
  reg: num(1e-5, 'weight of the L2 term on the batch\'s user and item vectors (the CKD code\'s 1e-5)', { min: 0, role: 'l2' }),
} as const;

export class Vbpr implements Backbone {
  readonly name: string = 'vbpr';
  readonly outDim: number;
  readonly groups: ParameterGroups;
  protected readonly dim: number;
  protected readonly userId: Matrix;
  protected readonly itemId: Matrix;
  protected readonly pref: Record<Modality, Matrix>;
  protected readonly proj: Record<Modality, { w: Matrix; b: Vector | null }>;
  protected readonly features: Record<Modality, FixedFeatures>;
  /** Weight of the L2 term (param reg). */
  protected readonly reg: number;

  /** `layout.params` (with `layout.model`, its name in errors): a subclass's declared parameters, which include VBPR's. */
  constructor(data: Dataset, opts: BackboneOptions, layout: { projectionBias?: boolean; params?: OptionSpecs; model?: string } = {}) {
    this.reg = readModelParams(layout.model ?? 'vbpr', layout.params ?? VBPR_PARAMS, opts.params).reg as number;
    const d = (this.dim = opts.dim ?? 64);
    this.outDim = 3 * d;
    const rng = new Rng(opts.seed).fork('vbpr');
    this.userId = xavierUniform(rng.fork('user'), data.numUsers, d);
    this.itemId = xavierUniform(rng.fork('item'), data.numItems, d);
    this.pref = {
      visual: xavierUniform(rng.fork('pref_v'), data.numUsers, d),
      text: xavierUniform(rng.fork('pref_t'), data.numUsers, d),
    };
    this.features = {
      visual: new FixedFeatures(data.features.visual),
      text: new FixedFeatures(data.features.text),
    };
    const projOf = (m: Modality) => {
      const fanIn = data.features[m].cols;
      return {
        w: linearWeight(rng.fork(`w_${m}`), fanIn, d),
        b: layout.projectionBias === false ? null : linearBias(rng.fork(`b_${m}`), fanIn, d),
      };
    };
    this.proj = { visual: projOf('visual'), text: projOf('text') };
    this.groups = {
      shared: [this.userId, this.itemId],
      visual: [this.pref.visual, this.proj.visual.w, ...(this.proj.visual.b ? [this.proj.visual.b] : [])],
      text: [this.pref.text, this.proj.text.w, ...(this.proj.text.b ? [this.proj.text.b] : [])],
    };
  }

  variables(): tf.Variable[] { return allVariables(this.groups); }

  /** Item content part of modality m for the requested items (all when omitted), mean-ablated unless the mask keeps m. */
  protected itemContent(m: Modality, mask: ModalityMask, items: Int32Array | undefined): tf.Tensor2D {
    return itemFeatures(mask, m, this.features[m], this.proj[m], items);
  }

  forward(mask: ModalityMask, rows: RowRequest = {}): Representations {
    return tf.tidy(() => {
      const uid = (rows.users ? gatherRows(this.userId, rows.users) : this.userId) as tf.Tensor2D;
      const iid = (rows.items ? gatherRows(this.itemId, rows.items) : this.itemId) as tf.Tensor2D;
      const users = concatColumns([uid, ...MODALITIES.map(m => userPreferences(mask, m, this.pref[m], rows.users))]);
      const items = concatColumns([iid, ...MODALITIES.map(m => this.itemContent(m, mask, rows.items))]);
      return { users, items };
    });
  }

  regularization(batch: TripleBatch, reps: Representations): tf.Scalar {
    return tf.tidy(() => tf.mul(tf.add(tf.sum(tf.square(reps.users)), tf.sum(tf.square(reps.items))),
      this.reg / 2 / batch.users.length));
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
    for (const m of MODALITIES) this.features[m].dispose();
  }
}
