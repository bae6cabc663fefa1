/**
 * Timing of training steps exactly as the trainer runs them (lib/train/trainer.ts runStep):
 * tf.variableGrads of the method's loss, the method's gradient transform, Adam's applyGradients,
 * and a read of every loss term. One warm-up step, `steps` timed steps, and
 * optionally one more step counted with tf.profile for its matMul FLOPs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dataset } from '../lib/data/dataset';
import { BprBatch, TripleSampler } from '../lib/data/samplers';
import { Rng } from '../lib/engine/random';
import { Backbone } from '../lib/models/backbone';
import { StepContext, TrainingMethod } from '../lib/train/method';
import { runStep } from '../lib/train/trainer';
import { adam } from '../lib/train/adam';
import { countMatMulFlops } from './flop-count';

/** One optimiser step exactly as the trainer takes it; resolves to the total loss. */
export async function trainingStep(optimizer: tf.Optimizer, vars: tf.Variable[], method: TrainingMethod, batch: BprBatch, ctx: StepContext): Promise<number> {
  return (await runStep(optimizer, vars, method, batch, ctx)).total;
}

/** Batches to time, drawn as the trainer draws an epoch's, and the number of steps in that epoch. */
export function epochBatches(data: Dataset, batchSize: number, count: number, seed = 1): { batches: BprBatch[]; stepsPerEpoch: number } {
  const all = new TripleSampler(data.train, data.numItems).epoch(batchSize, new Rng(seed));
  // Tiny data sets have fewer batches than the steps asked for: cycle through them.
  const batches = Array.from({ length: count }, (_, k) => all[k % all.length]);
  return { batches, stepsPerEpoch: all.length };
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

export interface StepTiming {
  /**
   * The median of the timed steps' wall times: on a shared machine one step slowed by another
   * process moves it less than it moves the mean.
   */
  secondsPerStep: number;
  /** Each timed step's wall time, in order. */
  stepSeconds: number[];
  /** Process CPU time per step (all threads): on a shared machine it shows the work when others stretch the wall time. */
  cpuSecondsPerStep: number;
  /** FLOPs of the matMul kernels of one more step, run under tf.profile after the timed ones (when asked). */
  countedMatMulFlops?: number;
  /** Why that count failed, if it did (the timing stands). */
  countError?: string;
  /** Total loss of the last timed step (a sanity value: finite). */
  lastLoss: number;
}

/**
 * Runs one warm-up step and `steps` timed steps of `method` on `model` (fresh Adam), batch k being
 * batches[k % batches.length]; with countFlops, one more step under tf.profile. The counted step
 * comes last because tf.profile hides a kernel's own error (the wasm backend's timer swallows it)
 * behind a TypeError: the unprofiled warm-up step reports the real one.
 */
export async function timeSteps(
  model: Backbone, data: Dataset, method: TrainingMethod, batches: BprBatch[], steps: number,
  opts: { lr?: number; countFlops?: boolean } = {},
): Promise<StepTiming> {
  const optimizer = adam(opts.lr ?? 5e-4);
  const vars = model.variables();
  const ctx = (k: number): StepContext => ({ model, data, mask: 'all', epoch: 1, step: k, rng: new Rng(1).fork(`step:1:${k}`) });
  const step = (k: number): Promise<number> => trainingStep(optimizer, vars, method, batches[k % batches.length], ctx(k));
  try {
    await step(0);
    const cpu0 = process.cpuUsage();
    const stepSeconds: number[] = [];
    let lastLoss = NaN;
    for (let k = 1; k <= steps; k++) {
      const t0 = process.hrtime.bigint();
      lastLoss = await step(k);
      stepSeconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    const cpu = process.cpuUsage(cpu0);
    const out: StepTiming = {
      secondsPerStep: median(stepSeconds), stepSeconds, cpuSecondsPerStep: (cpu.user + cpu.system) / 1e6 / steps, lastLoss,
    };
    if (opts.countFlops) {
      try {
        out.countedMatMulFlops = await countMatMulFlops(async () => { await step(steps + 1); });
      } catch (e) {
        out.countError = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
    }
    return out;
  } finally {
    optimizer.dispose();
  }
}
