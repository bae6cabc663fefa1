/**
 * GRCN (Wei et al., MM 2020) after weiyinwei/GRCN @ 24bd1fa (Model_routing.py, GATConv.py,
 * SAGEConv.py) and MMRec's src/models/grcn.py @ e775373, with the reference defaults
 * (weight_mode 'confid', fusion 'concat', pruning on, has_norm on, has_act off, aggr 'add').
 * Facts and decisions: docs/backbones.md, section GRCN.
 *
 * Graph: the user-item train graph only, every interaction as two directed edges (user -> item,
 * item -> user), no self-loops (userItemGraph 'none'); edge j -> i is CSR entry (row i, column j).
 * Per modality m (visual v, text t):
 *   f_i = L2norm(LReLU(W_m x_i + b_m)) (items),  p_u = L2norm(P_m[u]) (users),  h = [p; f]
 *   a^m_ji = softmax over i's in-edges of <h_i, h_j>   (sddmm + segmentSoftmax)
 *   C_m = h + sum_j a^m_ji h_j                          (users p_u + sum a f_i; items f_i + sum a p_u)
 * Graph refinement ("pruning"): w_ji = ReLU(max_m a^m_ji * conf[j, m]), conf a learned (U+I) x M
 * confidence table read at the edge's source j.
 * ID network: x = L2norm(E_id) (one (U+I) x 64 table), h1 = sum_j w_ji x_j, h2 = sum_j w_ji h1_j
 * (no degree normalisation, no self-loops, no activation), id = x + h1 + h2.
 * Representation [id | C_v | C_t] (192-d), score = dot product.
 * Loss (weiyinwei/GRCN Net.loss): BPR + lambda * [mean(E[u]^2 + E[i]^2) + sum_m mean(P_m[u]^2)] with
 * the reference's batch layout (each user counted once with its positive, once with its negative):
 *   (2 sum_b |E_u|^2 + sum_b |E_pos|^2 + sum_b |E_neg|^2) / (2 B d) + sum_m sum_b |P_m[u]|^2 / (B d),
 * on the raw (unnormalised) tables. Reference defaults: lr 1e-4, lambda 1e-5, batch 1024.
 * (MMRec's copy also adds lambda * mean(P_v^2) over all users, a leftover line; not ours.)
 * Initialisation as the reference: E_id, P_m and the confidence table Xavier-normal (the table as
 * one (U+I) x M matrix: std sqrt(2 / (U+I+M))), W_m and b_m torch.nn.Linear's default.
 *
 * Decisions and deviations (ours, on purpose):
 *  - The "routing" iterations meant to refine p_u before the attention layer are omitted: in both
 *    codebases they aggregate over user -> item edges only, so user rows receive nothing and p_u is
 *    unchanged (renormalising a unit vector); the published numbers come from that no-op.
 *  - The confidence table is stored as one (U+I) x 1 variable per modality (its columns), so that
 *    each column can belong to its modality's parameter group; same values and initialisation.
 *  - Item features are fixed, projected by the trained layer W_m (FixedFeatures); no dropout
 *    (the reference default 0); `training` has no effect.
 *  - Mean ablation of modality m: its item features replaced by their item mean (before W_m),
 *    P_m by its user mean (then normalised like every row), and confidence column m by its mean
 *    over all nodes, else the ablated modality would still re-weight the ID graph per node. With
 *    mean inputs every attention score into a node is equal, so a^m is 1 / in-degree and C_m is
 *    one constant row (p_mean + f_mean) for every node with edges: the ablated modality then adds
 *    one constant per user to every item's score. It still enters the edge weights through
 *    ReLU(max(a^m * mean conf_m, ...)), a degree-dependent term free of the modality's content.
 *  - Parameter groups: visual = {W_v, b_v, P_v, confidence column v}, text likewise,
 *    shared = {E_id}.
 * Hyper-parameters (opts.params): lambda (1e-5, reference --weight_decay).
 * Cost per step: per modality one sddmm, one segment softmax and one weighted spmm over all
 * directed edges, plus two weighted spmm for the ID network and per-edge weights of width 1.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, Modality, MODALITIES } from '../data/dataset';
import { userItemGraph } from '../data/graphs';
import { CkdError } from '../errors';
import { Rng } from '../engine/random';
import { leakyRelu } from '../nn/activation';
import { add, maximum } from '../nn/elementwise';
import { FixedFeatures } from '../nn/fixed-features';
import { SparseMatrix, sddmm, segmentSoftmax, spmmWeighted } from '../nn/graph';
import { Matrix, Vector, linearBias, linearWeight, xavierNormal } from '../nn/init';
import { l2NormalizeRows } from '../nn/normalize';
import { gatherRows, rowsOfConcatenated } from '../nn/rows';
import { sameInEveryPass } from '../nn/same-in-every-pass';
import { itemFeatures, userPreferences } from './ablation';
import {
  Backbone, BackboneFactory, BackboneOptions, ModalityMask, ParameterGroups, Representations, RowRequest,
  TripleBatch, allVariables, keeps,
} from './backbone';
import { idPrefRegularization } from './id-pref-regularization';
import { readModelParams } from './params';
import { ValuesOf, num } from '../options/spec';

/** GRCN's hyper-parameters (opts.params), declared once (lib/models/params.ts). */
export const GRCN_PARAMS = {
  lambda: num(1e-5, 'weight of the embedding regularisation (reference --weight_decay)', { min: 0, role: 'l2' }),
} as const;

export type GrcnParams = ValuesOf<typeof GRCN_PARAMS>;

export const GRCN_DEFAULTS: Readonly<GrcnParams> = readModelParams('grcn', GRCN_PARAMS, {});
/** The reference's learning rate (weiyinwei/GRCN --l_r). */
export const GRCN_LR = 1e-4;

const LEAKY_SLOPE = 0.01;

export class Grcn implements Backbone {
  readonly name = 'grcn';
  readonly outDim: number;
  readonly groups: ParameterGroups;
  readonly params: Readonly<GrcnParams>;
  private readonly dim: number;
  private readonly numUsers: number;
  private readonly numItems: number;
  private readonly graph: SparseMatrix;
  /** Source node of every edge, in CSR order (kept for the confidence lookup). */
  private readonly edgeSource: tf.Tensor1D;
  /** ID embeddings of all nodes, users then items. */
  private readonly idEmb: Matrix;
  private readonly pref: Record<Modality, Matrix>;
  private readonly proj: Record<Modality, { w: Matrix; b: Vector }>;
  /** Column m of the confidence table, (U+I) x 1. */
  private readonly conf: Record<Modality, Matrix>;
  private readonly features: Record<Modality, FixedFeatures>;

  constructor(data: Dataset, opts: BackboneOptions) {
    this.params = readModelParams('grcn', GRCN_PARAMS, opts.params);
    const d = (this.dim = opts.dim ?? 64);
    this.outDim = 3 * d;
    this.numUsers = data.numUsers;
    this.numItems = data.numItems;
    const n = data.numUsers + data.numItems;
    const rng = new Rng(opts.seed).fork('grcn');
    this.graph = new SparseMatrix(userItemGraph(data.train, data.numUsers, data.numItems, 'none'));
    this.idEmb = xavierNormal(rng.fork('id'), n, d);
    this.pref = {
      visual: xavierNormal(rng.fork('pref_v'), data.numUsers, d),
      text: xavierNormal(rng.fork('pref_t'), data.numUsers, d),
    };
    const M = MODALITIES.length;
    this.conf = {
      visual: xavierNormal(rng.fork('conf_v'), n, 1, { fan: n + M }),
      text: xavierNormal(rng.fork('conf_t'), n, 1, { fan: n + M }),
    };
    this.features = {
      visual: new FixedFeatures(data.features.visual),
      text: new FixedFeatures(data.features.text),
    };
    const projOf = (m: Modality) => {
      const fanIn = data.features[m].cols;
      return { w: linearWeight(rng.fork(`w_${m}`), fanIn, d), b: linearBias(rng.fork(`b_${m}`), fanIn, d) };
    };
    this.proj = { visual: projOf('visual'), text: projOf('text') };
    this.edgeSource = tf.keep(tf.tensor1d(this.graph.csr.indices, 'int32'));
    const branch = (m: Modality): tf.Variable[] => [this.proj[m].w, this.proj[m].b, this.pref[m], this.conf[m]];
    this.groups = { shared: [this.idEmb], visual: branch('visual'), text: branch('text') };
  }

  variables(): tf.Variable[] { return allVariables(this.groups); }

  forward(mask: ModalityMask, rows: RowRequest = {}, _training = false): Representations {
    return tf.tidy(() => {
      const U = this.numUsers;
      const content: tf.Tensor2D[] = [];
      const scaled: tf.Tensor1D[] = [];
      for (const m of MODALITIES) {
        // A kept modality's branch is the same in every pass of a step that keeps it (lib/nn/same-in-every-pass.ts).
        const { rep, edgeScore } = keeps(mask, m)
          ? sameInEveryPass(this, `content_${m}`, () => this.contentBranch(m, 'all'))
          : this.contentBranch(m, mask);
        content.push(rep);
        scaled.push(edgeScore);
      }
      // w = ReLU(max_m s_m)
      let best = scaled[0];
      for (let k = 1; k < scaled.length; k++) best = maximum(best, scaled[k]);
      const w = tf.relu(best) as tf.Tensor1D;
      const x = l2NormalizeRows(this.idEmb);
      const h1 = spmmWeighted(this.graph, w, x);
      const h2 = spmmWeighted(this.graph, w, h1);
      const blocks = [add(add(x, h1), h2), ...content];
      return {
        users: rowsOfConcatenated(blocks, rows.users ?? { begin: 0, size: U }),
        items: rowsOfConcatenated(blocks, rows.items ? rows.items.map(i => i + U) : { begin: U, size: this.numItems }),
      };
    });
  }

  /**
   * Content representation C_m of all nodes and the per-edge score a^m * conf[src, m]; the
   * modality's inputs (features, preferences, confidence column) are mean-ablated when masked.
   */
  private contentBranch(m: Modality, mask: ModalityMask): { rep: tf.Tensor2D; edgeScore: tf.Tensor1D } {
    const kept = keeps(mask, m);
    const pref = userPreferences(mask, m, this.pref[m]);
    const feat = itemFeatures(mask, m, this.features[m], this.proj[m]);
    const h = tf.concat([l2NormalizeRows(pref), l2NormalizeRows(leakyRelu(feat, LEAKY_SLOPE))], 0) as tf.Tensor2D;
    const alpha = segmentSoftmax(this.graph, sddmm(this.graph, h, h));
    const rep = add(h, spmmWeighted(this.graph, alpha, h));
    const conf = kept
      ? tf.reshape(gatherRows(this.conf[m], this.edgeSource), [this.graph.nnz]) as tf.Tensor1D
      : tf.mean(this.conf[m]);
    return { rep, edgeScore: tf.mul(alpha, conf) as tf.Tensor1D };
  }

  /** Reads the raw tables (the reference regularises E_id and P_m, not the representations). */
  regularization(batch: TripleBatch, _reps: Representations): tf.Scalar {
    return idPrefRegularization(this.idEmb, this.pref, batch, this.numUsers, this.dim, this.params.lambda);
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
    for (const m of MODALITIES) this.features[m].dispose();
    this.edgeSource.dispose();
    this.graph.dispose();
  }
}

export const grcnFactory: BackboneFactory = (data, opts) => new Grcn(data, opts);
