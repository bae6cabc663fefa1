/**
 * One cell of an experiment grid: a backbone trained in one mode by one method with one seed on
 * one data set. Its configuration is plain JSON, so configKey(cell) identifies it in a
 * ResultStore; a finished cell is never trained again.
 *
 * Backbone hyper-parameters (lib/models/params.ts) and method options are part of a cell only
 * where they differ from their defaults, so a cell run with the defaults keeps the key it had
 * before parameters could be set (test/experiments-run-cell-key.test.ts pins a committed one).
 *
 * CKD cells need teachers: those are the same backbone's text-only and visual-only plain cells
 * with the same seed and settings, backbone parameters included (teacherCells). Running a uni-modal plain cell also freezes its
 * best state as a teacher into `<teachersDir>/<key>/`, so a CKD cell loads them from there, and
 * trains them first (recording them as cells) when they are missing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Dataset, Modality, MODALITIES } from '../data/dataset';
import { CkdError } from '../errors';
import { EvaluationResult } from '../eval/evaluate';
import { GradientProbe } from '../methods/gradient-probe';
import { MethodName, MethodOptions, createMethod, nonDefaultMethodOptions } from '../methods/registry';
import { Teacher, TeacherPair, disposeTeachers, teacherMode } from '../methods/teacher';
import { loadTeacher, saveTeacher, teacherFiles } from '../methods/teacher-store';
import { BackboneOptions, MASKS, ModalityMask, TrainMode, maskOfMode } from '../models/backbone';
import { resolveOptions, withoutDefaults } from '../options/spec';
import { backboneEntry } from '../models/registry';
import { ProgressSink } from '../train/progress';
import { EpochRecord, TrainOptions, TrainResult, trainModel } from '../train/trainer';
import { hasConverged } from './convergence';
import { Provenance } from './provenance';
import { ResultRecord, ResultStore, canonicalJson, configKey } from './result-store';

/** Trainer settings of a cell (the mode and method are the cell's own fields). */
export type CellTraining = Required<Pick<TrainOptions, 'seed' | 'epochs' | 'lr' | 'batchSize' | 'evalEvery' | 'patience' | 'ndcg'>>;

export interface RunCell {
  kind: 'run';
  /** Data set fingerprint: another data set never reuses a result. */
  dataset: string;
  model: string;
  mode: TrainMode;
  method: MethodName;
  /** Method options that differ from the method's defaults (checked). */
  methodOptions: MethodOptions;
  /**
   * Backbone hyper-parameters that differ from the model's defaults (checked); absent when there
   * are none, so cells with the defaults keep their earlier keys.
   */
  params?: Record<string, number>;
  train: CellTraining;
  /** Run the gradient probe (Section 2.4) after every epoch. */
  probe: boolean;
  /**
   * A CKD cell's teachers' learning rates, where they differ from the student's (a preset that
   * selects a rate per backbone and mode). Absent otherwise, so earlier cells keep their keys.
   */
  teacherLr?: Record<Modality, number>;
  /**
   * A CKD cell whose teachers were trained for at most this many epochs (not to convergence): how
   * the payoff experiment varies the teachers' quality. Absent otherwise.
   */
  teacherEpochs?: number;
  /**
   * A CKD cell's teachers' trainer settings where they differ from the student's (the quick
   * preset trains its teachers to convergence and its students for a few epochs). Absent
   * otherwise, so earlier cells keep their keys.
   */
  teacherTrain?: TeacherTraining;
}

/** A teacher's trainer settings apart from its seed (the student's) and learning rate (teacherLr). */
export type TeacherTraining = Omit<CellTraining, 'seed' | 'lr'>;

export interface CellMetrics { recall20: number; ndcg20: number; precision20: number }

/** Each test user's Recall@20 as hits / targets, compactly: one base-36 digit of hits per user. */
export interface CellPerUser {
  users: number[];
  targets: number[];
  hits20: Record<ModalityMask, string>;
}

export interface RunCellResult {
  test: Record<ModalityMask, CellMetrics>;
  val: Record<ModalityMask, CellMetrics>;
  perUser?: CellPerUser;
  bestEpoch: number;
  epochsRun: number;
  /** Stopped by its patience rule, not its epoch cap (convergence.ts); absent in older records: use cellConverged. */
  converged?: boolean;
  secondsPerEpoch: number;
  wallSeconds: number;
}

export interface RunCellMeta {
  provenance: Provenance;
  history: EpochRecord[];
  /** The checkpoint epoch a resumed run continued from (`ckd train --resume`); absent otherwise. */
  resumedFromEpoch?: number;
}

export type RunStore = ResultStore<RunCell, RunCellResult>;
export type RunRecord = ResultRecord<RunCell, RunCellResult>;

/**
 * Whether two records of one cell agree: equal results but for their timings (secondsPerEpoch,
 * wallSeconds), which differ from run to run.
 */
export function sameCellResult(a: RunCellResult, b: RunCellResult): boolean {
  const strip = ({ secondsPerEpoch: _s, wallSeconds: _w, ...rest }: RunCellResult) => rest;
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}

/**
 * The numbers that say whether two runs of a cell agree, by name ('test all recall@20', 'bestEpoch'):
 * every stored metric of test and val under every mask, bestEpoch and epochsRun (what a reference
 * check compares, and what a retrained teacher must reproduce).
 */
export function cellNumbers(result: RunCellResult): Map<string, number> {
  const out = new Map<string, number>();
  for (const split of ['test', 'val'] as const) {
    const masks = (result[split] ?? {}) as unknown as Record<string, Record<string, number>>;
    for (const mask of Object.keys(masks).sort()) {
      const metrics = masks[mask] ?? {};
      for (const m of Object.keys(metrics).sort()) out.set(`${split} ${mask} ${m.replace(/(\d+)$/, '@$1')}`, metrics[m]);
    }
  }
  out.set('bestEpoch', result.bestEpoch);
  out.set('epochsRun', result.epochsRun);
  return out;
}

/**
 * Builds (does not run) a cell's configuration: the model name lower-cased, method options and
 * backbone parameters reduced to those that differ from their defaults (checked), the teachers'
 * settings kept only on CKD cells.
 */
export function makeRunCell(o: Omit<RunCell, 'kind' | 'methodOptions' | 'probe' | 'params'> & {
  methodOptions?: Record<string, unknown>; probe?: boolean; params?: Record<string, unknown>;
}): RunCell {
  const entry = backboneEntry(o.model);
  const cell: RunCell = {
    kind: 'run', dataset: o.dataset, model: o.model.toLowerCase(), mode: o.mode, method: o.method,
    methodOptions: nonDefaultMethodOptions(o.method, o.methodOptions ?? {}), train: { ...o.train }, probe: o.probe ?? false,
  };
  const params = withoutDefaults(entry.params, resolveOptions(`${cell.model}: parameter`, entry.params, o.params ?? {}));
  if (Object.keys(params).length > 0) cell.params = params as Record<string, number>;
  if (o.teacherLr && o.method === 'ckd') cell.teacherLr = { ...o.teacherLr };
  if (o.teacherEpochs !== undefined && o.method === 'ckd') cell.teacherEpochs = o.teacherEpochs;
  if (o.teacherTrain && o.method === 'ckd') cell.teacherTrain = { ...o.teacherTrain };
  return cell;
}

/** The uni-modal plain cells whose best states are a CKD cell's teachers. */
export function teacherCells(cell: RunCell): Record<Modality, RunCell> {
  const out = {} as Record<Modality, RunCell>;
  for (const m of MODALITIES) {
    const { teacherLr, teacherEpochs, teacherTrain, ...rest } = cell;
    const own = { ...cell.train, ...teacherTrain };
    const train = { ...own, lr: teacherLr?.[m] ?? cell.train.lr, epochs: teacherEpochs ?? own.epochs };
    out[m] = { ...rest, mode: teacherMode(m), method: 'plain', methodOptions: {}, train };
  }
  return out;
}

/** Whether a finished cell converged (convergence.ts); older records did not store it. */
export function cellConverged(rec: Pick<RunRecord, 'config' | 'result'>): boolean {
  return rec.result.converged ?? hasConverged(rec.result, rec.config.train);
}

/** CKD in the form of the authors' public code: its per-triple re-weighting and its BCE. */
export const CKD_CODE_FORM: Readonly<Record<string, unknown>> = { reweight: 'reference-code', bce: 'reference-code' };

/** The Table 3 name of a CKD cell's ablation ('ckd' when none), undefined for other methods. */
export function ckdVariant(cell: Pick<RunCell, 'method' | 'methodOptions' | 'teacherEpochs'>): string | undefined {
  if (cell.method !== 'ckd') return undefined;
  if (cell.teacherEpochs !== undefined) return `teachers_${cell.teacherEpochs}_epochs`;
  const o = cell.methodOptions;
  if (o.generic === false) return 'without_generic';
  if (o.reweight === 'none') return 'without_reweight';
  if (o.sdLoss === 'kl') return 'kl_instead_of_hinge';
  if (o.sdLoss === 'mse') return 'mse_instead_of_hinge';
  if (o.reweight === 'reference-code' && o.bce === 'reference-code') return 'ckd_code_form';
  return 'ckd';
}

export function cellLabel(cell: RunCell): string {
  const v = ckdVariant(cell);
  const method = v && v !== 'ckd' ? `ckd/${v}` : cell.method;
  const params = cell.params ? ` [${Object.entries(cell.params).map(([k, v]) => `${k}=${v}`).join(', ')}]` : '';
  return `${cell.model}${params} ${cell.mode} ${method} seed ${cell.train.seed}`;
}

export interface RunCellOptions {
  store: RunStore;
  /** Where teachers are kept, one folder per teacher cell key. */
  teachersDir: string;
  /**
   * Other folders laid out like teachersDir (another results folder's teachers/, read only),
   * searched for a recorded teacher's weights before it is trained again.
   */
  teacherSources?: string[];
  provenance: Provenance;
  progress?: (label: string) => ProgressSink | undefined;
  log?: (line: string) => void;
}

/**
 * Settings of the trainer that change no result: checkpointing a long run and resuming it
 * (lib/train/checkpoint.ts). Given to one cell's own training only, never to its teachers'.
 */
export type CellTrainerOptions = Pick<TrainOptions, 'checkpointPath' | 'checkpointEvery' | 'resume' | 'checkpointTag'>;

/** Runs a cell unless the store has it; returns its record. */
export async function runOrReuseCell(data: Dataset, cell: RunCell, o: RunCellOptions): Promise<RunRecord> {
  return o.store.get(configKey(cell)) ?? await trainCell(data, cell, o);
}

/**
 * Trains a cell now (whether or not the store has it): gets a CKD cell's teachers (the teacher
 * cells' frozen states under teachersDir, trained first where missing), trains, appends the
 * record to the store, freezes a uni-modal plain cell's model as a teacher into teachersDir, and
 * returns the record. Every command that trains a cell does it here.
 */
export async function trainCell(data: Dataset, cell: RunCell, o: RunCellOptions, trainer: CellTrainerOptions = {}): Promise<RunRecord> {
  if (cell.dataset !== o.provenance.dataset.fingerprint) {
    throw new CkdError(`cell ${cellLabel(cell)} is for data set ${cell.dataset}, but the data loaded has fingerprint ${o.provenance.dataset.fingerprint}`);
  }
  const teachers = cell.method === 'ckd' ? await loadOrTrainTeachers(data, cell, o) : undefined;
  try {
    const { result, model } = await train(data, cell, o, teachers, trainer);
    try {
      const meta: RunCellMeta = { provenance: o.provenance, history: result.history };
      if (result.resumedFromEpoch !== undefined) meta.resumedFromEpoch = result.resumedFromEpoch;
      const rec = o.store.append({ config: cell, result: cellResult(data, cell, result), meta });
      const modality = uniModality(cell);
      if (modality) await saveFrozen(model, data, cell, modality, o.provenance.dataset.fingerprint, teacherDir(o.teachersDir, cell));
      o.log?.(`${cellLabel(cell)}: test recall@20 ${MASKS.map(m => `${m} ${rec.result.test[m].recall20.toFixed(4)}`).join(', ')}`);
      return rec;
    } finally {
      model.dispose();
    }
  } finally {
    disposeTeachers(teachers);
  }
}

export function teacherDir(root: string, cell: RunCell): string {
  return path.join(root, `${cell.model}-${configKey(cell)}`);
}

function uniModality(cell: RunCell): Modality | undefined {
  if (cell.method !== 'plain' || cell.mode === 'multimodal') return undefined;
  return maskOfMode(cell.mode) as Modality;
}

/** Freezes the trained uni-modal model as a teacher and writes it to `dir`. */
async function saveFrozen(model: ReturnType<typeof buildModel>, data: Dataset, cell: RunCell, modality: Modality, fingerprint: string, dir: string): Promise<void> {
  const teacher = await Teacher.freezeAsync(model, data, modality, backboneOptions(cell), { fingerprint, modelName: cell.model });
  try {
    saveTeacher(teacher, dir);
  } finally {
    teacher.dispose();
  }
}

/** The options a cell's backbone is built with (also what its frozen teacher records). */
function backboneOptions(cell: RunCell): BackboneOptions {
  return { seed: cell.train.seed, ...(cell.params ? { params: { ...cell.params } } : {}) };
}

function buildModel(data: Dataset, cell: RunCell) {
  return backboneEntry(cell.model).factory(data, backboneOptions(cell));
}

/**
 * Loads a CKD cell's teachers (checked against the data and model), training (and recording)
 * their cells first where needed. The caller disposes them.
 */
export async function loadOrTrainTeachers(data: Dataset, cell: RunCell, o: RunCellOptions): Promise<TeacherPair> {
  const pair = {} as TeacherPair;
  try {
    for (const [m, tc] of Object.entries(teacherCells(cell)) as [Modality, RunCell][]) {
      let dir = teacherDir(o.teachersDir, tc);
      const elsewhere = (o.teacherSources ?? []).map(root => teacherDir(root, tc)).find(d => fs.existsSync(teacherFiles(d, m).manifest));
      if (!o.store.has(configKey(tc))) {
        await runOrReuseCell(data, tc, o);
      } else if (!fs.existsSync(teacherFiles(dir, m).manifest) && elsewhere) {
        dir = elsewhere;
      } else if (!fs.existsSync(teacherFiles(dir, m).manifest)) {
        // Recorded earlier (e.g. a store from another machine) but its weights are not here: the
        // run is deterministic, so training it again gives the same teacher; checked below.
        o.log?.(`${cellLabel(tc)}: teacher weights not in ${dir}; training it again`);
        const { result, model } = await train(data, tc, o, undefined);
        try {
          checkRetrainedTeacher(o.store.get(configKey(tc))!, cellResult(data, tc, result), o);
          await saveFrozen(model, data, tc, m, o.provenance.dataset.fingerprint, dir);
        } finally {
          model.dispose();
        }
      }
      pair[m] = loadTeacher(dir, m, data, { model: cell.model, fingerprint: o.provenance.dataset.fingerprint });
    }
  } catch (e) {
    disposeTeachers(pair);
    throw e;
  }
  return pair;
}

/**
 * A teacher trained again (its weights were missing) must reproduce the record the store holds for
 * it, or every CKD cell distilled from it would be recorded against another teacher than the one
 * the tables show. On the record's own backend that is bit for bit (training is deterministic
 * there); across backends it cannot be, and the log says so.
 */
function checkRetrainedTeacher(stored: RunRecord, now: RunCellResult, o: RunCellOptions): void {
  const label = cellLabel(stored.config);
  const storedBackend = (stored.meta as Partial<RunCellMeta> | undefined)?.provenance?.backend;
  if (storedBackend !== o.provenance.backend) {
    o.log?.(`${label}: its record was made on backend ${storedBackend ?? '(not named)'} and this run is on ${o.provenance.backend}, so the retrained teacher cannot be checked bit for bit (test recall@20 ${now.test.all.recall20.toFixed(4)} now, ${stored.result.test.all.recall20.toFixed(4)} recorded)`);
    return;
  }
  const recorded = cellNumbers(stored.result);
  const diffs = [...cellNumbers(now)].filter(([what, v]) => recorded.get(what) !== v)
    .map(([what, v]) => `${what} ${v} now, ${recorded.get(what) ?? 'absent'} recorded`);
  if (diffs.length === 0) {
    o.log?.(`${label}: the retrained teacher reproduces its record bit for bit`);
    return;
  }
  throw new CkdError(`${label}: the teacher trained again (its weights were not there) does not reproduce its record in the store on the same backend (${diffs.slice(0, 3).join('; ')}${diffs.length > 3 ? ` and ${diffs.length - 3} more` : ''}); the code changed since it was recorded, or training is not deterministic here: train into a new results folder (--fresh or another --out)`);
}

async function train(data: Dataset, cell: RunCell, o: RunCellOptions, teachers: TeacherPair | undefined, trainer: CellTrainerOptions = {}) {
  const model = buildModel(data, cell);
  try {
    const method = createMethod(cell.method, model, data, cell.methodOptions, teachers);
    try {
      const probe = cell.probe ? new GradientProbe(data) : undefined;
      const result = await trainModel(model, data, {
        ...cell.train, ...trainer, mode: cell.mode, method, perUserTest: true,
        progress: o.progress?.(`[${cellLabel(cell)}]`),
        probe: probe ? (mdl, mask) => probe.measure(mdl, mask) : undefined,
      });
      return { result, model };
    } finally {
      method.dispose?.();
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
}

function metrics(e: EvaluationResult): CellMetrics {
  return { recall20: e.recall[20], ndcg20: e.ndcg[20], precision20: e.precision[20] };
}

function cellResult(data: Dataset, cell: RunCell, r: TrainResult): RunCellResult {
  const out: RunCellResult = {
    test: Object.fromEntries(MASKS.map(m => [m, metrics(r.test[m])])) as Record<ModalityMask, CellMetrics>,
    val: Object.fromEntries(MASKS.map(m => [m, metrics(r.val[m])])) as Record<ModalityMask, CellMetrics>,
    bestEpoch: r.bestEpoch, epochsRun: r.epochsRun, converged: hasConverged(r, cell.train), secondsPerEpoch: r.secondsPerEpoch, wallSeconds: r.wallSeconds,
  };
  const pu = r.test.all.perUser;
  if (pu) {
    const users = Array.from(pu.users);
    const targets = users.map(u => data.test.indptr[u + 1] - data.test.indptr[u]);
    const hits20 = {} as Record<ModalityMask, string>;
    for (const m of MASKS) {
      const rec = r.test[m].perUser!.recall[20];
      hits20[m] = users.map((_, i) => Math.round(rec[i] * targets[i]).toString(36)).join('');
    }
    out.perUser = { users, targets, hits20 };
  }
  return out;
}

/** A stored cell's test metrics as EvaluationResults (per-user Recall@20 included when kept). */
export function cellEvaluations(result: RunCellResult): Record<ModalityMask, EvaluationResult> {
  const out = {} as Record<ModalityMask, EvaluationResult>;
  for (const m of MASKS) {
    const t = result.test[m];
    const e: EvaluationResult = { ks: [20], ndcgVariant: 'standard', users: result.perUser?.users.length ?? NaN, recall: { 20: t.recall20 }, ndcg: { 20: t.ndcg20 }, precision: { 20: t.precision20 } };
    const pu = result.perUser;
    if (pu) {
      const hits = pu.hits20[m];
      const recall = Float64Array.from(pu.targets, (n, i) => parseInt(hits[i], 36) / n);
      e.perUser = { users: Int32Array.from(pu.users), recall: { 20: recall }, precision: {}, ndcg: {} };
    }
    out[m] = e;
  }
  return out;
}
