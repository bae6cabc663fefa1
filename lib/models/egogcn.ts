/**
 * EgoGCN (Chen et al., MM 2022) after its only public code, feiyuchen7/EgoGCN @ 81bbfef
 * (main.py -> Model_routing_21sp.py, GATConv_pre.py, GATConv_ori.py, GCNConv.py), a fork of GRCN.
 * Facts and decisions: docs/backbones.md, section EgoGCN.
 *
 * Graph: the user-item train graph only (users then items, edges both ways, no self-loops).
 * Per modality m (visual v, text t; the reference hard-wires three, ours has two):
 *   F_m = L2norm(LeakyReLU_0.01(W_m e^m + b_m))     item encoder, on the fixed features e^m
 *   x   = [L2norm(P_m); F_m]                         P_m: user preference table (U x 64)
 *   y   = the other modality's [L2norm(P_y); F_y]
 * Branch m, one edge-wise modulation layer (edge j -> i, softmax over i's in-edges):
 *   x~_j = (x_j + sigmoid(A_m y_j + a_m) * y_j) / M   soft mode, M = number of modalities = 2
 *   a'_ji = softmax_i <x_i, x~_j>                      re-attention
 *   x <- L2norm(sum_j a'_ji x~_j)                      replaces x (no residual)
 * then R parameter-free routing layers (R = 3, the code's num_routing default):
 *   a_ji = softmax_i <x_i, x_j>;  x <- L2norm(x + sum_j a_ji x_j)
 * ID branch: e0 = L2norm(E), e_{k+1} = A_sym e_k (D^-1/2 A D^-1/2, no self-loops), id = e0+e1+e2+e3.
 * Representation [id | R_v | R_t] (192-d), score = dot product.
 * Loss (reference form): BPR + lambda * [mean(E[u]^2 + E[i]^2) + sum_m mean(P_m[u]^2)] with the
 * reference's batch layout (each user counted once for its positive and once for its negative):
 *   (2 sum_b |E_u|^2 + sum_b |E_pos|^2 + sum_b |E_neg|^2) / (2 B d) + sum_m sum_b |P_m[u]|^2 / (B d).
 *
 * Decisions and deviations (ours, on purpose):
 *  - Soft modulation only, dividing by the number of modalities (2). The code's hard mode (switch on
 *    an attention threshold) almost never fires and has nothing to learn.
 *  - The sender's gate depends on the sender node only, so x~ is computed once per node (N x 64)
 *    and read by the edge kernels; identical to the code's per-edge computation, far cheaper.
 *  - Re-attention on (params.reattn = 1), as docs/backbones.md describes the layer; with reattn = 0 the
 *    attention is softmax <x_i, x_j> as in the code's default (--reattn False), and the modulated
 *    senders are still what is aggregated.
 *  - ID branch: e3 = A e2. The code computes e3 from e1 (a bug); we use e2.
 *  - The code's "routing" before fusion and its hard-mode GATConv are dead code there; omitted.
 *  - P_m: the code overwrites the parameter with its L2-normalised value at every forward
 *    (`preference.data = F.normalize(...)`, outside autograd). We initialise P_m with L2-normalised
 *    Xavier-normal rows (the state the code reaches after its first forward) and normalise
 *    differentiably in every forward: the same forward values; the gradient loses only its radial
 *    component, which the normalisation discards anyway. Row norms thus stay near 1, so Adam's
 *    step size relative to P matches the code's. E and every P_m are Xavier-normal like the code's.
 *  - Features are fixed (never trained), projected by a trained linear layer (FixedFeatures).
 *  - No dropout (the code's default 0; the 21sp model does not even apply it).
 *  - Mean ablation of modality m at the input: its raw item features are replaced by their item
 *    mean (before the encoder) and its normalised preference rows by their user mean (then
 *    renormalised). Both branches read both modalities' inputs (x of one is y of the other), so the
 *    ablation reaches every branch. The ablated modality still passes through nonlinear,
 *    attention-weighted propagation, so the ablation is not an exact removal: inherent to the model.
 *  - Parameter groups (for OGM-GE, early fusion split roughly as the paper did):
 *      visual = {W_v, b_v, P_v, gate of branch v (A_v, a_v)}, text likewise, shared = {E}.
 *    The gate of branch m acts on the *other* modality's inputs; we group it with branch m, whose
 *    output it shapes (docs/backbones.md, "Parameter groups").
 * Hyper-parameters (opts.params): lambda (1e-5, reference --weight_decay), routing (3, --num_routing),
 * reattn (1), idLayers (3). Reference lr 1e-4 (x0.8 every 50 epochs there), batch 1024.
 * Cost: every forward (each BPR step, each mask) propagates the full graph: 2 branches x (1 + R)
 * attention layers (sddmm, segment softmax, weighted spmm over all directed edges) plus 3 spmm for
 * the ID branch, and projects every item's features (measured times: docs/speed.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, Modality, MODALITIES } from '../data/dataset';
import { userItemGraph } from '../data/graphs';
import { CkdError } from '../errors';
import { Rng } from '../engine/random';
import { leakyRelu } from '../nn/activation';
import { linear } from '../nn/dense';
import { add, scale } from '../nn/elementwise';
import { FixedFeatures } from '../nn/fixed-features';
import { SparseMatrix, sddmm, segmentSoftmax, spmm, spmmWeighted } from '../nn/graph';
import { Matrix, Vector, linearBias, linearWeight, xavierNormal } from '../nn/init';
import { l2NormalizeRows as l2norm } from '../nn/normalize';
import { repeatRow, rowsOfConcatenated } from '../nn/rows';
import { itemFeatures, meanRow } from './ablation';
import {
  Backbone, BackboneFactory, BackboneOptions, ModalityMask, ParameterGroups, Representations, RowRequest,
  TripleBatch, allVariables, keeps,
} from './backbone';
import { idPrefRegularization } from './id-pref-regularization';
import { readModelParams as readParams } from './params';
import { ValuesOf, int, num } from '../options/spec';

/** EgoGCN's hyper-parameters (opts.params), declared once (lib/models/params.ts). */
export const EGOGCN_PARAMS = {
  lambda: num(1e-5, 'weight of the embedding regularisation (reference --weight_decay)', { min: 0, role: 'l2' }),
  routing: int(3, 'parameter-free routing layers after the modulation layer (reference --num_routing)', { min: 0 }),
  reattn: int(1, '1: re-attention over the modulated senders (docs/backbones.md); 0: attention of the unmodulated x', { min: 0, max: 1 }),
  idLayers: int(3, 'propagation steps of the ID branch (3: e0 + e1 + e2 + e3)', { min: 0 }),
} as const;

export type EgoGcnParams = ValuesOf<typeof EGOGCN_PARAMS>;

export const EGOGCN_DEFAULTS: Readonly<EgoGcnParams> = readParams('egogcn', EGOGCN_PARAMS, {});
/** The reference's learning rate. */
export const EGOGCN_LR = 1e-4;

const LEAKY_SLOPE = 0.01;

export class EgoGcn implements Backbone {
  readonly name = 'egogcn';
  readonly outDim: number;
  readonly groups: ParameterGroups;
  readonly params: Readonly<EgoGcnParams>;
  private readonly dim: number;
  private readonly numUsers: number;
  private readonly numItems: number;
  private readonly graph: SparseMatrix;
  /** ID embeddings of all nodes, users then items. */
  private readonly idEmb: Matrix;
  private readonly pref: Record<Modality, Matrix>;
  private readonly proj: Record<Modality, { w: Matrix; b: Vector }>;
  /** Gate of branch m, applied to the other modality's inputs. */
  private readonly gate: Record<Modality, { w: Matrix; b: Vector }>;
  private readonly features: Record<Modality, FixedFeatures>;

  constructor(data: Dataset, opts: BackboneOptions) {
    this.params = readParams('egogcn', EGOGCN_PARAMS, opts.params);
    const d = (this.dim = opts.dim ?? 64);
    this.outDim = 3 * d;
    this.numUsers = data.numUsers;
    this.numItems = data.numItems;
    const n = data.numUsers + data.numItems;
    const rng = new Rng(opts.seed).fork('egogcn');
    this.graph = new SparseMatrix(userItemGraph(data.train, data.numUsers, data.numItems, 'sym'));
    this.idEmb = xavierNormal(rng.fork('id'), n, d);
    this.pref = {
      visual: xavierNormal(rng.fork('pref_v'), data.numUsers, d, { unitRows: true }),
      text: xavierNormal(rng.fork('pref_t'), data.numUsers, d, { unitRows: true }),
    };
    this.features = {
      visual: new FixedFeatures(data.features.visual),
      text: new FixedFeatures(data.features.text),
    };
    const linear = (r: Rng, fanIn: number) => ({ w: linearWeight(r.fork('w'), fanIn, d), b: linearBias(r.fork('b'), fanIn, d) });
    this.proj = {
      visual: linear(rng.fork('mlp_v'), data.features.visual.cols),
      text: linear(rng.fork('mlp_t'), data.features.text.cols),
    };
    this.gate = { visual: linear(rng.fork('gate_v'), d), text: linear(rng.fork('gate_t'), d) };
    const groupOf = (m: Modality) => [this.proj[m].w, this.proj[m].b, this.pref[m], this.gate[m].w, this.gate[m].b];
    this.groups = { shared: [this.idEmb], visual: groupOf('visual'), text: groupOf('text') };
  }

  variables(): tf.Variable[] { return allVariables(this.groups); }

  /** [L2norm(P_m); F_m] for all nodes, with modality m mean-ablated unless the mask keeps it. */
  private inputs(m: Modality, mask: ModalityMask): tf.Tensor2D {
    const encode = (z: tf.Tensor2D) => l2norm(leakyRelu(z, LEAKY_SLOPE));
    const prefNorm = l2norm(this.pref[m]);
    // Ablated: the mean of the normalised preference rows, renormalised (a mean of unit rows is not one).
    const users = keeps(mask, m) ? prefNorm : repeatRow(l2norm(meanRow(prefNorm)), this.numUsers);
    return tf.concat([users, itemFeatures(mask, m, this.features[m], this.proj[m], undefined, encode)], 0);
  }

  /** Softmax over each target's in-edges of <p_target, q_source>. */
  private attention(p: tf.Tensor2D, q: tf.Tensor2D): tf.Tensor1D {
    return segmentSoftmax(this.graph, sddmm(this.graph, p, q));
  }

  /** Branch m: one modulation layer, then the routing layers. */
  private branch(m: Modality, x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
    const A = this.graph;
    const { w, b } = this.gate[m];
    const gated = tf.mul(tf.sigmoid(linear(y, w, b)), y);
    const modulated = scale(add(x, gated as tf.Tensor2D), 1 / MODALITIES.length);
    const alpha = this.params.reattn ? this.attention(x, modulated) : this.attention(x, x);
    let h = l2norm(spmmWeighted(A, alpha, modulated));
    for (let r = 0; r < this.params.routing; r++) {
      h = l2norm(add(h, spmmWeighted(A, this.attention(h, h), h)));
    }
    return h;
  }

  private idBranch(): tf.Tensor2D {
    let e = l2norm(this.idEmb);
    let sum = e;
    for (let k = 0; k < this.params.idLayers; k++) {
      e = spmm(this.graph, e);
      sum = add(sum, e);
    }
    return sum;
  }

  /** Full propagation at every call (the model is transductive); `training` changes nothing (no dropout). */
  forward(mask: ModalityMask, rows: RowRequest = {}, _training = false): Representations {
    return tf.tidy(() => {
      const x = { visual: this.inputs('visual', mask), text: this.inputs('text', mask) };
      const parts = [this.idBranch(), this.branch('visual', x.visual, x.text), this.branch('text', x.text, x.visual)];
      const U = this.numUsers;
      return {
        users: rowsOfConcatenated(parts, rows.users ?? { begin: 0, size: U }),
        items: rowsOfConcatenated(parts, rows.items ? rows.items.map(i => i + U) : { begin: U, size: this.numItems }),
      };
    });
  }

  regularization(batch: TripleBatch, _reps: Representations): tf.Scalar {
    return idPrefRegularization(this.idEmb, this.pref, batch, this.numUsers, this.dim, this.params.lambda);
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
    for (const m of MODALITIES) this.features[m].dispose();
    this.graph.dispose();
  }
}

export const egogcnFactory: BackboneFactory = (data, opts) => new EgoGcn(data, opts);
