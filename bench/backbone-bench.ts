/**
 * The measurements of one backbone for bench/run.ts: seconds per training epoch for plain training
 * and for CKD (teachers precomputed), one validation pass per mask, the compute lower bounds of
 * each, and the process's memory.
 *
 * CKD's teachers are frozen (Teacher.freeze) from a freshly initialised backbone: a CKD step costs
 * the same whatever the teachers learned (their margins are gathers from cached tables), so
 * training them would only add time. Epoch times are the median of the timed steps scaled to the
 * epoch's step count, as bench/epoch.ts does.
 *
 * A measurement harness, not a run path: it times steps and passes and trains no run cell, so it
 * does not go through the shared cell runner (lib/experiments/run-cell.ts) and writes no cell record.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, MODALITIES } from '../lib/data/dataset';
import { BprBatch } from '../lib/data/samplers';
import { createMethod } from '../lib/methods/registry';
import { Teacher, TeacherPair, disposeTeachers } from '../lib/methods/teacher';
import { Backbone, MASKS, ModalityMask } from '../lib/models/backbone';
import { backboneEntry } from '../lib/models/registry';
import { plainMethod, TrainingMethod } from '../lib/train/method';
import { evaluateBackbone } from '../lib/train/validate';
import { Flops, WorkloadShape, reusesKeptBranches, totalFlops, trainStepFlops, validationFlops } from './flops';
import { timeSteps } from './steps';
import { fastestCkd } from './targets';

export interface BenchSetup {
  data: Dataset;
  fingerprint: string;
  shape: WorkloadShape;
  /** Timed steps per method (after one warm-up step). */
  steps: number;
  /** steps + 1 batches, drawn as the trainer draws an epoch's. */
  batches: BprBatch[];
  stepsPerEpoch: number;
  /** The machine's dense peak the lower bounds divide by: best one-thread GEMM rate x cores. */
  gflops: number;
  /** Worker threads of the validation's ranking (reported; the peak already counts every core). */
  rankingThreads: number;
  /** Count one step's matMul FLOPs with tf.profile (an extra step after the timed ones). */
  countFlops: boolean;
  log: (line: string) => void;
}

export interface MethodTiming {
  /** The median timed step (bench/steps.ts). */
  secondsPerStep: number;
  /** Every timed step's seconds. */
  stepSeconds: number[];
  cpuSecondsPerStep: number;
  epochSeconds: number;
  /** Estimated FLOPs of one step (bench/flops.ts). */
  flopsPerStep: Flops & { total: number };
  /** Estimated FLOPs of the epoch over the GEMM throughput. */
  lowerBoundEpochSeconds: number;
  /** epochSeconds / lowerBoundEpochSeconds. */
  overLowerBound: number;
  /** FLOPs of the matMul kernels one step actually ran, and the dense estimate over that count. */
  countedMatMulFlopsPerStep?: number;
  /** Why that count failed (the timing stands). */
  countError?: string;
  denseEstimateOverCounted?: number;
  lastLoss: number;
}

export interface ValidationTiming {
  perMaskSeconds: Record<ModalityMask, number>;
  threeMaskSeconds: number;
  slowestMaskSeconds: number;
  lowerBoundPerMaskSeconds: Record<ModalityMask, number>;
  lowerBoundThreeMaskSeconds: number;
  /** threeMaskSeconds / lowerBoundThreeMaskSeconds. */
  overLowerBound: number;
}

export type Phase = 'plain' | 'validation' | 'teachers' | 'ckd' | 'ckdKept';

export interface BackboneRow {
  model: string;
  backend: string;
  buildSeconds: number;
  stepsPerEpoch: number;
  timedSteps: number;
  /** Each phase's result; absent when the phase failed (see errors). */
  plain?: MethodTiming;
  validation?: ValidationTiming;
  teacherSeconds?: number;
  ckd?: MethodTiming;
  /**
   * CKD with its reuseKeptBranches option (MMGCN and GRCN only: the kept modality's branch computed
   * once per step; values equal to rounding, so an option, off in the grid's cells).
   */
  ckdKept?: MethodTiming;
  /** CKD's fastest form (fastestCkd) over plain, per epoch. */
  ckdOverPlain?: number;
  /** What stopped a phase (or the whole child process: 'process'). */
  errors?: Partial<Record<Phase | 'process', string>>;
  /** The resident-set high-water mark of the process that measured this backbone (null when unknown). */
  peakRssMiB: number | null;
  /** Size the wasm backend's heap grew to (it never shrinks; its limit is 4 GiB). */
  wasmHeapMiB?: number;
}

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;
export const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024;

async function timeMethod(name: 'plain' | 'ckd' | 'ckdKept', model: Backbone, method: TrainingMethod, lr: number, setup: BenchSetup, modelName: string): Promise<MethodTiming> {
  const t = await timeSteps(model, setup.data, method, setup.batches, setup.steps, { lr, countFlops: setup.countFlops });
  const f = trainStepFlops(modelName, setup.shape, name === 'plain' ? 'plain' : 'ckd', { reuseKeptBranches: name === 'ckdKept' });
  const flopsPerStep = { ...f, total: totalFlops(f) };
  const epochSeconds = t.secondsPerStep * setup.stepsPerEpoch;
  const lowerBoundEpochSeconds = (flopsPerStep.total * setup.stepsPerEpoch) / (setup.gflops * 1e9);
  const out: MethodTiming = {
    secondsPerStep: t.secondsPerStep, stepSeconds: t.stepSeconds, cpuSecondsPerStep: t.cpuSecondsPerStep, epochSeconds, flopsPerStep,
    lowerBoundEpochSeconds, overLowerBound: epochSeconds / lowerBoundEpochSeconds, lastLoss: t.lastLoss,
  };
  if (t.countError !== undefined) out.countError = t.countError;
  if (t.countedMatMulFlops !== undefined) {
    out.countedMatMulFlopsPerStep = t.countedMatMulFlops;
    out.denseEstimateOverCounted = f.dense / t.countedMatMulFlops;
  }
  return out;
}

async function timeValidation(model: Backbone, setup: BenchSetup, modelName: string): Promise<ValidationTiming> {
  const perMaskSeconds = {} as Record<ModalityMask, number>;
  const lowerBoundPerMaskSeconds = {} as Record<ModalityMask, number>;
  for (const mask of MASKS) {
    const t0 = process.hrtime.bigint();
    // As the trainer validates: K 10 and 20, standard NDCG.
    await evaluateBackbone(model, setup.data, 'val', [mask], [10, 20]);
    perMaskSeconds[mask] = seconds(t0);
    const f = validationFlops(modelName, setup.shape, mask);
    lowerBoundPerMaskSeconds[mask] = (totalFlops(f.forward) + f.scoring) / (setup.gflops * 1e9);
  }
  const threeMaskSeconds = MASKS.reduce((s, m) => s + perMaskSeconds[m], 0);
  const lowerBoundThreeMaskSeconds = MASKS.reduce((s, m) => s + lowerBoundPerMaskSeconds[m], 0);
  return {
    perMaskSeconds, threeMaskSeconds, slowestMaskSeconds: Math.max(...MASKS.map(m => perMaskSeconds[m])),
    lowerBoundPerMaskSeconds, lowerBoundThreeMaskSeconds, overLowerBound: threeMaskSeconds / lowerBoundThreeMaskSeconds,
  };
}

/** The wasm backend's heap size in MiB, when the wasm backend is active. */
export function wasmHeapMiB(): number | undefined {
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap ? heap.length / 2 ** 20 : undefined;
}

function describeError(e: unknown): string {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const heap = wasmHeapMiB();
  return heap === undefined ? text : `${text} (wasm heap ${heap.toFixed(0)} MiB of at most 4096)`;
}

/**
 * Measures one backbone: plain steps, a validation pass per mask, teachers, CKD steps. A failing
 * phase is recorded in `errors`; after a WebAssembly abort (the wasm heap exhausted, typically) the
 * backend is unusable, so the later phases are recorded as skipped.
 */
export async function benchBackbone(name: string, setup: BenchSetup): Promise<BackboneRow> {
  const entry = backboneEntry(name);
  const { data, log } = setup;
  let t0 = process.hrtime.bigint();
  const model = entry.factory(data, { seed: 1 });
  const row: BackboneRow = {
    model: name, backend: tf.getBackend(), buildSeconds: seconds(t0), stepsPerEpoch: setup.stepsPerEpoch, timedSteps: setup.steps, peakRssMiB: null,
  };
  const errors: NonNullable<BackboneRow['errors']> = {};
  let aborted = false;
  const phase = async <T>(p: Phase, f: () => Promise<T> | T): Promise<T | undefined> => {
    if (aborted) { errors[p] = 'skipped: the backend aborted in an earlier phase'; return undefined; }
    try {
      return await f();
    } catch (e) {
      errors[p] = describeError(e);
      aborted ||= e instanceof WebAssembly.RuntimeError;
      log(`${name}: ${p} failed: ${errors[p]}`);
      return undefined;
    }
  };
  let teachers: TeacherPair | undefined;
  try {
    log(`${name}: built in ${row.buildSeconds.toFixed(1)} s; timing ${setup.steps} plain steps`);
    row.plain = await phase('plain', () => timeMethod('plain', model, plainMethod, entry.lr, setup, name));
    if (row.plain) log(`${name}: plain ${row.plain.secondsPerStep.toFixed(3)} s/step; validating (3 masks)`);
    row.validation = await phase('validation', () => timeValidation(model, setup, name));
    if (row.validation) log(`${name}: validation ${row.validation.threeMaskSeconds.toFixed(2)} s; freezing teachers`);
    t0 = process.hrtime.bigint();
    teachers = await phase('teachers', () => freezeTeachers(name, setup.data, setup.fingerprint));
    if (teachers) {
      row.teacherSeconds = seconds(t0);
      log(`${name}: teachers in ${row.teacherSeconds.toFixed(1)} s; timing ${setup.steps} CKD steps`);
      const pair = teachers;
      const timeCkd = (p: 'ckd' | 'ckdKept') => phase(p, async () => {
        const method = createMethod('ckd', model, data, p === 'ckdKept' ? { reuseKeptBranches: true } : {}, pair);
        try {
          return await timeMethod(p, model, method, entry.lr, setup, name);
        } finally {
          method.dispose?.();
        }
      });
      row.ckd = await timeCkd('ckd');
      if (row.ckd) log(`${name}: CKD ${row.ckd.secondsPerStep.toFixed(3)} s/step`);
      if (reusesKeptBranches(name)) {
        row.ckdKept = await timeCkd('ckdKept');
        if (row.ckdKept) log(`${name}: CKD reusing kept branches ${row.ckdKept.secondsPerStep.toFixed(3)} s/step`);
      }
    } else {
      errors.ckd = 'skipped: no teachers';
    }
    const ckd = fastestCkd(row);
    if (row.plain && ckd) row.ckdOverPlain = ckd.epochSeconds / row.plain.epochSeconds;
  } finally {
    if (!aborted) {
      disposeTeachers(teachers);
      model.dispose();
    }
  }
  if (Object.keys(errors).length) row.errors = errors;
  row.peakRssMiB = peakRssMiB();
  const heap = wasmHeapMiB();
  if (heap !== undefined) row.wasmHeapMiB = heap;
  return row;
}

/** Both teachers, frozen from one freshly initialised backbone (their quality does not change a step's cost). */
export async function freezeTeachers(name: string, data: Dataset, fingerprint: string): Promise<TeacherPair> {
  const teacherModel = backboneEntry(name).factory(data, { seed: 2 });
  const teachers: Partial<TeacherPair> = {};
  try {
    for (const m of MODALITIES) {
      teachers[m] = await Teacher.freezeAsync(teacherModel, data, m, { seed: 2 }, { fingerprint, modelName: name });
    }
    return teachers as TeacherPair;
  } catch (e) {
    disposeTeachers(teachers);
    throw e;
  } finally {
    teacherModel.dispose();
  }
}
