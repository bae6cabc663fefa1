import { CkdError } from '../errors';
import { OptionSpecs } from '../options/spec';
import { BackboneFactory } from './backbone';
import { BPRMF_PARAMS, BprMf } from './bprmf';
import { DEEPSTYLE_PARAMS, DeepStyle } from './deepstyle';
import { EGOGCN_LR, EGOGCN_PARAMS, egogcnFactory } from './egogcn';
import { GRCN_LR, GRCN_PARAMS, grcnFactory } from './grcn';
import { MGCN_LR, MGCN_PARAMS, mgcnFactory } from './mgcn';
import { MMGCN_LR, MMGCN_PARAMS, mmgcnFactory } from './mmgcn';
import { VBPR_PARAMS, Vbpr } from './vbpr';

export interface BackboneEntry {
  factory: BackboneFactory;
  /** One line for help texts. */
  summary: string;
  /** Learning rate of the model's reference code, used when none is given. */
  lr: number;
  /** Its hyper-parameters (BackboneOptions.params), as the model declares them (lib/models/params.ts). */
  params: OptionSpecs;
}

/** Every backbone by its CLI name. */
export const BACKBONES: Record<string, BackboneEntry> = {
  bprmf: { factory: (data, opts) => new BprMf(data, opts), summary: 'BPR-MF, ID embeddings only (no content)', lr: 5e-4, params: BPRMF_PARAMS },
  vbpr: { factory: (data, opts) => new Vbpr(data, opts), summary: 'VBPR, late fusion by concatenation (CKD code form)', lr: 5e-4, params: VBPR_PARAMS },
  deepstyle: { factory: (data, opts) => new DeepStyle(data, opts), summary: 'DeepStyle, VBPR layout with category-removed style terms', lr: 5e-4, params: DEEPSTYLE_PARAMS },
  mmgcn: { factory: mmgcnFactory, summary: 'MMGCN, one 3-layer GCN per modality with ID embeddings, branches averaged (CKD code form)', lr: MMGCN_LR, params: MMGCN_PARAMS },
  grcn: { factory: grcnFactory, summary: 'GRCN, user-item graph refined by attention and learned confidences, [id | C_v | C_t]', lr: GRCN_LR, params: GRCN_PARAMS },
  egogcn: { factory: egogcnFactory, summary: 'EgoGCN, early fusion by edge-wise modulation between modality graphs (soft mode, two modalities)', lr: EGOGCN_LR, params: EGOGCN_PARAMS },
  mgcn: { factory: mgcnFactory, summary: 'MGCN, purified item-item kNN views, behaviour-aware fuser, contrastive term (frozen features)', lr: MGCN_LR, params: MGCN_PARAMS },
};

export function backboneEntry(name: string): BackboneEntry {
  const e = BACKBONES[name.toLowerCase()];
  if (!e) throw new CkdError(`unknown model '${name}' (expected one of: ${Object.keys(BACKBONES).join(', ')})`);
  return e;
}

export function backboneFactory(name: string): BackboneFactory {
  return backboneEntry(name).factory;
}
