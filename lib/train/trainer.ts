import * as tf from '@tensorflow/tfjs-core';
import { readScalars } from '../engine/host-read';
import { Dataset } from '../data/dataset';
import { BprSampling, TripleSampler } from '../data/samplers';
import { CkdError } from '../errors';
import { Rng } from '../engine/random';
import { Backbone, MASKS, ModalityMask, TrainMode, maskOfMode } from '../models/backbone';
import { EarlyStopping } from './early-stopping';
import { StepContext, StepLoss, TrainingMethod, plainMethod, settled } from './method';
import { ProgressSink, silentProgress } from './progress';
import { EpochRecord } from './history';
import { MetricsByMask, NdcgVariant, evaluateBackbone } from './validate';

export type { EpochRecord } from './history';
import { WeightsSnapshot } from './weights-snapshot';
import { JsonValue, captureCheckpoint, checkIdentity, readCheckpointIfExists, restoreCheckpoint, writeCheckpoint } from './checkpoint';
import { adam } from './adam';
import { leanVariableGrads, leanVariableGradsAsync } from './lean-gradients';
import { sharingProjections } from '../nn/fixed-features';
import { reusingWithinStep } from '../nn/same-in-every-pass';
import { hostReadsSync } from '../nn/host-values';

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
  /** Write a checkpoint (lib/train/checkpoint.ts) to this file every `checkpointEvery` epochs. */
  checkpointPath?: string;
  /** Epochs between checkpoints (default 1). */
  checkpointEvery?: number;
  /** Continue from the checkpoint at `checkpointPath` when there is one (else start at epoch 1). */
  resume?: boolean;
  /** More that a checkpoint must match on resume, e.g. the model name and the data fingerprint. */
  checkpointTag?: Record<string, JsonValue>;
  /** Measured after every epoch's training (not timed with it) and kept in the history, e.g. GradientProbe. */
  probe?: (model: Backbone, mask: ModalityMask, epoch: number) => Record<string, number> | Promise<Record<string, number>>;
  /** Keep each user's test metrics (EvaluationResult.perUser), for paired tests over users. */
  perUserTest?: boolean;
}

export const TRAIN_DEFAULTS = {
  epochs: 200, lr: 5e-4, batchSize: 1024, evalEvery: 5, patience: 10, ks: [10, 20],
} as const;

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
  /** The checkpoint's epoch when the run was resumed. */
  resumedFromEpoch?: number;
}

/** Largest batch accepted (the sampler allocates the batch up front). */
export const MAX_BATCH_SIZE = 1 << 20;

export function checkTrainOptions(o: TrainOptions): void {
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new CkdError(`--${name} must be a positive integer (got ${v})`);
  };
  positiveInt('epochs', o.epochs);
  positiveInt('batch-size', o.batchSize);
  positiveInt('eval-every', o.evalEvery);
  positiveInt('patience', o.patience);
  if (!(o.lr > 0 && o.lr < 1)) throw new CkdError(`--lr must be in (0, 1) (got ${o.lr})`);
  if (o.batchSize > MAX_BATCH_SIZE) throw new CkdError(`--batch-size must be at most ${MAX_BATCH_SIZE} (got ${o.batchSize})`);
  if (o.checkpointEvery !== undefined) positiveInt('checkpoint-every', o.checkpointEvery);
  if (o.resume && !o.checkpointPath) throw new CkdError('--resume needs --checkpoint FILE');
}

/** What a checkpoint must match to be resumed by a run with these options (the trainer adds variable shapes). */
export function trainIdentity(o: TrainOptions): Record<string, JsonValue> {
  return {
    mode: o.mode, seed: o.seed, epochs: o.epochs, lr: o.lr, batchSize: o.batchSize, evalEvery: o.evalEvery,
    patience: o.patience, ks: o.ks ?? null, ndcg: o.ndcg ?? 'standard', sampling: o.sampling ?? 'ckd',
    method: (o.method ?? plainMethod).name, tag: o.checkpointTag ?? {},
  };
}

/**
 * Trains a backbone with a method (plain by default): Adam on the method's loss, validation
 * every `evalEvery` epochs under all three masks, early stopping on the training mask's
 * Recall@20, and test metrics of the best validation state.
 */
export async function trainModel(model: Backbone, data: Dataset, opts: TrainOptions): Promise<TrainResult> {
  checkTrainOptions(opts);
  const method: TrainingMethod = opts.method ?? plainMethod;
  const progress = opts.progress ?? silentProgress;
  const ks = opts.ks ?? [...TRAIN_DEFAULTS.ks];
  if (!ks.includes(20)) ks.push(20);
  const mask = maskOfMode(opts.mode);
  const vars = model.variables();
  const optimizer = adam(opts.lr);
  const rng = new Rng(opts.seed).fork('train');
  const sampler = new TripleSampler(method.trainInteractions ?? data.train, data.numItems);
  const stopper = new EarlyStopping(opts.patience);
  const best = new WeightsSnapshot();
  const history: EpochRecord[] = [];
  const started = Date.now();
  let trainSeconds = 0;
  let epoch = 0;
  const ckptFile = opts.checkpointPath;
  const identity = { ...trainIdentity(opts), variables: vars.map(v => v.shape.join('x')) };
  const parts = { vars, optimizer, stopper, best, method };
  let priorWall = 0;
  let firstEpoch = 1;
  let lastCheckpoint = 0;
  let resumedFromEpoch: number | undefined;
  try {
    if (opts.resume && ckptFile) {
      const c = readCheckpointIfExists(ckptFile);
      if (c) {
        checkIdentity(ckptFile, c.identity, identity);
        await restoreCheckpoint(ckptFile, c, parts);
        history.push(...c.history);
        trainSeconds = c.trainSeconds;
        priorWall = c.wallSeconds;
        firstEpoch = c.epoch + 1;
        lastCheckpoint = c.epoch;
        resumedFromEpoch = c.epoch;
        progress.epochEnd(`resumed from ${ckptFile} after epoch ${c.epoch}`);
      } else {
        progress.epochEnd(`no checkpoint at ${ckptFile} yet; starting at epoch 1`);
      }
    }
    for (epoch = firstEpoch; epoch <= opts.epochs && !stopper.shouldStop; epoch++) {
      progress.epochStart(epoch, opts.epochs);
      const t0 = Date.now();
      await method.beforeEpoch?.({
        model, data, mask, epoch, rng: rng.fork(`method:${epoch}`), lr: opts.lr, batchSize: opts.batchSize, sampling: opts.sampling ?? 'ckd',
      });
      const batches = sampler.epoch(opts.batchSize, rng.fork(`epoch:${epoch}`), opts.sampling ?? 'ckd');
      const sums: Record<string, number> = {};
      for (let step = 0; step < batches.length; step++) {
        const ctx: StepContext = { model, data, mask, epoch, step, rng: rng.fork(`step:${epoch}:${step}`) };
        const terms = await runStep(optimizer, vars, method, batches[step], ctx);
        const bad = Object.keys(terms).sort((a, b) => Number(a === 'total') - Number(b === 'total')).find(k => !Number.isFinite(terms[k]));
        if (bad) {
          throw new CkdError(`training diverged: loss term '${bad}' is ${terms[bad]} in epoch ${epoch} (step ${step + 1} of ${batches.length})`
            + (!ckptFile ? '' : lastCheckpoint ? `; the last good checkpoint (epoch ${lastCheckpoint}) is kept at ${ckptFile}` : '; no checkpoint was written yet'));
        }
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
      if (opts.probe) record.probe = await opts.probe(model, mask, epoch);
      let line = `epoch ${epoch} loss ${loss.total.toFixed(4)} (${seconds.toFixed(1)} s)`;
      if (epoch % opts.evalEvery === 0 || epoch === opts.epochs) {
        record.val = await evaluateBackbone(model, data, 'val', MASKS, ks, opts.ndcg);
        const r20 = record.val[mask].recall[20];
        if (stopper.update(r20, epoch)) best.capture(vars);
        line += ` val recall@20 ${formatMasks(record.val)}${stopper.bestEpoch === epoch ? ' *' : ''}`;
      }
      history.push(record);
      progress.epochEnd(line);
      if (ckptFile && epoch % (opts.checkpointEvery ?? 1) === 0) {
        const wallSeconds = priorWall + (Date.now() - started) / 1000;
        writeCheckpoint(ckptFile, await captureCheckpoint(parts, { epoch, identity, history, trainSeconds, wallSeconds }));
        lastCheckpoint = epoch;
      }
      if (stopper.shouldStop) break;
    }
    const epochsRun = history.length;
    if (!best.empty) best.restore(vars);
    // The best epoch's validation is in the history already; the restored weights are those weights.
    const val = history.find(h => h.epoch === stopper.bestEpoch)?.val
      ?? await evaluateBackbone(model, data, 'val', MASKS, ks, opts.ndcg);
    const test = await evaluateBackbone(model, data, 'test', MASKS, ks, opts.ndcg, opts.perUserTest ?? false);
    progress.done(`best epoch ${stopper.bestEpoch}: test recall@20 ${formatMasks(test)}`);
    const result: TrainResult = {
      bestEpoch: stopper.bestEpoch,
      epochsRun,
      stoppedEarly: stopper.shouldStop,
      bestValRecall: stopper.best,
      val,
      test,
      history,
      secondsPerEpoch: trainSeconds / Math.max(epochsRun, 1),
      wallSeconds: priorWall + (Date.now() - started) / 1000,
    };
    if (resumedFromEpoch !== undefined) result.resumedFromEpoch = resumedFromEpoch;
    return result;
  } finally {
    best.dispose();
    optimizer.dispose();
  }
}

/**
 * One optimiser step; resolves to the numeric value of every loss term (and `total`), read in one
 * transfer after the update. The benchmark times this same step.
 */
export async function runStep(
  optimizer: tf.Optimizer, vars: tf.Variable[], method: TrainingMethod,
  batch: Parameters<TrainingMethod['loss']>[0], ctx: StepContext,
): Promise<Record<string, number>> {
  const kept: Record<string, tf.Scalar> = {};
  const keepTerms = ({ total, terms }: StepLoss): tf.Scalar => {
    for (const [k, t] of Object.entries(terms)) kept[k] = tf.keep(t);
    return total;
  };
  // The step's forward passes share their feature projections (lib/nn/fixed-features.ts), and,
  // where the method asks, what else is the same in every pass (lib/nn/same-in-every-pass.ts).
  const passes = () => sharingProjections(() => method.loss(batch, ctx), method.readsEveryItem?.(batch, ctx) ?? false);
  const loss = () => method.reusesKeptBranches?.() ? reusingWithinStep(passes) : passes();
  const { value, grads } = hostReadsSync()
    ? leanVariableGrads(() => keepTerms(settled(loss(), `method '${method.name}'`)), vars)
    : await leanVariableGradsAsync(async () => keepTerms(await loss()), vars);
  const applied = method.transformGradients ? method.transformGradients(grads, ctx) : grads;
  optimizer.applyGradients(applied);
  tf.dispose(Object.values(grads));
  if (applied !== grads) tf.dispose(Object.values(applied));
  try {
    return await readScalars({ total: value, ...kept });
  } finally {
    tf.dispose([value, ...Object.values(kept)]);
  }
}

function formatMasks(m: MetricsByMask): string {
  return (Object.keys(m) as ModalityMask[]).map(k => `${k} ${m[k].recall[20].toFixed(4)}`).join(', ');
}
