/**
 * `ckd train`: one run cell (lib/experiments/run-cell.ts) built from the flags, the same cell (and
 * key) `ckd reproduce` builds for the same settings, trained by the shared cell runner; its record
 * (a result-store line) is written to --out and its test metrics printed as JSON. A CKD cell's
 * teachers are its teacher cells, kept under --teachers DIR (else in a temporary folder).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Dataset } from '../data/dataset';
import { loadDataset } from '../data/loaders';
import { initEngine } from '../engine/backend';
import { CkdError } from '../errors';
import { PROJECT_ROOT, datasetFingerprint, provenance } from '../experiments/provenance';
import { ResultStore } from '../experiments/result-store';
import { CellTraining, RunCellResult, makeRunCell, trainCell } from '../experiments/run-cell';
import { defaultRecordPath, writeRecordFile } from '../experiments/run-record';
import { MASKS, TRAIN_MODES, TrainMode } from '../models/backbone';
import { BACKBONES, backboneEntry } from '../models/registry';
import { PRESET_NAMES } from '../synth/presets';
import { synthesizeDataset } from '../synth/synthesize';
import { checkIdentity, readCheckpointIfExists } from '../train/checkpoint';
import { consoleProgress } from '../train/progress';
import { TRAIN_DEFAULTS, TrainOptions, checkTrainOptions, trainIdentity } from '../train/trainer';
import { NDCG_VARIANTS, NdcgVariant } from '../train/validate';
import { METHODS, METHOD_NAMES, MethodName } from '../methods/registry';
import { CommandSpec, ParsedArgs, choiceOpt, numberOpt, parseArgs, stringOpt } from './args';
import { methodOptionSpecs, methodOptionsFromArgs } from './method-flags';
import { PARAM_OPTION, paramSettingsFromArgs, paramsForModel } from './params';

export const trainSpec: CommandSpec = {
  name: 'train',
  summary: 'Train one backbone on a data set (one run cell, as ckd reproduce would run it), print the final metrics as JSON and write its result record (a result-store line) under results/runs/.',
  usage: 'ckd train (--data DIR | --preset NAME) --model NAME [--method plain|ckd|gb|ogm] [--mode multimodal|text-only|visual-only] [--seed N] [options]',
  options: [
    { name: 'data', value: 'DIR', help: 'data folder (LATTICE or MMRec layout)' },
    { name: 'preset', value: 'NAME', help: `generate the embedded data set instead (${PRESET_NAMES.join(', ')})` },
    { name: 'data-seed', value: 'N', help: 'seed of the generated data set', default: '1' },
    { name: 'model', value: 'NAME', help: `backbone: ${Object.keys(BACKBONES).join(', ')}` },
    PARAM_OPTION,
    { name: 'mode', value: 'MODE', help: 'multimodal, or a uni-modal model (other modality mean-ablated in training and inference)', default: 'multimodal' },
    { name: 'method', value: 'NAME', help: `how the backbone is trained: ${METHOD_NAMES.map(n => `${n} (${METHODS[n].summary})`).join('; ')}`, default: 'plain' },
    { name: 'teachers', value: 'DIR', help: 'teachers folder of --method ckd: the teacher cells (text-only and visual-only plain runs with this run\'s settings) are loaded from DIR when recorded there (ckd teachers, or an earlier run), else trained and kept there (one folder per teacher; DIR/store.jsonl records them and the runs trained with them); without it they are trained into a temporary folder' },
    { name: 'seed', value: 'N', help: 'seed of initialisation and sampling', default: '123' },
    { name: 'epochs', value: 'N', help: 'maximum epochs', default: String(TRAIN_DEFAULTS.epochs) },
    { name: 'lr', value: 'X', help: 'Adam learning rate', default: "the model's reference value (5e-4 for VBPR)" },
    { name: 'batch-size', value: 'N', help: 'BPR triples per step', default: String(TRAIN_DEFAULTS.batchSize) },
    { name: 'eval-every', value: 'N', help: 'validate every N epochs', default: String(TRAIN_DEFAULTS.evalEvery) },
    { name: 'patience', value: 'N', help: 'stop after N validations without a better Recall@20', default: String(TRAIN_DEFAULTS.patience) },
    { name: 'ndcg', value: 'VARIANT', help: 'standard, or lattice (the CKD/LATTICE code\'s inflated variant)', default: 'standard' },
    { name: 'out', value: 'FILE', help: 'result record path', default: 'results/runs/<time>_<model>_<mode>_<seed>.json' },
    { name: 'checkpoint', value: 'FILE', help: 'write a checkpoint (weights, optimiser, early stopping, history) to FILE, atomically' },
    { name: 'checkpoint-every', value: 'N', help: 'epochs between checkpoints', default: '1' },
    { name: 'resume', help: 'continue from the --checkpoint FILE (same options needed; starts at epoch 1 when FILE does not exist yet)' },
    { name: 'quiet', help: 'no progress output' },
    { name: 'help', help: 'show this help' },
    ...methodOptionSpecs(),
  ],
};

export function dataFromArgs(a: ParsedArgs, warn: (s: string) => void): Dataset {
  const dir = stringOpt(a, 'data');
  const preset = stringOpt(a, 'preset');
  if (dir && preset) throw new CkdError('give either --data or --preset, not both');
  if (dir) return loadDataset(dir, { warn });
  if (preset) return synthesizeDataset(preset, numberOpt(a, 'data-seed', 1, 'int'));
  throw new CkdError('--data DIR or --preset NAME is required');
}

export function trainOptionsFromArgs(a: ParsedArgs, defaultLr: number = TRAIN_DEFAULTS.lr): TrainOptions {
  const opts: TrainOptions = {
    mode: choiceOpt<TrainMode>(a, 'mode', TRAIN_MODES, 'multimodal'),
    seed: numberOpt(a, 'seed', 123, 'int'),
    epochs: numberOpt(a, 'epochs', TRAIN_DEFAULTS.epochs, 'int'),
    lr: numberOpt(a, 'lr', defaultLr),
    batchSize: numberOpt(a, 'batch-size', TRAIN_DEFAULTS.batchSize, 'int'),
    evalEvery: numberOpt(a, 'eval-every', TRAIN_DEFAULTS.evalEvery, 'int'),
    patience: numberOpt(a, 'patience', TRAIN_DEFAULTS.patience, 'int'),
    ndcg: choiceOpt<NdcgVariant>(a, 'ndcg', NDCG_VARIANTS, 'standard'),
  };
  checkTrainOptions(opts);
  return opts;
}

export async function trainCommand(argv: string[], out: (s: string) => void, warn: (s: string) => void): Promise<void> {
  const a = parseArgs(trainSpec, argv);
  const modelName = stringOpt(a, 'model');
  if (!modelName) throw new CkdError('--model is required');
  const entry = backboneEntry(modelName);
  const params = paramsForModel(modelName, paramSettingsFromArgs(a));
  const opts = trainOptionsFromArgs(a, entry.lr);
  const methodName = choiceOpt<MethodName>(a, 'method', METHOD_NAMES, 'plain');
  const methodOptions = methodOptionsFromArgs(a, methodName);
  if (methodName !== 'plain' && opts.mode !== 'multimodal') throw new CkdError(`--method ${methodName} trains a multimodal model; use --mode multimodal`);
  const teachersDir = stringOpt(a, 'teachers');
  if (teachersDir !== undefined && !METHODS[methodName].needsTeachers) throw new CkdError(`--teachers is for --method ckd`);
  const outArg = stringOpt(a, 'out');
  if (outArg !== undefined) checkOutputFile(outArg, 'out');
  const ckpt = checkpointOptionsFromArgs(a);
  const data = dataFromArgs(a, warn);
  if (ckpt.checkpointPath) {
    ckpt.checkpointTag = { model: modelName, data: datasetFingerprint(data), method: methodName, methodOptions, ...withParams(params) };
    checkResumable(ckpt, opts);
  }
  const prov = provenance(data, await initEngine());
  const { mode, ...train } = opts;
  const cell = makeRunCell({ dataset: prov.dataset.fingerprint, model: modelName, mode, method: methodName, methodOptions, params, train: cellTraining(train) });
  // The teacher cells (and this run's record) go to a store in the teachers folder, kept when
  // --teachers names one, else temporary: the run's record is written to --out either way.
  const work = teachersDir !== undefined ? path.resolve(teachersDir) : fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-train-'));
  try {
    const rec = await trainCell(data, cell, {
      store: new ResultStore(path.join(work, 'store.jsonl'), { warn }), teachersDir: work, provenance: prov,
      progress: label => a.options.quiet ? undefined : consoleProgress(label),
    }, ckpt);
    const file = outArg ?? defaultRecordPath(PROJECT_ROOT, [modelName, methodName === 'plain' ? mode : methodName, opts.seed]);
    writeRecordFile(file, rec);
    out(JSON.stringify({
      model: modelName, method: methodName, mode, seed: opts.seed, backend: prov.backend, key: rec.key, bestEpoch: rec.result.bestEpoch,
      secondsPerEpoch: +rec.result.secondsPerEpoch.toFixed(3), test: printedMetrics(rec.result), record: path.relative(process.cwd(), file),
    }, null, 2));
  } finally {
    if (teachersDir === undefined) fs.rmSync(work, { recursive: true, force: true });
  }
}

/** A cell's trainer settings from the parsed training options. */
export function cellTraining(o: Omit<TrainOptions, 'mode'>): CellTraining {
  return {
    seed: o.seed, epochs: o.epochs, lr: o.lr, batchSize: o.batchSize, evalEvery: o.evalEvery, patience: o.patience, ndcg: o.ndcg ?? 'standard',
  };
}

/** A cell's test metrics under each mask as printed: `{ recall: { 20: x }, ndcg: { 20: x }, precision: { 20: x } }`. */
function printedMetrics(r: RunCellResult): Record<string, unknown> {
  return Object.fromEntries(MASKS.map(m => {
    const t = r.test[m];
    return [m, { recall: { 20: t.recall20 }, ndcg: { 20: t.ndcg20 }, precision: { 20: t.precision20 } }];
  }));
}

/** `{ params }` when there are backbone parameters, else nothing (records and tags without them stay as they were). */
export function withParams(params: Record<string, number>): { params?: Record<string, number> } {
  return Object.keys(params).length > 0 ? { params } : {};
}

type CheckpointOptions = Pick<TrainOptions, 'checkpointPath' | 'checkpointEvery' | 'resume' | 'checkpointTag'>;

function checkpointOptionsFromArgs(a: ParsedArgs): CheckpointOptions {
  const file = stringOpt(a, 'checkpoint');
  const resume = a.options.resume === true;
  if (!file) {
    if (resume) throw new CkdError('--resume needs --checkpoint FILE');
    if (a.options['checkpoint-every'] !== undefined) throw new CkdError('--checkpoint-every needs --checkpoint FILE');
    return {};
  }
  const every = numberOpt(a, 'checkpoint-every', 1, 'int');
  if (every < 1) throw new CkdError(`--checkpoint-every must be a positive integer (got ${every})`);
  checkOutputFile(file, 'checkpoint');
  if (!resume && fs.existsSync(file)) {
    throw new CkdError(`--checkpoint ${file}: a checkpoint already exists; add --resume to continue that run, or remove the file to start over`);
  }
  return { checkpointPath: file, checkpointEvery: every, resume };
}

/** Before anything heavy starts: a checkpoint to resume must be readable and of this run. */
function checkResumable(ckpt: CheckpointOptions, opts: TrainOptions): void {
  if (!ckpt.resume || !ckpt.checkpointPath) return;
  const c = readCheckpointIfExists(ckpt.checkpointPath);
  if (!c) return;
  checkIdentity(ckpt.checkpointPath, { ...c.identity, variables: null }, { ...trainIdentity({ ...opts, ...ckpt }), variables: null });
}

/** An output path must be a file path in a folder we can create and write. */
function checkOutputFile(file: string, option: string): void {
  const dir = path.dirname(path.resolve(file));
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (e) {
    throw new CkdError(`--${option} ${file}: cannot write into the folder ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new CkdError(`--${option} ${file}: is a folder, expected a file name`);
}
