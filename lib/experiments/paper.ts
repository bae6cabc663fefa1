/**
 * The paper's own numbers (Tables 1-3 of Zhang et al., "Modality-Balanced Learning for Multimedia
 * Recommendation", ACM MM 2024), as printed, from the project's data file data/paper-tables.json,
 * with typed accessors and the cells that look misprinted.
 *
 *   Table 1  Recall/NDCG/Precision@20 on the test split: model x method (backbone, gb, ogm, ckd) x data set
 *   Table 2  Recall@20 of the text-only and the visual-only channel of each trained model (the other
 *            modality replaced by its mean); 'teacher' is the uni-modal model trained on that modality
 *   Table 3  Recall@20 of CKD's ablations for VBPR, MMGCN and EgoGCN
 *
 * The paper's 'backbone' is this project's method 'plain'; its 'textual' channel is the mask 'text'.
 */
import raw from '../../data/paper-tables.json';
import { CkdError } from '../errors';

export type PaperModel = 'VBPR' | 'DeepStyle' | 'MMGCN' | 'GRCN' | 'EgoGCN' | 'MGCN';
export const PAPER_MODELS: readonly PaperModel[] = ['VBPR', 'DeepStyle', 'MMGCN', 'GRCN', 'EgoGCN', 'MGCN'];

export type PaperDataset = 'baby' | 'sports' | 'clothing' | 'beauty';
export const PAPER_DATASETS: readonly PaperDataset[] = ['baby', 'sports', 'clothing', 'beauty'];

export type Table1Method = 'backbone' | 'gb' | 'ogm' | 'ckd';
export const TABLE1_METHODS: readonly Table1Method[] = ['backbone', 'gb', 'ogm', 'ckd'];

export type Table1Metric = 'recall@20' | 'ndcg@20' | 'precision@20';
export const TABLE1_METRICS: readonly Table1Metric[] = ['recall@20', 'ndcg@20', 'precision@20'];

export type Table2Method = 'backbone' | 'teacher' | 'gb' | 'ogm' | 'ckd';
export const TABLE2_METHODS: readonly Table2Method[] = ['backbone', 'teacher', 'gb', 'ogm', 'ckd'];

export type PaperChannel = 'textual' | 'visual';
export const PAPER_CHANNELS: readonly PaperChannel[] = ['textual', 'visual'];

export type Table3Model = 'VBPR' | 'MMGCN' | 'EgoGCN';
export const TABLE3_MODELS: readonly Table3Model[] = ['VBPR', 'MMGCN', 'EgoGCN'];

/** CKD and its ablations, in the paper's order. */
export type Table3Variant = 'ckd' | 'without_generic' | 'without_reweight' | 'kl_instead_of_hinge' | 'mse_instead_of_hinge';
export const TABLE3_VARIANTS: readonly Table3Variant[] = [
  'ckd', 'without_generic', 'without_reweight', 'kl_instead_of_hinge', 'mse_instead_of_hinge',
];
export const TABLE3_LABELS: Record<Table3Variant, string> = {
  ckd: 'CKD (full)',
  without_generic: 'w/o generic (universal) triples',
  without_reweight: 'w/o re-weighting',
  kl_instead_of_hinge: 'KL instead of hinge distillation',
  mse_instead_of_hinge: 'MSE instead of hinge distillation',
};

/** A cell of the paper that looks misprinted (all are in Table 1). */
export interface SuspectCell {
  table: 1 | 2 | 3;
  model: PaperModel;
  method: Table1Method;
  dataset: PaperDataset;
  metric: Table1Metric;
  printed: number;
  /** The value the surrounding numbers suggest, where one is obvious. */
  likely?: number;
  note: string;
}

export interface PaperTables {
  about: string;
  source: string;
  metric_notes: string;
  suspect_cells: SuspectCell[];
  table1: Record<PaperModel, Record<Table1Method, Record<PaperDataset, Record<Table1Metric, number>>>>;
  table2: Record<PaperModel, Record<Table2Method, Record<PaperDataset, Record<PaperChannel, number>>>>;
  table3: Record<Table3Model, Record<Table3Variant, Record<PaperDataset, number>>>;
}

/** The whole data file, typed. Treat it as read-only. */
export const PAPER: Readonly<PaperTables> = raw as unknown as PaperTables;

/** The paper's model name for a CLI name ('vbpr' -> 'VBPR'); undefined when the paper has no such model. */
export function paperModelName(name: string): PaperModel | undefined {
  return PAPER_MODELS.find(m => m.toLowerCase() === name.toLowerCase());
}

/** The paper's method name for a CLI method ('plain' -> 'backbone'); undefined for others. */
export function paperMethodName(name: string): Table2Method | undefined {
  const n = name.toLowerCase();
  if (n === 'plain' || n === 'backbone') return 'backbone';
  return (TABLE2_METHODS as readonly string[]).includes(n) ? n as Table2Method : undefined;
}

/** The paper's data set name ('Baby' -> 'baby', 'amazon-sports' -> 'sports'); undefined otherwise. */
export function paperDatasetName(name: string): PaperDataset | undefined {
  const n = name.toLowerCase();
  return PAPER_DATASETS.find(d => n === d || n.endsWith(`-${d}`) || n.endsWith(`_${d}`) || n.endsWith(`/${d}`));
}

function model(name: string): PaperModel {
  const m = paperModelName(name);
  if (!m) throw new CkdError(`the paper has no model '${name}' (it has ${PAPER_MODELS.join(', ')})`);
  return m;
}

function dataset(name: string): PaperDataset {
  const d = paperDatasetName(name);
  if (!d) throw new CkdError(`the paper has no data set '${name}' (it has ${PAPER_DATASETS.join(', ')})`);
  return d;
}

function metric(name: string): Table1Metric {
  const m = name.toLowerCase();
  if (!(TABLE1_METRICS as readonly string[]).includes(m)) {
    throw new CkdError(`Table 1 has no metric '${name}' (it has ${TABLE1_METRICS.join(', ')})`);
  }
  return m as Table1Metric;
}

/**
 * Table 1 as printed: test metric of model+method on a data set. Method 'plain' means 'backbone'.
 * Pass { corrected: true } to get the likely value of a suspect cell instead of the printed one.
 */
export function paperTable1(modelName: string, method: string, ds: string, metricName: string, opts: { corrected?: boolean } = {}): number {
  const mo = model(modelName);
  const me = paperMethodName(method);
  if (me === undefined || me === 'teacher') throw new CkdError(`Table 1 has no method '${method}' (it has ${TABLE1_METHODS.join(', ')})`);
  const d = dataset(ds);
  const k = metric(metricName);
  if (opts.corrected) {
    const s = suspectCell(mo, me, d, k);
    if (s?.likely !== undefined) return s.likely;
  }
  return PAPER.table1[mo][me][d][k];
}

/** Table 2 as printed: Recall@20 of a channel ('text'/'textual' or 'visual') of model+method on a data set. */
export function paperTable2(modelName: string, method: string, ds: string, channel: string): number {
  const mo = model(modelName);
  const me = paperMethodName(method);
  if (me === undefined) throw new CkdError(`Table 2 has no method '${method}' (it has ${TABLE2_METHODS.join(', ')})`);
  const c = channel === 'text' ? 'textual' : channel;
  if (c !== 'textual' && c !== 'visual') throw new CkdError(`Table 2 has no channel '${channel}' (it has text, visual)`);
  return PAPER.table2[mo][me][dataset(ds)][c];
}

/** Table 3 as printed: Recall@20 of a CKD variant for VBPR, MMGCN or EgoGCN on a data set. */
export function paperTable3(modelName: string, variant: string, ds: string): number {
  const mo = model(modelName);
  if (!(TABLE3_MODELS as readonly string[]).includes(mo)) {
    throw new CkdError(`Table 3 has no model '${modelName}' (it has ${TABLE3_MODELS.join(', ')})`);
  }
  if (!(TABLE3_VARIANTS as readonly string[]).includes(variant)) {
    throw new CkdError(`Table 3 has no variant '${variant}' (it has ${TABLE3_VARIANTS.join(', ')})`);
  }
  return PAPER.table3[mo as Table3Model][variant as Table3Variant][dataset(ds)];
}

/** The suspect-cell note for a Table 1 cell, if the cell looks misprinted. */
export function suspectCell(modelName: string, method: string, ds: string, metricName: string): SuspectCell | undefined {
  const mo = paperModelName(modelName);
  const me = paperMethodName(method);
  const d = paperDatasetName(ds);
  const k = metricName.toLowerCase();
  return PAPER.suspect_cells.find(s => s.model === mo && s.method === me && s.dataset === d && s.metric === k);
}
