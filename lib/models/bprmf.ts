/**
 * BPR-MF (Rendle et al., UAI 2009): ID embeddings only, the reference point without content.
 * Masks have no effect (there is no modality to ablate). Same L2 form as VBPR (param reg, 1e-5).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dataset } from '../data/dataset';
import { Rng } from '../engine/random';
import { Matrix, xavierUniform } from '../nn/init';
import { gatherRows } from '../nn/rows';
import {
  Backbone, BackboneOptions, ParameterGroups, Representations, RowRequest, TripleBatch, allVariables,
} from './backbone';
import { num } from '../options/spec';
import { readModelParams } from './params';

/** BPR-MF's hyper-parameters (opts.params), declared once (lib/models/params.ts). */
export const BPRMF_PARAMS = {
  reg: num(1e-5, 'weight of the L2 term on the batch\'s user and item vectors (as VBPR)', { min: 0, role: 'l2' }),
} as const;

export class BprMf implements Backbone {
  readonly name = 'bprmf';
  readonly outDim: number;
  readonly groups: ParameterGroups;
  private readonly userId: Matrix;
  private readonly itemId: Matrix;
  private readonly reg: number;

  constructor(data: Dataset, opts: BackboneOptions) {
    this.reg = readModelParams('bprmf', BPRMF_PARAMS, opts.params).reg;
    this.outDim = opts.dim ?? 64;
    const rng = new Rng(opts.seed).fork('bprmf');
    this.userId = xavierUniform(rng.fork('user'), data.numUsers, this.outDim);
    this.itemId = xavierUniform(rng.fork('item'), data.numItems, this.outDim);
    this.groups = { shared: [this.userId, this.itemId], visual: [], text: [] };
  }

  variables(): tf.Variable[] { return allVariables(this.groups); }

  forward(_mask: unknown, rows: RowRequest = {}): Representations {
    return tf.tidy(() => ({
      users: (rows.users ? gatherRows(this.userId, rows.users) : tf.clone(this.userId)) as tf.Tensor2D,
      items: (rows.items ? gatherRows(this.itemId, rows.items) : tf.clone(this.itemId)) as tf.Tensor2D,
    }));
  }

  regularization(batch: TripleBatch, reps: Representations): tf.Scalar {
    return tf.tidy(() => tf.mul(tf.add(tf.sum(tf.square(reps.users)), tf.sum(tf.square(reps.items))),
      this.reg / 2 / batch.users.length));
  }

  dispose(): void { for (const v of this.variables()) v.dispose(); }
}
