/**
 * MGCN (Yu, Tan, Lu, Bao, MM 2023) after demonph10/MGCN @ d080d5a, src/models/mgcn.py (identical to
 * MMRec's src/models/mgcn.py). Facts and decisions: docs/backbones.md, section MGCN.
 *
 * User-item view: H = mean(E0, A E0, A^2 E0) over users then items, E0 = [user ID; item ID],
 *   A = D^-1/2 A D^-1/2 without self-loops (n_ui_layers = 2).
 * Item-item view per modality m (visual v, text t):
 *   purifier  v~_i = e_i * sigmoid(G_m (W_m x^m_i + b_m) + g_m)   (features gate the item ID embedding)
 *   I_m = S_m v~ (n_layers = 1), S_m the cosine kNN graph (k = 10, self included, similarity as
 *   weight, not symmetrised, S_ij / sqrt(d_i d_j)) built once from the raw features (lib/data/knn);
 *   users: R_hat I_m with R_hat the user-item block of A. M_m = [R_hat I_m; I_m].
 * Fuser: a_m = w2 . tanh(W1 M_m + b1) (one MLP shared by both modalities), beta = softmax over the
 *   two modalities per node, common = beta_v M_v + beta_t M_t, s_m = M_m - common,
 *   P_m = sigmoid(Wp_m H + bp_m) (preference gates), side = (P_v s_v + P_t s_t + common) / 3,
 *   z = H + side; score = <z_u, z_i>.
 * Loss (regularization(), on top of BPR): reg * (|z_u|^2 + |z_pos|^2 + |z_neg|^2) / 2 / B
 *   + cl * [InfoNCE(side, H) over the batch's positive items + InfoNCE(side, H) over its users],
 *   InfoNCE(a, b) = mean_k -log(exp(<a_k, b_k>/tau) / sum_l exp(<a_k, b_l>/tau)) on L2-normalised
 *   rows, the negatives being the other rows of the batch (duplicates included, as the reference).
 *   The side/H rows come from the same forward pass (reps.aux, produced when training = true).
 *
 * Decisions and deviations (ours, on purpose):
 *  - Frozen features. The reference trains the raw feature tables (nn.Embedding.from_pretrained,
 *    freeze=False: 28.9M parameters for 4,096-d visual features); like every other backbone here,
 *    ours are constants projected by a trained linear layer (FixedFeatures). The kNN graphs are
 *    built from the raw features once, as in the reference (which builds them at construction).
 *  - Mean ablation of modality m: its features are replaced by their item mean (so the purifier
 *    gate is one constant vector for all items) and its kNN graph by the identity (a mean feature
 *    makes cosine kNN pure tie-breaking), i.e. I_m = v~. The ablated view still carries ID
 *    information (e_i times a constant gate): inherent to the model.
 *  - The L2 term divides by the actual batch length B (the reference divides by the configured
 *    batch size, which differs only on an epoch's last, shorter batch).
 *  - No learning-rate schedule here (the reference multiplies lr by 0.96 every 50 epochs): the
 *    trainer owns the optimiser.
 *  - Parameter groups (for OGM-GE, early fusion split roughly):
 *      visual = {W_v, b_v (feature projection), G_v, g_v (purifier gate), Wp_v, bp_v (preference gate)},
 *      text likewise, shared = {user ID, item ID, attention MLP W1, b1, w2}.
 * Hyper-parameters (opts.params): cl (0.01, the middle of the authors' grid {0.001, 0.01, 0.1}),
 * tau (0.2), reg (1e-4, reg_weight), knnK (10), uiLayers (2, n_ui_layers), iiLayers (1, n_layers).
 * Reference training: lr 1e-3, batch 2048, Adam.
 * Construction: the two kNN graphs (lib/data/knn) are built from the raw features, once per
 * feature array and k (a WeakMap keyed by the FeatureMatrix's data), so the teachers and the
 * student of one run, built on the same Dataset object, pay for them once per process.
 * Training cost: every forward propagates the full graphs and projects every item's features; the
 * contrastive term costs O(B^2 d) per step (two B x B similarity matrices). Measured times:
 * docs/speed.md.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, FeatureMatrix, Modality, MODALITIES } from '../data/dataset';
import { userItemGraph } from '../data/graphs';
import { itemKnnGraph } from '../data/knn';
import { CkdError } from '../errors';
import { Rng } from '../engine/random';
import { linear, matMul, matMulTransposeB } from '../nn/dense';
import { add } from '../nn/elementwise';
import { FixedFeatures } from '../nn/fixed-features';
import { CsrMatrix, SparseMatrix, spmm } from '../nn/graph';
import { Matrix, Vector, linearBias, linearWeight, xavierUniform } from '../nn/init';
import { l2NormalizeRows as l2norm } from '../nn/normalize';
import { rowsOf } from '../nn/rows';
import { itemFeaturesOrMean } from './ablation';
import {
  Backbone, BackboneFactory, BackboneOptions, ModalityMask, ParameterGroups, Representations, RowRequest,
  TripleBatch, allVariables, keeps,
} from './backbone';
import { readModelParams as readParams } from './params';
import { ValuesOf, int, num } from '../options/spec';

/** MGCN's hyper-parameters (opts.params), declared once (lib/models/params.ts). */
export const MGCN_PARAMS = {
  cl: num(0.01, 'weight of the contrastive term (authors\' grid {0.001, 0.01, 0.1})', { min: 0 }),
  tau: num(0.2, 'InfoNCE temperature (0.2 in the reference)', { min: 0, minOpen: true }),
  reg: num(1e-4, 'weight of the L2 term on the final batch representations (reg_weight 1e-4)', { min: 0, role: 'l2' }),
  knnK: int(10, 'neighbours per item in the kNN views, self included (knn_k 10)', { min: 1 }),
  uiLayers: int(2, 'propagation steps of the user-item view (n_ui_layers 2)', { min: 0 }),
  iiLayers: int(1, 'propagation steps over the item-item kNN views (n_layers 1)', { min: 0 }),
} as const;

export type MgcnParams = ValuesOf<typeof MGCN_PARAMS>;

export const MGCN_DEFAULTS: Readonly<MgcnParams> = readParams('mgcn', MGCN_PARAMS, {});
/** The reference's learning rate. */
export const MGCN_LR = 1e-3;

interface Linear { w: Matrix; b: Vector }

export class Mgcn implements Backbone {
  readonly name = 'mgcn';
  readonly outDim: number;
  readonly groups: ParameterGroups;
  readonly params: Readonly<MgcnParams>;
  private readonly numUsers: number;
  private readonly numItems: number;
  /** D^-1/2 A D^-1/2 over users then items. */
  private readonly adj: SparseMatrix;
  /** Its user-item block R_hat (users x items). */
  private readonly userItem: SparseMatrix;
  private readonly knn: Record<Modality, SparseMatrix>;
  private readonly userId: Matrix;
  private readonly itemId: Matrix;
  private readonly features: Record<Modality, FixedFeatures>;
  private readonly proj: Record<Modality, Linear>;
  private readonly purifier: Record<Modality, Linear>;
  private readonly prefer: Record<Modality, Linear>;
  private readonly query: { w1: Matrix; b1: Vector; w2: Matrix };

  constructor(data: Dataset, opts: BackboneOptions) {
    this.params = readParams('mgcn', MGCN_PARAMS, opts.params);
    const d = (this.outDim = opts.dim ?? 64);
    this.numUsers = data.numUsers;
    this.numItems = data.numItems;
    const rng = new Rng(opts.seed).fork('mgcn');
    const sym = userItemGraph(data.train, data.numUsers, data.numItems, 'sym');
    this.adj = new SparseMatrix(sym);
    this.userItem = new SparseMatrix(userBlock(sym, data.numUsers, data.numItems));
    this.knn = {
      visual: new SparseMatrix(cachedKnn(data.features.visual, this.params.knnK)),
      text: new SparseMatrix(cachedKnn(data.features.text, this.params.knnK)),
    };
    this.userId = xavierUniform(rng.fork('user'), data.numUsers, d);
    this.itemId = xavierUniform(rng.fork('item'), data.numItems, d);
    this.features = {
      visual: new FixedFeatures(data.features.visual),
      text: new FixedFeatures(data.features.text),
    };
    const linear = (r: Rng, fanIn: number, fanOut = d): Linear =>
      ({ w: linearWeight(r.fork('w'), fanIn, fanOut), b: linearBias(r.fork('b'), fanIn, fanOut) });
    this.proj = { visual: linear(rng.fork('trs_v'), data.features.visual.cols), text: linear(rng.fork('trs_t'), data.features.text.cols) };
    this.purifier = { visual: linear(rng.fork('gate_v'), d), text: linear(rng.fork('gate_t'), d) };
    this.prefer = { visual: linear(rng.fork('prefer_v'), d), text: linear(rng.fork('prefer_t'), d) };
    const q1 = linear(rng.fork('query1'), d);
    this.query = { w1: q1.w, b1: q1.b, w2: linearWeight(rng.fork('query2').fork('w'), d, 1) };
    const groupOf = (m: Modality) => [
      this.proj[m].w, this.proj[m].b, this.purifier[m].w, this.purifier[m].b, this.prefer[m].w, this.prefer[m].b,
    ];
    this.groups = {
      shared: [this.userId, this.itemId, this.query.w1, this.query.b1, this.query.w2],
      visual: groupOf('visual'),
      text: groupOf('text'),
    };
  }

  variables(): tf.Variable[] { return allVariables(this.groups); }

  /** M_m = [R_hat I_m; I_m] for all nodes, modality m mean-ablated unless the mask keeps it. */
  private itemView(m: Modality, mask: ModalityMask): tf.Tensor2D {
    const kept = keeps(mask, m);
    const feats = itemFeaturesOrMean(mask, m, this.features[m], this.proj[m]);
    const gate = tf.sigmoid(linear(feats, this.purifier[m].w, this.purifier[m].b));
    // Ablated: one gate row for all items (a broadcast product; its gradient is a column sum).
    let items = tf.mul(this.itemId, gate) as tf.Tensor2D;
    // Ablated: the kNN graph is the identity, so the item-item propagation leaves v~ as it is.
    if (kept) for (let l = 0; l < this.params.iiLayers; l++) items = spmm(this.knn[m], items);
    return tf.concat([spmm(this.userItem, items), items], 0);
  }

  /** Per-node attention logit of the fuser, w2 . tanh(W1 M + b1) (N x 1). */
  private attentionLogit(M: tf.Tensor2D): tf.Tensor2D {
    return matMul(tf.tanh(linear(M, this.query.w1, this.query.b1)), this.query.w2);
  }

  /**
   * Full propagation, then the requested rows. With training = true, aux holds the side and H
   * rows of the same nodes (sideUsers, hUsers, sideItems, hItems) for the contrastive term.
   */
  forward(mask: ModalityMask, rows: RowRequest = {}, training = false): Representations {
    return tf.tidy((): Representations & tf.TensorContainerObject => {
      const U = this.numUsers;
      const e0 = tf.concat([this.userId, this.itemId], 0) as tf.Tensor2D;
      let e = e0;
      let sum = e0;
      for (let l = 0; l < this.params.uiLayers; l++) {
        e = spmm(this.adj, e);
        sum = add(sum, e);
      }
      const H = tf.div(sum, this.params.uiLayers + 1) as tf.Tensor2D;

      const Mv = this.itemView('visual', mask);
      const Mt = this.itemView('text', mask);
      // softmax over the two modalities = sigmoid of the difference of the logits.
      const betaV = tf.sigmoid(tf.sub(this.attentionLogit(Mv), this.attentionLogit(Mt)));
      const common = tf.add(Mt, tf.mul(betaV, tf.sub(Mv, Mt))); // beta_v Mv + (1 - beta_v) Mt
      const preferGate = (m: Modality) => tf.sigmoid(linear(H, this.prefer[m].w, this.prefer[m].b));
      const side = tf.div(tf.addN([
        tf.mul(preferGate('visual'), tf.sub(Mv, common)),
        tf.mul(preferGate('text'), tf.sub(Mt, common)),
        common,
      ]), 3) as tf.Tensor2D;
      const z = add(H, side as tf.Tensor2D);

      const userIdx = rows.users ?? { begin: 0, size: U };
      const itemIdx = rows.items ? rows.items.map(i => i + U) : { begin: U, size: this.numItems };
      const out: Representations & tf.TensorContainerObject = { users: rowsOf(z, userIdx), items: rowsOf(z, itemIdx) };
      if (training) {
        out.aux = {
          sideUsers: rowsOf(side, userIdx),
          hUsers: rowsOf(H, userIdx),
          sideItems: rowsOf(side, itemIdx),
          hItems: rowsOf(H, itemIdx),
        };
      }
      return out;
    });
  }

  /**
   * L2 on the batch's final representations plus the contrastive term. reps must come from
   * forward(mask, {users: batch.users, items: [pos; neg]}, true) (aux is needed when cl > 0).
   */
  regularization(batch: TripleBatch, reps: Representations): tf.Scalar {
    return tf.tidy(() => {
      const B = batch.users.length;
      const l2 = tf.mul(tf.add(tf.sum(tf.square(reps.users)), tf.sum(tf.square(reps.items))), this.params.reg / 2 / B);
      if (this.params.cl === 0) return l2 as tf.Scalar;
      const aux = reps.aux;
      if (!aux?.sideUsers || !aux.hUsers || !aux.sideItems || !aux.hItems) {
        throw new Error('mgcn.regularization needs reps.aux from forward(mask, rows, training = true)');
      }
      if (aux.sideUsers.shape[0] !== B || aux.sideItems.shape[0] < B) {
        throw new Error(`mgcn.regularization: aux rows (${aux.sideUsers.shape[0]} users, ${aux.sideItems.shape[0]} items) do not match the batch of ${B}`);
      }
      const firstB = (t: tf.Tensor) => tf.slice(t as tf.Tensor2D, [0, 0], [B, -1]);
      const tau = this.params.tau;
      const cl = tf.add(
        infoNce(firstB(aux.sideItems), firstB(aux.hItems), tau),
        infoNce(aux.sideUsers as tf.Tensor2D, aux.hUsers as tf.Tensor2D, tau),
      );
      return tf.add(l2, tf.mul(cl, this.params.cl)) as tf.Scalar;
    });
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
    for (const m of MODALITIES) {
      this.features[m].dispose();
      this.knn[m].dispose();
    }
    this.adj.dispose();
    this.userItem.dispose();
  }
}

export const mgcnFactory: BackboneFactory = (data, opts) => new Mgcn(data, opts);

/** mean_k -log softmax_l(<a_k, b_l> / tau)[k] on L2-normalised rows (the reference's InfoNCE). */
function infoNce(a: tf.Tensor2D, b: tf.Tensor2D, tau: number): tf.Scalar {
  const na = l2norm(a);
  const nb = l2norm(b);
  const pos = tf.mul(tf.sum(tf.mul(na, nb), 1), 1 / tau);
  // Cosines are in [-1, 1]: exp(cos / tau) cannot overflow for any sensible tau.
  const total = tf.log(tf.sum(tf.exp(tf.mul(matMulTransposeB(na, nb), 1 / tau)), 1));
  return tf.mean(tf.sub(total, pos)) as tf.Scalar;
}

/** The users' rows of the user-item graph, columns shifted to item ids: R_hat (users x items). */
function userBlock(g: CsrMatrix, numUsers: number, numItems: number): CsrMatrix {
  const nnz = g.indptr[numUsers];
  const indices = new Int32Array(nnz);
  for (let k = 0; k < nnz; k++) indices[k] = g.indices[k] - numUsers;
  return {
    numRows: numUsers, numCols: numItems,
    indptr: g.indptr.slice(0, numUsers + 1), indices, values: g.values.slice(0, nnz),
  };
}

const knnCache = new WeakMap<Float32Array, Map<number, CsrMatrix>>();

/**
 * The normalised kNN graph of a feature matrix, built once per feature array and k. Each caller gets
 * its own copy of the arrays (a SparseMatrix references its arrays and releases them on dispose).
 * The cache assumes feature arrays are not modified in place (nothing in the project does).
 */
function cachedKnn(f: FeatureMatrix, k: number): CsrMatrix {
  let byK = knnCache.get(f.data);
  if (!byK) { byK = new Map(); knnCache.set(f.data, byK); }
  let g = byK.get(k);
  if (!g || g.numRows !== f.rows) {
    g = itemKnnGraph(f, { k, normalize: 'sym' });
    byK.set(k, g);
  }
  return { ...g, indptr: g.indptr.slice(), indices: g.indices.slice(), values: g.values.slice() };
}
