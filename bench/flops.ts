/**
 * Estimated floating-point operations of one training step and of one validation pass per
 * backbone, for the compute lower bounds of bench/run.ts (FLOPs / measured GEMM throughput).
 *
 * An estimate, written from the models' code (lib/models/*.ts) and counting only the products
 * that dominate: dense products (2 m k n each) and sparse graph products (2 nnz d each: spmm,
 * spmmWeighted, sddmm). Element-wise work, gathers, softmaxes, normalisations, the optimiser and
 * the BPR/CKD loss arithmetic are left out, so the bound stays a lower bound. Backward costs are
 * counted per product from what its gradient computes, not as a blanket 3x forward:
 *   - a fixed-feature projection F W (FixedLinear): forward 2 n D d, backward dW only (F is
 *     constant): 2x forward in all;
 *   - a dense layer X W + b (lib/nn/dense: linear, matMul): dX and dW, 3x forward (+ the bias
 *     gradient, a ones-row product of 2 n d);
 *   - spmm A X: dX = A^T dY, 2x forward; spmmWeighted and sddmm: two gradients each, 3x forward.
 * The dense part is checked against a count of the matMul kernels tfjs actually runs in one step
 * (bench/flop-count.ts; test/bench-flops.test.ts); the sparse part cannot be counted that way.
 */
import { Dataset, Modality, MODALITIES } from '../lib/data/dataset';
import { ModalityMask, keeps } from '../lib/models/backbone';
import { CKD_DEFAULTS } from '../lib/methods/ckd/method';
import { marginsNeedAllItems } from '../lib/methods/margins';
import { MGCN_DEFAULTS } from '../lib/models/mgcn';
import { MMGCN_DEFAULTS } from '../lib/models/mmgcn';
import { EGOGCN_DEFAULTS } from '../lib/models/egogcn';

/** What the estimates depend on: the data set's sizes and the step's batch. */
export interface WorkloadShape {
  users: number;
  items: number;
  featureDims: Record<Modality, number>;
  /** Train interactions (each is two directed edges of the user-item graph). */
  trainInteractions: number;
  /** Embedding size (64 for every backbone here). */
  dim: number;
  batch: number;
  /** CKD's universal triples per step (the generic loss). */
  universalCount: number;
}

export function workloadShape(data: Dataset, batch: number, dim = 64, universalCount = CKD_DEFAULTS.universalCount): WorkloadShape {
  return {
    users: data.numUsers,
    items: data.numItems,
    featureDims: { visual: data.features.visual.cols, text: data.features.text.cols },
    trainInteractions: data.train.items.length,
    dim,
    batch,
    universalCount,
  };
}

/** FLOPs split by kind. */
export interface Flops {
  dense: number;
  sparse: number;
}

export const totalFlops = (f: Flops): number => f.dense + f.sparse;

/**
 * One product: its forward FLOPs and the FLOPs of its backward pass; `projects` marks a modality's
 * feature projection of all requested rows, `branch` a product of a late-fusion backbone's
 * modality branch (what CKD's reuseKeptBranches computes once per step for every pass keeping it).
 */
interface Term { kind: keyof Flops; fwd: number; bwd: number; projects?: Modality; branch?: Modality }

const inBranch = (m: Modality, terms: Term[]): Term[] => terms.map(t => ({ ...t, branch: m }));

const fixedLinear = (n: number, D: number, d: number, m?: Modality): Term => ({ kind: 'dense', fwd: 2 * n * D * d, bwd: 2 * n * D * d, projects: m });
/** mean(F) W: a 1-row stock matMul, gradient for W only. */
const projectMean = (D: number, d: number): Term => ({ kind: 'dense', fwd: 2 * D * d, bwd: 2 * D * d });
const denseLinear = (n: number, k: number, d: number): Term => ({ kind: 'dense', fwd: 2 * n * k * d, bwd: 4 * n * k * d + 2 * n * d });
const matMulFast = (m: number, k: number, n: number): Term => ({ kind: 'dense', fwd: 2 * m * k * n, bwd: 4 * m * k * n });
const spmm = (nnz: number, d: number): Term => ({ kind: 'sparse', fwd: 2 * nnz * d, bwd: 2 * nnz * d });
const spmmWeighted = (nnz: number, d: number): Term => ({ kind: 'sparse', fwd: 2 * nnz * d, bwd: 4 * nnz * d });
const sddmm = (nnz: number, d: number): Term => ({ kind: 'sparse', fwd: 2 * nnz * d, bwd: 4 * nnz * d });

const repeat = (n: number, terms: Term[]): Term[] => Array.from({ length: n }, () => terms).flat();

/** Rows a forward pass produces (only the VBPR family computes just the requested rows). */
interface Rows { users: number; items: number }

interface CostModel {
  /** Width of the final representations (the scoring product's inner dimension). */
  outDim(s: WorkloadShape): number;
  /** Products of one forward pass under a mask. */
  forward(s: WorkloadShape, mask: ModalityMask, rows: Rows): Term[];
  /** Products of the model's own loss terms in a training step (MGCN's contrastive term). */
  lossExtra?(s: WorkloadShape): Term[];
  /** Every forward pass computes all items (the graph backbones; the VBPR family computes the rows asked for). */
  allItems: boolean;
  /** Its modality branches are marked (`branch`) and CKD can reuse a kept one (late fusion over a graph: MMGCN, GRCN). */
  keptBranchesReusable?: boolean;
}

/** Feature projection of modality m: all requested rows when kept, the mean row when ablated. */
const projection = (s: WorkloadShape, m: Modality, mask: ModalityMask, rows: number): Term =>
  keeps(mask, m) ? fixedLinear(rows, s.featureDims[m], s.dim, m) : projectMean(s.featureDims[m], s.dim);

const nodes = (s: WorkloadShape) => s.users + s.items;
const directedEdges = (s: WorkloadShape) => 2 * s.trainInteractions;

/** VBPR and DeepStyle: [x | p^v | p^t] . [x | W_v f^v (+ b) | W_t f^t (+ b)]; DeepStyle's category terms are negligible. */
const vbprLike: CostModel = {
  outDim: s => 3 * s.dim,
  forward: (s, mask, rows) => MODALITIES.map(m => projection(s, m, mask, rows.items)),
  allItems: false,
};

/** MMGCN: per branch the projection of all items and `layers` x (3 dense d x d layers + one spmm over A + I). */
const mmgcn: CostModel = {
  outDim: s => s.dim,
  forward: (s, mask) => MODALITIES.flatMap(m => inBranch(m, [
    projection(s, m, mask, s.items),
    ...repeat(MMGCN_DEFAULTS.layers, [
      ...repeat(3, [denseLinear(nodes(s), s.dim, s.dim)]),
      spmm(directedEdges(s) + nodes(s), s.dim),
    ]),
  ])),
  allItems: true,
  keptBranchesReusable: true,
};

/** GRCN: per modality a projection, an attention (sddmm) and a weighted spmm; two weighted spmm for the ID graph. */
const grcn: CostModel = {
  outDim: s => 3 * s.dim,
  forward: (s, mask) => [
    ...MODALITIES.flatMap(m => inBranch(m, [projection(s, m, mask, s.items), sddmm(directedEdges(s), s.dim), spmmWeighted(directedEdges(s), s.dim)])),
    ...repeat(2, [spmmWeighted(directedEdges(s), s.dim)]),
  ],
  allItems: true,
  keptBranchesReusable: true,
};

/** EgoGCN: projections, idLayers spmm, per branch a gate layer and (1 + routing) attention layers. */
const egogcn: CostModel = {
  outDim: s => 3 * s.dim,
  forward: (s, mask) => [
    ...MODALITIES.map(m => projection(s, m, mask, s.items)),
    ...repeat(EGOGCN_DEFAULTS.idLayers, [spmm(directedEdges(s), s.dim)]),
    ...MODALITIES.flatMap(() => [
      denseLinear(nodes(s), s.dim, s.dim),
      ...repeat(1 + EGOGCN_DEFAULTS.routing, [sddmm(directedEdges(s), s.dim), spmmWeighted(directedEdges(s), s.dim)]),
    ]),
  ],
  allItems: true,
};

/**
 * MGCN: uiLayers spmm over A; per modality the projection, the purifier layer and the kNN spmm
 * (kept) or their one-row forms (ablated), the user-item block spmm, the fuser's attention layer;
 * two preference gates over all nodes; the contrastive term's two B x B products (loss only).
 */
const mgcn: CostModel = {
  outDim: s => s.dim,
  forward: (s, mask) => [
    ...repeat(MGCN_DEFAULTS.uiLayers, [spmm(directedEdges(s), s.dim)]),
    ...MODALITIES.flatMap(m => [
      projection(s, m, mask, s.items),
      keeps(mask, m) ? denseLinear(s.items, s.dim, s.dim) : denseLinear(1, s.dim, s.dim),
      ...(keeps(mask, m) ? repeat(MGCN_DEFAULTS.iiLayers, [spmm(s.items * Math.min(MGCN_DEFAULTS.knnK, s.items), s.dim)]) : []),
      spmm(s.trainInteractions, s.dim),
      denseLinear(nodes(s), s.dim, s.dim),
      matMulFast(nodes(s), s.dim, 1),
    ]),
    ...repeat(2, [denseLinear(nodes(s), s.dim, s.dim)]),
  ],
  lossExtra: s => repeat(2, [matMulFast(s.batch, s.dim, s.batch)]),
  allItems: true,
};

export const COST_MODELS: Record<string, CostModel> = {
  vbpr: vbprLike, deepstyle: vbprLike, mmgcn, grcn, egogcn, mgcn,
};

/** Whether CKD's reuseKeptBranches changes this backbone's step (its late-fusion branches are reusable). */
export const reusesKeptBranches = (model: string): boolean => !!costModel(model).keptBranchesReusable;

function costModel(model: string): CostModel {
  const c = COST_MODELS[model];
  if (!c) throw new Error(`no FLOP estimate for backbone '${model}' (known: ${Object.keys(COST_MODELS).join(', ')})`);
  return c;
}

function sum(terms: Term[], training: boolean): Flops {
  const out: Flops = { dense: 0, sparse: 0 };
  for (const t of terms) out[t.kind] += t.fwd + (training ? t.bwd : 0);
  return out;
}

/**
 * One optimiser step, forward and backward. plain: one forward under 'all' for the batch
 * (B users, 2B items) plus the model's loss extras. ckd: that, plus per modality one more
 * forward of the student under the modality's mask for the batch and the universal triples
 * (lib/methods/margins.ts computes all items once 2 x triples >= items, likewise users);
 * the teachers' margins are gathers from cached tables (no products). When the step needs all
 * items (a graph backbone, or that many triples), the trainer shares the feature projections
 * between its passes (lib/nn/fixed-features.ts): one projection of all items per modality.
 */
export function trainStepFlops(model: string, s: WorkloadShape, method: 'plain' | 'ckd', opts: { reuseKeptBranches?: boolean } = {}): Flops {
  const c = costModel(model);
  const terms = [...c.forward(s, 'all', { users: s.batch, items: 2 * s.batch }), ...(c.lossExtra?.(s) ?? [])];
  if (method === 'ckd') {
    const triples = s.batch + s.universalCount;
    const allItems = marginsNeedAllItems({ numUsers: s.users, numItems: s.items }, triples);
    const rows = { users: Math.min(triples, s.users), items: allItems ? s.items : 2 * triples };
    // With reuseKeptBranches, an ablated pass takes the kept modality's branch from the full pass.
    const reused = (mask: ModalityMask, t: Term) => !!opts.reuseKeptBranches && t.branch !== undefined && keeps(mask, t.branch);
    for (const m of MODALITIES) terms.push(...c.forward(s, m, rows).filter(t => !reused(m, t)));
    if (c.allItems || allItems) {
      const shared = terms.filter(t => !t.projects);
      for (const m of MODALITIES) shared.push(fixedLinear(s.items, s.featureDims[m], s.dim, m));
      return sum(shared, true);
    }
  }
  return sum(terms, true);
}

/**
 * One validation pass under one mask: an inference forward of all rows (tfjs, one thread) and the
 * scores of every user x item (the ranking kernel, on worker threads), kept apart because they run
 * on different numbers of threads.
 */
export function validationFlops(model: string, s: WorkloadShape, mask: ModalityMask): { forward: Flops; scoring: number } {
  const c = costModel(model);
  // VBPR and DeepStyle: an ablated modality's item block is constant, left out of the scores (lib/eval/constant-columns.ts).
  const width = c === vbprLike && mask !== 'all' ? c.outDim(s) - s.dim : c.outDim(s);
  return { forward: sum(c.forward(s, mask, { users: s.users, items: s.items }), false), scoring: 2 * s.users * s.items * width };
}
