import * as tf from '@tensorflow/tfjs-core';
import { Dataset } from '../data/dataset';
import { BprSampling, TripleSampler } from '../data/samplers';
import { CkdError } from '../errors';
import { Rng } from '../engine/random';
import { Backbone, MASKS, ModalityMask, TrainMode, maskOfMode } from '../models/backbone';
import { EarlyStopping } from './early-stopping';
import { StepContext, TrainingMethod, plainMethod } from './method';
import { ProgressSink, silentProgress } from './progress';
import { MetricsByMask, NdcgVariant, evaluateBackbone } from './validate';
import { WeightsSnapshot } from './weights-snapshot';

export interface TrainOptions {
  mode: TrainMode;
  seed: number;
  epochs: number;
  lr: number;
  batchSize: number;
  /** Validate every this many epochs. */
  evalEvery: number;
  /** Stop after this many validations without a better Recall@20 (of the training mask). */
  patience: number;
  ks?: number[];
  ndcg?: NdcgVariant;
  sampling?: BprSampling;
  method?: TrainingMethod;
  progress?: ProgressSink;
}

export const TRAIN_DEFAULTS = {
  epochs: 200, lr: 5e-4, batchSize: 1024, evalEvery: 5, patience: 10, ks: [10, 20],
} as const;

export interface EpochRecord {
  epoch: number;
  /** Mean of each loss term over the epoch's steps. */
  loss: Record<string, number>;
  seconds: number;
  /** Validation metrics under every mask, on validation epochs. */
  val?: MetricsByMask;
  diagnostics?: Record<string, number>;
}

export interface TrainResult {
  bestEpoch: number;
  epochsRun: number;
  stoppedEarly: boolean;
  /** Validation Recall@20 of the training mask at the best epoch. */
  bestValRecall: number;
  val: MetricsByMask;
  test: MetricsByMask;
  history: EpochRecord[];
  secondsPerEpoch: number;
  wallSeconds: number;
}

export function checkTrainOptions(o: TrainOptions): void {
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new CkdError(`--${name} must be a positive integer (got ${v})`);
  };
  positiveInt('epochs', o.epochs);
  positiveInt('batch-size', o.batchSize);
  positiveInt('eval-every', o.evalEvery);
  positiveInt('patience', o.patience);
  if (!(o.lr > 0 && o.lr < 1)) throw new CkdError(`--lr must be in (0, 1) (got ${o.lr})`);
}

/**
 * Trains a backbone with a method (plain by default): Adam on the method's loss, validation
 * every `evalEvery` epochs under all three masks, early stopping on the training mask's
 * Recall@20, and test metrics of the best validation state.
 */
export async function trainModel(model: Backbone, data: Dataset, opts: TrainOptions): Promise<TrainResult> {
  checkTrainOptions(opts);
  const method = opts.method ?? plainMethod;
  const progress = opts.progress ?? silentProgress;
  const ks = opts.ks ?? [...TRAIN_DEFAULTS.ks];
  if (!ks.includes(20)) ks.push(20);
  const mask = maskOfMode(opts.mode);
  const vars = model.variables();
  const optimizer = tf.train.adam(opts.lr);
  const rng = new Rng(opts.seed).fork('train');
  const sampler = new TripleSampler(data.train, data.numItems);
  const stopper = new EarlyStopping(opts.patience);
  const best = new WeightsSnapshot();
  const history: EpochRecord[] = [];
  const started = Date.now();
  let trainSeconds = 0;
  let epoch = 0;
  try {
    for (epoch = 1; epoch <= opts.epochs; epoch++) {
      progress.epochStart(epoch, opts.epochs);
      const t0 = Date.now();
      const batches = sampler.epoch(opts.batchSize, rng.fork(`epoch:${epoch}`), opts.sampling ?? 'ckd');
      const sums: Record<string, number> = {};
      for (let step = 0; step < batches.length; step++) {
        const ctx: StepContext = { model, data, mask, epoch, step, rng: rng.fork(`step:${epoch}:${step}`) };
        const terms = runStep(optimizer, vars, method, batches[step], ctx);
        for (const [k, v] of Object.entries(terms)) sums[k] = (sums[k] ?? 0) + v;
        progress.step(step + 1, batches.length, terms.total);
      }
      const loss = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / batches.length]));
      for (const [k, v] of Object.entries(loss)) {
        if (!Number.isFinite(v)) throw new CkdError(`training diverged: loss term '${k}' is ${v} in epoch ${epoch}`);
      }
      const seconds = (Date.now() - t0) / 1000;
      trainSeconds += seconds;
      const record: EpochRecord = { epoch, loss, seconds };
      const diag = method.diagnostics?.();
      if (diag) record.diagnostics = diag;
      let line = `epoch ${epoch} loss ${loss.total.toFixed(4)} (${seconds.toFixed(1)} s)`;
      if (epoch % opts.evalEvery === 0 || epoch === opts.epochs) {
        record.val = await evaluateBackbone(model, data, 'val', MASKS, ks, opts.ndcg);
        const r20 = record.val[mask].recall[20];
        if (stopper.update(r20, epoch)) best.capture(vars);
        line += ` val recall@20 ${formatMasks(record.val)}${stopper.bestEpoch === epoch ? ' *' : ''}`;
      }
      history.push(record);
      progress.epochEnd(line);
      if (stopper.shouldStop) break;
    }
    const epochsRun = Math.min(epoch, opts.epochs);
    if (!best.empty) best.restore(vars);
    const val = await evaluateBackbone(model, data, 'val', MASKS, ks, opts.ndcg);
    const test = await evaluateBackbone(model, data, 'test', MASKS, ks, opts.ndcg);
    progress.done(`best epoch ${stopper.bestEpoch}: test recall@20 ${formatMasks(test)}`);
    return {
      bestEpoch: stopper.bestEpoch,
      epochsRun,
      stoppedEarly: stopper.shouldStop,
      bestValRecall: stopper.best,
      val,
      test,
      history,
      secondsPerEpoch: trainSeconds / Math.max(epochsRun, 1),
      wallSeconds: (Date.now() - started) / 1000,
    };
  } finally {
    best.dispose();
    optimizer.dispose();
  }
}

/** One optimiser step; returns the numeric value of every loss term (and `total`). */
function runStep(
  optimizer: tf.Optimizer, vars: tf.Variable[], method: TrainingMethod,
  batch: Parameters<TrainingMethod['loss']>[0], ctx: StepContext,
): Record<string, number> {
  const kept: Record<string, tf.Scalar> = {};
  const { value, grads } = tf.variableGrads(() => {
    const { total, terms } = method.loss(batch, ctx);
    for (const [k, t] of Object.entries(terms)) kept[k] = tf.keep(t);
    return total;
  }, vars);
  const applied = method.transformGradients ? method.transformGradients(grads, ctx) : grads;
  optimizer.applyGradients(applied);
  const out: Record<string, number> = { total: value.dataSync()[0] };
  for (const [k, t] of Object.entries(kept)) out[k] = t.dataSync()[0];
  tf.dispose([value, ...Object.values(kept), ...Object.values(grads)]);
  if (applied !== grads) tf.dispose(Object.values(applied));
  return out;
}

function formatMasks(m: MetricsByMask): string {
  return (Object.keys(m) as ModalityMask[]).map(k => `${k} ${m[k].recall[20].toFixed(4)}`).join(', ');
}
