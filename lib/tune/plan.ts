/**
 * What `ckd tune` runs, as run cells of a results folder (lib/experiments/run-cell.ts), in three
 * phases, each planned once the one before has finished (the plan grows as the store fills):
 *   1. learning rates: where neither --lr (the student's) nor --teacher-lr (a CKD student's
 *      teachers') fixes them and the protocol selects rates on validation (the full preset), the
 *      protocol's learning-rate walk of each mode needed (lib/experiments/lr-search.ts): the same
 *      cells as that preset's walk, so the same keys;
 *   2. search: each configuration of the space (its grid, or --budget of them drawn at random)
 *      trained once, on the protocol's first seed; a CKD cell's teachers come first;
 *   3. final: the configuration with the best validation Recall@20 (fused) in phase 2 (test
 *      metrics are never read to select; ties go to the first in search order), the untuned
 *      default configuration, and, for a method other than plain, the plain backbone, each on
 *      seeds 1..N. A cell already run in an earlier phase is not planned again.
 * Every cell has the protocol's trainer settings and gradient-probe setting, so a tune cell that
 * is also a preset's cell (the default configuration at the preset's rates) has that cell's key.
 *
 * Groups (what a shard takes whole, lib/experiments/reproduce-plan.ts shardCells): a walk is one
 * group (its cells run in order); every other cell is a group of its own. A CKD cell whose
 * teachers another shard trains is not ready until they are in the store (readyToRun); a shard
 * with nothing ready waits for the others (lib/tune/run.ts). Groups only ever join the plan at
 * its end, so every shard deals them the same way all along.
 */
import { Modality } from '../data/dataset';
import { MethodName } from '../methods/registry';
import { TrainMode, maskOfMode } from '../models/backbone';
import { walkLearningRates } from '../experiments/lr-search';
import { PlannedCell, ReproducePreset, walkBase } from '../experiments/reproduce-plan';
import { configKey } from '../experiments/result-store';
import { RunCell, RunStore, makeRunCell, teacherCells } from '../experiments/run-cell';
import { SearchSpace, TuneConfig, gridConfigurations, sampleConfigurations } from './space';

export type TuneSearch = { kind: 'grid' } | { kind: 'random'; budget: number; seed: number };

export interface TuneSetup {
  /** The data set's fingerprint. */
  dataset: string;
  model: string;
  method: MethodName;
  space: SearchSpace;
  search: TuneSearch;
  /** The protocol: trainer settings, learning-rate grid, probe setting, first seed (the search's). */
  protocol: ReproducePreset;
  /** The final phase's seeds, 1..seeds. */
  seeds: number;
  /** The student's learning rate, fixed (--lr); else the protocol's (selected, or its own). */
  lr?: number;
  /** A CKD student's teachers' learning rates, fixed (--teacher-lr). */
  teacherLr?: Record<Modality, number>;
  /** Backbone parameters of every cell (--param), under the space's own. */
  params?: Record<string, number>;
}

export type TunePhase = 'lr' | 'search' | 'final';

export interface TunePlannedCell extends PlannedCell {
  phase: TunePhase;
}

/** The final phase: the selected configuration, the default one, and the plain backbone, by seed. */
export interface TuneFinal {
  selected: number;
  cells: { selected: RunCell[]; default: RunCell[]; plain?: RunCell[] };
}

export interface TunePlan {
  cells: TunePlannedCell[];
  /** What more cells wait for (phase 1 or 2 unfinished), or undefined when the plan is complete. */
  waiting?: string;
  /** The learning rates, once known: the student's and, for CKD, the teachers' (when not the student's). */
  rates?: { student: number; teachers?: Record<Modality, number>; selectedOnValidation: boolean };
  /** The search's configurations, in search order, and their cells. */
  search?: { configs: TuneConfig[]; cells: RunCell[] };
  final?: TuneFinal;
}

const EMPTY_STORE = { get: () => undefined, has: () => false } as unknown as RunStore;

/** The search's configurations (the grid, or a random draw of it). */
export function searchConfigurations(setup: Pick<TuneSetup, 'space' | 'search'>): TuneConfig[] {
  return setup.search.kind === 'grid' ? gridConfigurations(setup.space) : sampleConfigurations(setup.space, setup.search.budget, setup.search.seed);
}

export function planTune(setup: TuneSetup, store: RunStore = EMPTY_STORE): TunePlan {
  const cells: TunePlannedCell[] = [];
  const seen = new Set<string>();
  const push = (cell: RunCell, group: string | undefined, phase: TunePhase, lrSearch = false) => {
    const key = configKey(cell);
    if (seen.has(key)) {
      if (!lrSearch) { const p = cells.find(c => configKey(c.cell) === key); if (p) delete p.lrSearch; }
      return;
    }
    seen.add(key);
    cells.push({ cell, group: group ?? key, phase, ...(lrSearch ? { lrSearch } : {}) });
  };
  const withTeachers = (cell: RunCell, phase: TunePhase) => {
    if (cell.method === 'ckd') for (const t of Object.values(teacherCells(cell))) push(t, undefined, phase);
    push(cell, undefined, phase);
  };
  const params = setup.params ?? {};
  const protocol: ReproducePreset = { ...setup.protocol, params: { [setup.model]: params } };

  // Phase 1: learning rates.
  const rateOf = (mode: TrainMode): number | undefined => {
    if (!protocol.lrGrid) return protocol.train.lr;
    const walk = walkLearningRates(walkBase(protocol, setup.dataset, setup.model, mode), protocol.lrGrid, store);
    for (const cell of walk.cells) push(cell, `lr:${setup.model}:${mode}`, 'lr', true);
    if (walk.selected !== undefined) {
      // The walk's cell at the selected rate is an ordinary cell (it may be the plain baseline's first seed).
      const at = cells.find(c => c.phase === 'lr' && c.cell.mode === mode && c.cell.train.lr === walk.selected);
      if (at) delete at.lrSearch;
    }
    return walk.selected;
  };
  const student = setup.lr ?? rateOf('multimodal');
  let teachers: Record<Modality, number> | undefined;
  if (setup.method === 'ckd') {
    if (setup.teacherLr) teachers = { ...setup.teacherLr };
    else if (protocol.teachers?.lr[setup.model]) teachers = { ...protocol.teachers.lr[setup.model] };
    else if (protocol.lrGrid) {
      const text = rateOf('text-only');
      const visual = rateOf('visual-only');
      if (text !== undefined && visual !== undefined) teachers = { text, visual };
    }
  }
  if (student === undefined || (setup.method === 'ckd' && protocol.lrGrid && !teachers)) {
    return { cells, waiting: 'phase 1 (the learning rates selected on validation)' };
  }
  const rates = { student, ...(teachers ? { teachers } : {}), selectedOnValidation: setup.lr === undefined && !!protocol.lrGrid };

  const cellOf = (c: TuneConfig, seed: number, method: MethodName = setup.method): RunCell => makeRunCell({
    dataset: setup.dataset, model: setup.model, mode: 'multimodal', method, methodOptions: c.methodOptions,
    params: { ...params, ...c.params }, train: { ...protocol.train, lr: c.lr ?? student, seed },
    probe: protocol.probeModels.includes(setup.model), teacherLr: method === 'ckd' ? teachers : undefined,
    teacherTrain: method === 'ckd' ? protocol.teachers?.train : undefined,
  });

  // Phase 2: the search, on the protocol's first seed.
  const configs = searchConfigurations(setup);
  const searchCells = configs.map(c => cellOf(c, protocol.seeds[0]));
  for (const cell of searchCells) withTeachers(cell, 'search');
  const search = { configs, cells: searchCells };
  const selected = selectConfiguration(searchCells, store);
  if (selected === undefined) return { cells, rates, search, waiting: 'phase 2 (the search, then the selection of a configuration)' };

  // Phase 3: selected, default and plain on every seed.
  const seeds = Array.from({ length: setup.seeds }, (_, k) => k + 1);
  const finalCells: TuneFinal['cells'] = {
    selected: seeds.map(s => cellOf(configs[selected], s)),
    default: seeds.map(s => cellOf({ methodOptions: {}, params: {} }, s)),
    ...(setup.method !== 'plain' ? { plain: seeds.map(s => cellOf({ methodOptions: {}, params: {} }, s, 'plain')) } : {}),
  };
  for (const k of seeds.keys()) {
    withTeachers(finalCells.selected[k], 'final');
    withTeachers(finalCells.default[k], 'final');
    if (finalCells.plain) withTeachers(finalCells.plain[k], 'final');
  }
  return { cells, rates, search, final: { selected, cells: finalCells } };
}

/**
 * The index of the search cell with the best validation Recall@20 of the fused model (ties: the
 * first), or undefined until every search cell is in the store. Test metrics are not read.
 */
export function selectConfiguration(searchCells: readonly RunCell[], store: RunStore): number | undefined {
  let best = -Infinity;
  let at: number | undefined;
  for (let k = 0; k < searchCells.length; k++) {
    const rec = store.get(configKey(searchCells[k]));
    if (!rec) return undefined;
    const v = rec.result.val[maskOfMode(searchCells[k].mode)].recall20;
    if (v > best) { best = v; at = k; }
  }
  return at;
}

/** Whether a cell can run now: a CKD cell's teachers must be in the store (another shard may train them). */
export function readyToRun(cell: RunCell, store: RunStore): boolean {
  return cell.method !== 'ckd' || Object.values(teacherCells(cell)).every(t => store.has(configKey(t)));
}
