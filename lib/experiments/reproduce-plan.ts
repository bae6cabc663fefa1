/**
 * What `ckd reproduce` and the notebooks run: the cells behind Figure 1, the gradient analysis
 * and Tables 1-3, for a preset.
 *   quick       one seed, VBPR and EgoGCN, a CI-sized run with every table and figure: teachers
 *               trained to convergence (QUICK_TEACHERS), every other cell at most 10 epochs
 *   quick-short the quick preset of our first releases (teachers at most 10 epochs as well); kept
 *               so its committed records stay reproducible
 *   full        the paper's protocol, run until convergence: the learning rate of each backbone
 *               and mode chosen on validation from the paper's grid (lr-search.ts), validation
 *               every 5 epochs, stop after 10 validations without a better Recall@20 (50 epochs
 *               of patience), a cap of 1000 epochs that a converging run does not reach; three
 *               seeds of six backbones x {plain, GB, OGM-GE, CKD in the paper's form and in the
 *               authors' code's form}, the four ablations for VBPR, MMGCN and EgoGCN, BPR-MF;
 *               plain against CKD with 10 seeds on VBPR and 5 on EgoGCN
 *   smoke       a one-minute check of the whole pipeline on tiny data (e.g. a cluster's setup
 *               before the full grid): VBPR only, three seeds (three groups, so three shards
 *               have work), 6 epochs, every method and ablation
 *   full-short  the protocol of our first full grid (lr 1e-3, validation every epoch, patience 5,
 *               at most 40 epochs), whose teachers mostly stopped far from convergence; kept so
 *               its committed records stay reproducible
 *   payoff      only what the payoff figure needs (payoff.ts), under full's protocol and with
 *               full's cells (the same keys: on `default` it reuses the full grid's records):
 *               VBPR and EgoGCN plain in the three modes and with CKD, converged teachers and
 *               teachers stopped after 5-40 epochs, seeds 1-3, and BPR-MF (the ID-only
 *               precondition); for the data sets of the second axis (weak-ids, strong-ids)
 * Test metrics are those of the best validation state.
 * Cells are ordered by what the tables need most: teachers, plain and CKD of every backbone and
 * seed first, then GB and OGM, then the ablations.
 */
import { CkdError } from '../errors';
import { Modality } from '../data/dataset';
import { MethodName } from '../methods/registry';
import { TRAIN_MODES, TrainMode, maskOfMode } from '../models/backbone';
import { backboneEntry } from '../models/registry';
import { FULL_GRID_PREDICTION } from './headline';
import { walkLearningRates } from './lr-search';
import { configKey } from './result-store';
import { CKD_CODE_FORM, CellTraining, RunCell, RunStore, TeacherTraining, cellLabel, makeRunCell, teacherCells } from './run-cell';

export type PresetName = 'quick' | 'quick-short' | 'full' | 'full-short' | 'smoke' | 'payoff';
export const PRESET_NAMES: readonly PresetName[] = ['quick', 'quick-short', 'full', 'full-short', 'smoke', 'payoff'];

export interface ReproducePreset {
  name: PresetName;
  seeds: number[];
  /** Trainer settings; with `lrGrid`, train.lr is replaced by the rate selected per backbone and mode. */
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
  /** Learning rates to choose from on validation, per backbone and mode (lr-search.ts). */
  lrGrid?: readonly number[];
  /** Backbones whose plain and CKD cells (with teachers) run with seeds 1..N beyond `seeds`. */
  moreSeeds?: Readonly<Record<string, number>>;
  /** Also run CKD in the form of the authors' code on the table backbones. */
  ckdCodeForm?: boolean;
  /** Table 1's content-free baseline BPR-MF (plain, every seed). */
  idBaseline?: boolean;
  /**
   * When does CKD pay off: CKD with teachers stopped after each of these epoch budgets, on these
   * backbones and the preset's seeds (payoff.ts); the converged teachers are the grid's own.
   */
  payoff?: { models: string[]; teacherEpochs: number[] };
  /** What was predicted before the grid ran, for the headline table (headline.ts). */
  prediction?: typeof FULL_GRID_PREDICTION;
  /**
   * Backbone parameters per model (`ckd reproduce --param`), carried by every cell of that model
   * (those off their defaults enter the cells' keys; lib/models/params.ts). None in a shipped preset.
   */
  params?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /**
   * Teachers trained under their own protocol: the uni-modal plain cells (Figure 1's uni-modal
   * curves, Table 2's teacher rows) and the teachers of every CKD cell take these settings and a
   * learning rate per backbone and modality. Without it they share the students' settings (and,
   * with `lrGrid`, the rate selected for their mode).
   */
  teachers?: { train: TeacherTraining; lr: Readonly<Record<string, Readonly<Record<Modality, number>>>> };
}

const TRAIN: Omit<CellTraining, 'seed' | 'epochs'> = { lr: 1e-3, batchSize: 1024, evalEvery: 1, patience: 5, ndcg: 'standard' };
const SIX = ['vbpr', 'deepstyle', 'mmgcn', 'grcn', 'egogcn', 'mgcn'];
/**
 * The full preset's protocol, shared with the payoff preset so that their common cells are one
 * (a cell's key holds its settings, never the preset's name). lr is only the fallback: lrGrid
 * selects one per backbone and mode.
 */
const FULL_TRAIN: Omit<CellTraining, 'seed'> = { lr: 5e-4, batchSize: 1024, evalEvery: 5, patience: 10, epochs: 1000, ndcg: 'standard' };
const FULL_LR_GRID: readonly number[] = [5e-3, 1e-3, 5e-4, 1e-4];
const FULL_PAYOFF = { models: ['vbpr', 'egogcn'], teacherEpochs: [5, 10, 20, 40] };

/** The quick preset of our first releases: every cell, teachers included, at most 10 epochs. */
const QUICK_SHORT: ReproducePreset = {
  name: 'quick-short', seeds: [1], train: { ...TRAIN, epochs: 10, patience: 3 },
  figure1Models: ['vbpr', 'egogcn'], probeModels: ['vbpr'], tableModels: ['vbpr', 'egogcn'],
  methods: ['plain', 'gb', 'ogm', 'ckd'], ablationModels: ['vbpr'],
};
/**
 * The quick preset's teachers, trained to convergence while its students keep 10 epochs: the
 * paper's validation cadence (every 5 epochs), stopped after 4 validations (20 epochs) without a
 * better validation Recall@20, at most 200 epochs. Each rate is the one of the paper's grid
 * {5e-3, 1e-3, 5e-4, 1e-4} with the best validation Recall@20 among those whose run converges
 * under this rule within the cap, read off the full grid's learning-rate walks on `default`
 * (seed 1; the table in docs/prediction-quick.md): VBPR text 1e-3 (stops at epoch 155),
 * visual 5e-4 (75; 1e-4 validates higher but needs 270 epochs), EgoGCN both 1e-3 (60).
 */
const QUICK_TEACHERS: NonNullable<ReproducePreset['teachers']> = {
  train: { epochs: 200, batchSize: 1024, evalEvery: 5, patience: 4, ndcg: 'standard' },
  lr: { vbpr: { text: 1e-3, visual: 5e-4 }, egogcn: { text: 1e-3, visual: 1e-3 } },
};

export const PRESETS: Record<PresetName, ReproducePreset> = {
  quick: { ...QUICK_SHORT, name: 'quick', teachers: QUICK_TEACHERS },
  'quick-short': QUICK_SHORT,
  full: {
    name: 'full', seeds: [1, 2, 3], train: FULL_TRAIN, lrGrid: FULL_LR_GRID,
    figure1Models: ['vbpr', 'egogcn'], probeModels: ['vbpr'], tableModels: SIX,
    methods: ['plain', 'gb', 'ogm', 'ckd'], ablationModels: ['vbpr', 'mmgcn', 'egogcn'],
    moreSeeds: { vbpr: 10, egogcn: 5 }, ckdCodeForm: true, idBaseline: true, prediction: FULL_GRID_PREDICTION,
    payoff: FULL_PAYOFF,
  },
  'full-short': {
    name: 'full-short', seeds: [1, 2, 3], train: { ...TRAIN, epochs: 40 },
    figure1Models: ['vbpr', 'egogcn'], probeModels: ['vbpr'], tableModels: SIX,
    methods: ['plain', 'gb', 'ogm', 'ckd'], ablationModels: ['vbpr', 'mmgcn', 'egogcn'],
  },
  // VBPR keeps full's gradient probe: the probe is in a cell's key.
  payoff: {
    name: 'payoff', seeds: [1, 2, 3], train: FULL_TRAIN, lrGrid: FULL_LR_GRID,
    figure1Models: [], probeModels: ['vbpr'], tableModels: FULL_PAYOFF.models,
    methods: ['plain', 'ckd'], ablationModels: [], idBaseline: true, payoff: FULL_PAYOFF,
  },
  smoke: {
    name: 'smoke', seeds: [1, 2, 3], train: { ...TRAIN, epochs: 6, patience: 3 },
    figure1Models: ['vbpr'], probeModels: ['vbpr'], tableModels: ['vbpr'],
    methods: ['plain', 'gb', 'ogm', 'ckd'], ablationModels: ['vbpr'],
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
  /**
   * Cells that must run in one process: a backbone and seed (they share teachers), or a whole
   * backbone where its learning rates are selected on its first seed's cells.
   */
  group: string;
  /** Run only to select a learning rate (a walk's rate that was not selected, or not yet): in no table. */
  lrSearch?: boolean;
  /** A cell of the payoff experiment (short-trained teachers, or CKD with them): in its own figure, no table. */
  payoff?: boolean;
}

export interface Plan {
  cells: PlannedCell[];
  /** Cells not planned yet because a learning rate they need is still being selected. */
  waiting: number;
}

/**
 * Every cell of a preset on a data set (by fingerprint), in run order, without duplicates. With
 * a learning-rate grid the plan grows as the store fills: each backbone and mode contributes its
 * walk's cells so far (lr-search.ts), and the cells that need its rate once the walk has ended.
 */
export function planPreset(preset: ReproducePreset, dataset: string, models?: string[], store?: RunStore): Plan {
  const keep = (m: string) => !models || models.includes(m);
  models?.forEach(m => backboneEntry(m));
  const out: PlannedCell[] = [];
  const seen = new Map<string, PlannedCell>();
  let waiting = 0;
  const push = (cell: RunCell, group: string, lrSearch = false, payoff = false) => {
    const id = configKey(cell);
    const known = seen.get(id);
    if (known) {
      // A walk's cell at the selected rate is also the grid's cell.
      if (!lrSearch) delete known.lrSearch;
      return;
    }
    const p: PlannedCell = { cell, group, ...(lrSearch ? { lrSearch } : {}), ...(payoff ? { payoff } : {}) };
    seen.set(id, p);
    out.push(p);
  };
  const groupOf = (model: string, seed: number) => preset.lrGrid ? model : `${model}:${seed}`;
  /** The rate of (model, mode); with a grid, adds the walk's cells to the plan. */
  const rateOf = (model: string, mode: TrainMode): number | undefined => {
    if (!preset.lrGrid) return preset.train.lr;
    const walk = walkLearningRates(walkBase(preset, dataset, model, mode), preset.lrGrid, store ?? EMPTY_STORE);
    for (const cell of walk.cells) push(cell, model, true);
    return walk.selected;
  };
  const add = (model: string, seed: number, mode: TrainMode, method: MethodName, methodOptions: Record<string, unknown> = {}, teacherEpochs?: number) => {
    if (!keep(model)) return;
    const own = preset.teachers;
    const ownLr = own?.lr[model];
    const teacher = own && mode !== 'multimodal';
    const lr = teacher ? ownLr?.[maskOfMode(mode) as Modality] ?? preset.train.lr : rateOf(model, mode);
    const teacherLr = method !== 'ckd' ? undefined
      : own ? ownLr
      : preset.lrGrid ? { text: rateOf(model, 'text-only'), visual: rateOf(model, 'visual-only') } : undefined;
    if (lr === undefined || (teacherLr && (teacherLr.text === undefined || teacherLr.visual === undefined))) { waiting++; return; }
    const cell = makeRunCell({
      dataset, model, mode, method, methodOptions, train: { ...preset.train, ...(teacher ? own.train : {}), lr, seed }, probe: preset.probeModels.includes(model),
      params: preset.params?.[model], teacherLr: teacherLr as Record<Modality, number> | undefined, teacherEpochs,
      teacherTrain: method === 'ckd' ? own?.train : undefined,
    });
    if (teacherEpochs === undefined) { push(cell, groupOf(model, seed)); return; }
    for (const t of Object.values(teacherCells(cell))) push(t, groupOf(model, seed), false, true);
    push(cell, groupOf(model, seed), false, true);
  };
  const modelsInOrder = [...new Set([...preset.tableModels, ...preset.figure1Models, ...preset.ablationModels])];
  for (const model of modelsInOrder) {
    for (const seed of plainAndCkdSeeds(preset, model)) {
      for (const mode of TRAIN_MODES) add(model, seed, mode, 'plain');
      if (preset.tableModels.includes(model) && preset.methods.includes('ckd')) add(model, seed, 'multimodal', 'ckd');
    }
  }
  for (const model of preset.tableModels) {
    for (const seed of preset.seeds) {
      for (const method of preset.methods) add(model, seed, 'multimodal', method);
      if (preset.ckdCodeForm) add(model, seed, 'multimodal', 'ckd', { ...CKD_CODE_FORM });
    }
  }
  if (preset.idBaseline && keep('bprmf')) for (const seed of preset.seeds) add('bprmf', seed, 'multimodal', 'plain');
  for (const model of preset.ablationModels) {
    for (const seed of preset.seeds) {
      add(model, seed, 'multimodal', 'ckd');
      for (const options of Object.values(ABLATIONS)) add(model, seed, 'multimodal', 'ckd', options);
    }
  }
  for (const model of preset.payoff?.models ?? []) {
    for (const seed of preset.seeds) {
      for (const epochs of preset.payoff!.teacherEpochs) add(model, seed, 'multimodal', 'ckd', {}, epochs);
    }
  }
  return { cells: out, waiting };
}

/** The backbones a preset trains (BPR-MF included where it is the preset's baseline). */
export function presetModels(preset: ReproducePreset): string[] {
  return [...new Set([...preset.tableModels, ...preset.figure1Models, ...preset.ablationModels, ...(preset.payoff?.models ?? []), ...(preset.idBaseline ? ['bprmf'] : [])])];
}

/** The seeds of a backbone's plain runs (every mode) and CKD runs: the preset's, and 1..N where it runs more (moreSeeds). */
export function plainAndCkdSeeds(preset: ReproducePreset, model: string): number[] {
  return [...new Set([...preset.seeds, ...Array.from({ length: preset.moreSeeds?.[model] ?? 0 }, (_, k) => k + 1)])];
}

/** The plain first-seed cell of (model, mode) whose rate the learning-rate walk varies. */
export function walkBase(preset: ReproducePreset, dataset: string, model: string, mode: TrainMode): RunCell {
  return makeRunCell({
    dataset, model, mode, method: 'plain', train: { ...preset.train, seed: preset.seeds[0] }, probe: preset.probeModels.includes(model), params: preset.params?.[model],
  });
}

/** The cells planned so far (planPreset without the count of those waiting). */
export function planCells(preset: ReproducePreset, dataset: string, models?: string[], store?: RunStore): PlannedCell[] {
  return planPreset(preset, dataset, models, store).cells;
}

/** The planned cells that the tables and figures use: without the learning-rate search's other rates and the payoff experiment. */
export function gridCells(preset: ReproducePreset, dataset: string, models?: string[], store?: RunStore): PlannedCell[] {
  return planCells(preset, dataset, models, store).filter(p => !p.lrSearch && !p.payoff);
}

const EMPTY_STORE = { get: () => undefined } as unknown as RunStore;

/** The cells of shard `index` (0-based) of `count`: whole (backbone, seed) groups, dealt round-robin. */
export function shardCells<T extends PlannedCell>(cells: T[], index: number, count: number): T[] {
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
export function sectionCells(preset: ReproducePreset, dataset: string, section: Section, store?: RunStore): PlannedCell[] {
  const first = preset.seeds[0];
  const all = gridCells(preset, dataset, undefined, store);
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

/** A teacher of the payoff experiment: trained for its epoch budget only, so by design it may not converge. */
export function isBudgetTeacher(p: PlannedCell): boolean {
  return !!p.payoff && p.cell.mode !== 'multimodal';
}

/**
 * A planned cell's label: its cell's, marked where it is a walk's rate that is in no table, or a
 * payoff teacher, which stops at its epoch budget by design (so its state reads NOT CONVERGED).
 */
export function plannedCellLabel(p: PlannedCell): string {
  return `${cellLabel(p.cell)}${p.lrSearch ? ' (learning-rate search)' : ''}${isBudgetTeacher(p) ? ` (payoff teacher, ${p.cell.train.epochs}-epoch budget)` : ''}`;
}

/**
 * `ckd reproduce --plan`: one line per cell, tab-separated: key, group, state (done, to run),
 * learning rate, label (with '(learning-rate search)' for a walk's rate that is in no table),
 * after a '#' line naming the columns; with a shard, only its cells. A plan that selects
 * learning rates ends with a '#' line saying how many cells join as rates are selected.
 */
export function planListing(plan: Plan, has: (key: string) => boolean, shard?: { index: number; count: number }): string[] {
  const cells = shard ? shardCells(plan.cells, shard.index, shard.count) : plan.cells;
  const lines = ['# key\tgroup\tstate\tlr\tcell'];
  for (const p of cells) {
    const key = configKey(p.cell);
    lines.push(`${key}\t${p.group}\t${has(key) ? 'done' : 'to run'}\t${p.cell.train.lr}\t${plannedCellLabel(p)}`);
  }
  if (plan.waiting > 0) {
    lines.push(`# and ${plan.waiting} more cells (over all shards) join the plan as the learning rates they need are selected on validation; ` +
      'a shard plans again after each cell it runs, and its groups (whole backbones) stay its own');
  }
  return lines;
}
