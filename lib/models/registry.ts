import { CkdError } from '../errors';
import { BackboneFactory } from './backbone';
import { BprMf } from './bprmf';
import { DeepStyle } from './deepstyle';
import { EGOGCN_LR, egogcnFactory } from './egogcn';
import { GRCN_LR, grcnFactory } from './grcn';
import { MGCN_LR, mgcnFactory } from './mgcn';
import { MMGCN_LR, mmgcnFactory } from './mmgcn';
import { Vbpr } from './vbpr';

export interface BackboneEntry {
  factory: BackboneFactory;
  /** One line for help texts. */
  summary: string;
  /** Learning rate of the model's reference code, used when none is given. */
  lr: number;
}

/** Every backbone by its CLI name. */
export const BACKBONES: Record<string, BackboneEntry> = {
  bprmf: { factory: (data, opts) => new BprMf(data, opts), summary: 'BPR-MF, ID embeddings only (no content)', lr: 5e-4 },
  vbpr: { factory: (data, opts) => new Vbpr(data, opts), summary: 'VBPR, late fusion by concatenation (CKD code form)', lr: 5e-4 },
  deepstyle: { factory: (data, opts) => new DeepStyle(data, opts), summary: 'DeepStyle, VBPR layout with category-removed style terms', lr: 5e-4 },
  mmgcn: { factory: mmgcnFactory, summary: 'MMGCN, one 3-layer GCN per modality with ID embeddings, branches averaged (CKD code form)', lr: MMGCN_LR },
  grcn: { factory: grcnFactory, summary: 'GRCN, user-item graph refined by attention and learned confidences, [id | C_v | C_t]', lr: GRCN_LR },
  egogcn: { factory: egogcnFactory, summary: 'EgoGCN, early fusion by edge-wise modulation between modality graphs (soft mode, two modalities)', lr: EGOGCN_LR },
  mgcn: { factory: mgcnFactory, summary: 'MGCN, purified item-item kNN views, behaviour-aware fuser, contrastive term (frozen features)', lr: MGCN_LR },
};

export function backboneEntry(name: string): BackboneEntry {
  const e = BACKBONES[name.toLowerCase()];
  if (!e) throw new CkdError(`unknown model '${name}' (expected one of: ${Object.keys(BACKBONES).join(', ')})`);
  return e;
}

export function backboneFactory(name: string): BackboneFactory {
  return backboneEntry(name).factory;
}
