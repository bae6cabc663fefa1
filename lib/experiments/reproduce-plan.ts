/**
 * What `ckd reproduce` and the notebooks run: the cells behind Figure 1, the gradient analysis
 * and Tables 1-3, for a preset.
 *   quick  one seed, 10 epochs, VBPR and EgoGCN: a CI-sized run with every table and figure
 *   full   three seeds, up to 40 epochs, all six backbones x {plain, gb, ogm, ckd}, the four
 *          ablations for VBPR, MMGCN and EgoGCN
 * Every cell validates every epoch (Figure 1 needs the curves) and stops after `patience`
 * validations without a better Recall@20; test metrics are those of the best validation state.
 * Cells are ordered by what the tables need most: teachers, plain and CKD of every backbone and
 * seed first, then GB and OGM, then the ablations.
 */
import { CkdError } from '../errors';
import { MethodName } from '../methods/registry';
import { TRAIN_MODES } from '../models/backbone';
import { backboneEntry } from '../models/registry';
import { CellTraining, RunCell, runCell } from './run-cell';

export type PresetName = 'quick' | 'full';
export const PRESET_NAMES: readonly PresetName[] = ['quick', 'full'];

export interface ReproducePreset {
  name: PresetName;
  seeds: number[];
  train: Omit<CellTraining, 'seed'>;
  /** Figure 1: the three modes of each, first seed. */
  figure1Models: string[];
  /** Section 2.4: these backbones' cells carry the gradient probe. */
  probeModels: string[];
  /** Tables 1 and 2. */
  tableModels: string[];
  methods: MethodName[];
  /** Table 3. */
  ablationModels: string[];
}

const TRAIN: Omit<CellTraining, 'seed' | 'epochs'> = { lr: 1e-3, batchSize: 1024, evalEvery: 1, patience: 5, ndcg: 'standard' };

export const PRESETS: Record<PresetName, ReproducePreset> = {
  quick: {
    name: 'quick', seeds: [1], train: { ...TRAIN, epochs: 10, patience: 3 },
    figure1Models: ['vbpr', 'egogcn'], probeModels: ['vbpr'], tableModels: ['vbpr', 'egogcn'],
    methods: ['plain', 'gb', 'ogm', 'ckd'], ablationModels: ['vbpr'],
  },
  full: {
    name: 'full', seeds: [1, 2, 3], train: { ...TRAIN, epochs: 40 },
    figure1Models: ['vbpr', 'egogcn'], probeModels: ['vbpr'], tableModels: ['vbpr', 'deepstyle', 'mmgcn', 'grcn', 'egogcn', 'mgcn'],
    methods: ['plain', 'gb', 'ogm', 'ckd'], ablationModels: ['vbpr', 'mmgcn', 'egogcn'],
  },
};

export function presetByName(name: string): ReproducePreset {
  const p = PRESETS[name as PresetName];
  if (!p) throw new CkdError(`unknown preset '${name}' (expected one of: ${PRESET_NAMES.join(', ')})`);
  return p;
}

/** The CKD options of each Table 3 ablation. */
export const ABLATIONS: Record<string, Record<string, unknown>> = {
  without_generic: { generic: false },
  without_reweight: { reweight: 'none' },
  kl_instead_of_hinge: { sdLoss: 'kl' },
  mse_instead_of_hinge: { sdLoss: 'mse' },
};

export interface PlannedCell {
  cell: RunCell;
  /** Cells of one backbone and seed share teachers: a shard keeps them together. */
  group: string;
}

/** Every cell of a preset on a data set (by fingerprint), in run order, without duplicates. */
export function planCells(preset: ReproducePreset, dataset: string, models?: string[]): PlannedCell[] {
  const keep = (m: string) => !models || models.includes(m);
  models?.forEach(m => backboneEntry(m));
  const out: PlannedCell[] = [];
  const seen = new Set<string>();
  const add = (model: string, seed: number, mode: RunCell['mode'], method: MethodName, methodOptions: Record<string, unknown> = {}) => {
    if (!keep(model)) return;
    const cell = runCell({
      dataset, model, mode, method, methodOptions, train: { ...preset.train, seed }, probe: preset.probeModels.includes(model),
    });
    const id = JSON.stringify(cell);
    if (seen.has(id)) return;
    seen.add(id);
    out.push({ cell, group: `${model}:${seed}` });
  };
  const modelsInOrder = [...new Set([...preset.tableModels, ...preset.figure1Models, ...preset.ablationModels])];
  for (const model of modelsInOrder) {
    for (const seed of preset.seeds) {
      for (const mode of TRAIN_MODES) add(model, seed, mode, 'plain');
      if (preset.tableModels.includes(model) && preset.methods.includes('ckd')) add(model, seed, 'multimodal', 'ckd');
    }
  }
  for (const model of preset.tableModels) {
    for (const seed of preset.seeds) {
      for (const method of preset.methods) add(model, seed, 'multimodal', method);
    }
  }
  for (const model of preset.ablationModels) {
    for (const seed of preset.seeds) {
      add(model, seed, 'multimodal', 'ckd');
      for (const options of Object.values(ABLATIONS)) add(model, seed, 'multimodal', 'ckd', options);
    }
  }
  return out;
}

/** The cells of shard `index` (0-based) of `count`: whole (backbone, seed) groups, dealt round-robin. */
export function shardCells(cells: PlannedCell[], index: number, count: number): PlannedCell[] {
  if (!(Number.isInteger(count) && count >= 1 && Number.isInteger(index) && index >= 0 && index < count)) {
    throw new CkdError(`shard ${index + 1}/${count} is not a valid shard`);
  }
  const groups = [...new Set(cells.map(c => c.group))];
  const mine = new Set(groups.filter((_, k) => k % count === index));
  return cells.filter(c => mine.has(c.group));
}

/** What each notebook shows; its cells are a subset of the preset's. */
export type Section = 'figure1' | 'gradients' | 'table1' | 'table2' | 'table3';
export const SECTIONS: readonly Section[] = ['figure1', 'gradients', 'table1', 'table2', 'table3'];

/** The preset's cells a section needs (CKD cells bring their teachers when run). */
export function sectionCells(preset: ReproducePreset, dataset: string, section: Section): PlannedCell[] {
  const first = preset.seeds[0];
  const all = planCells(preset, dataset);
  const pick = (f: (c: PlannedCell['cell']) => boolean) => all.filter(p => f(p.cell));
  const fullCkd = (c: PlannedCell['cell']) => c.method === 'ckd' && Object.keys(c.methodOptions).length === 0;
  switch (section) {
    case 'figure1':
      return pick(c => preset.figure1Models.includes(c.model) && c.method === 'plain' && c.train.seed === first);
    case 'gradients':
      return pick(c => preset.probeModels.includes(c.model) && c.train.seed === first && (c.method === 'plain' || fullCkd(c)));
    case 'table1':
      return pick(c => preset.tableModels.includes(c.model) && c.mode === 'multimodal' && (c.method !== 'ckd' || fullCkd(c)));
    case 'table2':
      return pick(c => preset.tableModels.includes(c.model) && (c.method !== 'ckd' || fullCkd(c)));
    case 'table3':
      return pick(c => preset.ablationModels.includes(c.model) && (c.method === 'ckd' || (c.method === 'plain' && c.mode === 'multimodal')));
  }
}
