/**
 * MMGCN (Wei et al., MM 2019) in the form of the CKD authors' code (CRIPAC-DIG/Balanced-Multimodal-Rec
 * @ b6e6885, codes/Models.py, classes GCN and MMGCN), which differs from weiyinwei/MMGCN and from
 * MMRec's MMGCN. Facts and decisions: docs/backbones.md, section MMGCN.
 *
 * Graph: A_hat = D^-1 (A + I), the row-normalised user-item train adjacency with self-loops
 * (userItemGraph 'row-self', the code's norm_adj), users then items (N = U + I nodes).
 * E_id = [user ID; item ID] (two Xavier-uniform 64-d tables). Per modality m (visual v, text t):
 *   X^0 = L2norm rows of [P^m ; F^m W_m + b_m]       P^m: user preference table (U x 64)
 *   three layers k = 1..3, each with three 64x64 linear layers with bias (conv c, linear l, g):
 *     H     = LReLU(A_hat (X W_c + b_c))
 *     X_hat = LReLU(X W_l + b_l) + E_id
 *     X     = LReLU(H W_g + b_g + X_hat)             LReLU = LeakyReLU with slope 0.01
 * Output: (visual branch + text branch) / 2 (64-d), split into users and items; score = dot.
 * Loss (the code's bpr_loss): BPR + l2 * (|u|^2 + |i|^2 + |j|^2) / 2 / batch on the final 64-d
 * representations of the batch, l2 = 1e-5 (its regs[0]). Reference lr 5e-4, batch 1024.
 * Initialisation as the code: ID tables Xavier-uniform, every linear layer torch.nn.Linear's default
 * (uniform +-1/sqrt(fan_in) for weight and bias), P^m Xavier-normal.
 *
 * Decisions and deviations (ours, on purpose):
 *  - P^m are trainable parameters, saved with the model (and so with CKD teachers). In the code they
 *    are plain random tensors (xavier_normal_ on a tensor, then .cuda(): not nn.Parameters), never
 *    trained nor saved, so reloaded teachers draw different ones than they were trained with.
 *  - Item features are fixed and projected by the trained layer W_m (FixedFeatures), as in the code.
 *  - Mean ablation of modality m (the code's training=2/3 forward): its item features are replaced by
 *    their item mean before the projection, and P^m by its user mean (then, as in the code, the
 *    whole [P^m; F^m] is L2-normalised). The mean still passes through nonlinear layers and the
 *    degree-weighted aggregation mixed with E_id, so the ablation removes the modality's
 *    information but is not an exact removal of its contribution: inherent to the model.
 *  - No dropout (the code passes a dropout list but never applies it); `training` has no effect.
 *  - Parameter groups: visual = {W_v, b_v, P^v, the 9 linear layers of the visual GCN}; text
 *    likewise; shared = {user ID, item ID}.
 * Hyper-parameters (opts.params): l2 (1e-5), layers (3).
 * Cost per step: both branches propagate over the whole graph (3 x (3 dense 64x64 products + one
 * spmm) each) and project all item features; a BPR batch then gathers its rows.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, Modality, MODALITIES } from '../data/dataset';
import { userItemGraph } from '../data/graphs';
import { CkdError } from '../errors';
import { Rng } from '../engine/random';
import { leakyRelu } from '../nn/activation';
import { linear } from '../nn/dense';
import { add, mean } from '../nn/elementwise';
import { FixedFeatures } from '../nn/fixed-features';
import { SparseMatrix, spmm } from '../nn/graph';
import { Matrix, Vector, linearBias, linearWeight, xavierNormal, xavierUniform } from '../nn/init';
import { l2NormalizeRows } from '../nn/normalize';
import { gatherRows } from '../nn/rows';
import { sameInEveryPass } from '../nn/same-in-every-pass';
import { itemFeatures, userPreferences } from './ablation';
import {
  Backbone, BackboneFactory, BackboneOptions, ModalityMask, ParameterGroups, Representations, RowRequest,
  TripleBatch, allVariables, keeps,
} from './backbone';
import { readModelParams } from './params';
import { ValuesOf, int, num } from '../options/spec';

/** MMGCN's hyper-parameters (opts.params), declared once (lib/models/params.ts). */
export const MMGCN_PARAMS = {
  l2: num(1e-5, 'weight of the L2 term on the batch\'s final representations (the code\'s regs[0])', { min: 0, role: 'l2' }),
  layers: int(3, 'graph layers per modality (3 in the code)', { min: 1 }),
} as const;

export type MmgcnParams = ValuesOf<typeof MMGCN_PARAMS>;

export const MMGCN_DEFAULTS: Readonly<MmgcnParams> = readModelParams('mmgcn', MMGCN_PARAMS, {});
/** The CKD code's learning rate (its parser default). */
export const MMGCN_LR = 5e-4;

const LEAKY_SLOPE = 0.01;

interface Dense { w: Matrix; b: Vector }
/** One graph layer: conv (before aggregation), linear (the node's own path), g (after aggregation). */
interface GcnLayer { conv: Dense; lin: Dense; g: Dense }

export class Mmgcn implements Backbone {
  readonly name = 'mmgcn';
  readonly outDim: number;
  readonly groups: ParameterGroups;
  readonly params: Readonly<MmgcnParams>;
  private readonly numUsers: number;
  private readonly numItems: number;
  private readonly graph: SparseMatrix;
  private readonly userId: Matrix;
  private readonly itemId: Matrix;
  private readonly pref: Record<Modality, Matrix>;
  private readonly proj: Record<Modality, Dense>;
  private readonly gcn: Record<Modality, GcnLayer[]>;
  private readonly features: Record<Modality, FixedFeatures>;

  constructor(data: Dataset, opts: BackboneOptions) {
    this.params = readModelParams('mmgcn', MMGCN_PARAMS, opts.params);
    const d = (this.outDim = opts.dim ?? 64);
    this.numUsers = data.numUsers;
    this.numItems = data.numItems;
    const rng = new Rng(opts.seed).fork('mmgcn');
    this.graph = new SparseMatrix(userItemGraph(data.train, data.numUsers, data.numItems, 'row-self'));
    this.userId = xavierUniform(rng.fork('user'), data.numUsers, d);
    this.itemId = xavierUniform(rng.fork('item'), data.numItems, d);
    this.pref = {
      visual: xavierNormal(rng.fork('pref_v'), data.numUsers, d),
      text: xavierNormal(rng.fork('pref_t'), data.numUsers, d),
    };
    this.features = {
      visual: new FixedFeatures(data.features.visual),
      text: new FixedFeatures(data.features.text),
    };
    const dense = (r: Rng, fanIn: number): Dense => ({ w: linearWeight(r.fork('w'), fanIn, d), b: linearBias(r.fork('b'), fanIn, d) });
    this.proj = {
      visual: dense(rng.fork('proj_v'), data.features.visual.cols),
      text: dense(rng.fork('proj_t'), data.features.text.cols),
    };
    const gcnOf = (m: Modality): GcnLayer[] => Array.from({ length: this.params.layers }, (_, k) => {
      const r = rng.fork(`gcn_${m}_${k}`);
      return { conv: dense(r.fork('conv'), d), lin: dense(r.fork('lin'), d), g: dense(r.fork('g'), d) };
    });
    this.gcn = { visual: gcnOf('visual'), text: gcnOf('text') };
    const branch = (m: Modality): tf.Variable[] => [
      this.proj[m].w, this.proj[m].b, this.pref[m],
      ...this.gcn[m].flatMap(l => [l.conv.w, l.conv.b, l.lin.w, l.lin.b, l.g.w, l.g.b]),
    ];
    this.groups = { shared: [this.userId, this.itemId], visual: branch('visual'), text: branch('text') };
  }

  variables(): tf.Variable[] { return allVariables(this.groups); }

  forward(mask: ModalityMask, rows: RowRequest = {}, _training = false): Representations {
    return tf.tidy(() => {
      const U = this.numUsers;
      const idEmb = tf.concat([this.userId, this.itemId], 0) as tf.Tensor2D;
      // A kept modality's branch is the same in every pass of a step that keeps it (lib/nn/same-in-every-pass.ts).
      const [v, t] = MODALITIES.map(m => keeps(mask, m)
        ? sameInEveryPass(this, `branch_${m}`, () => this.branch(m, 'all', idEmb))
        : this.branch(m, mask, idEmb));
      const rep = mean(v, t);
      if (!rows.users && !rows.items) {
        return { users: tf.slice(rep, [0, 0], [U, -1]), items: tf.slice(rep, [U, 0], [this.numItems, -1]) };
      }
      const users = rows.users ? gatherRows(rep, rows.users) : tf.slice(rep, [0, 0], [U, -1]);
      const items = rows.items ? gatherRows(rep, rows.items.map(i => i + U)) : tf.slice(rep, [U, 0], [this.numItems, -1]);
      return { users, items };
    });
  }

  /** One modality's GCN over all nodes (N x d); the modality's inputs are mean-ablated when masked. */
  private branch(m: Modality, mask: ModalityMask, idEmb: tf.Tensor2D): tf.Tensor2D {
    const pref = userPreferences(mask, m, this.pref[m]);
    const feat = itemFeatures(mask, m, this.features[m], this.proj[m]);
    let x = l2NormalizeRows(tf.concat([pref, feat], 0) as tf.Tensor2D);
    for (const layer of this.gcn[m]) {
      const h = leakyRelu(spmm(this.graph, linear(x, layer.conv.w, layer.conv.b)), LEAKY_SLOPE);
      const xHat = add(leakyRelu(linear(x, layer.lin.w, layer.lin.b), LEAKY_SLOPE), idEmb);
      x = leakyRelu(add(linear(h, layer.g.w, layer.g.b), xHat), LEAKY_SLOPE);
    }
    return x;
  }

  regularization(batch: TripleBatch, reps: Representations): tf.Scalar {
    return tf.tidy(() => tf.mul(tf.add(tf.sum(tf.square(reps.users)), tf.sum(tf.square(reps.items))),
      this.params.l2 / 2 / batch.users.length));
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
    for (const m of MODALITIES) this.features[m].dispose();
    this.graph.dispose();
  }
}

export const mmgcnFactory: BackboneFactory = (data, opts) => new Mmgcn(data, opts);
