import * as path from 'path';
import { Dataset } from '../data/dataset';
import { loadDataset } from '../data/loaders';
import { initEngine } from '../engine/backend';
import { CkdError } from '../errors';
import { PROJECT_ROOT, provenance } from '../experiments/provenance';
import { defaultRecordPath, writeRunRecord } from '../experiments/run-record';
import { TRAIN_MODES, TrainMode } from '../models/backbone';
import { BACKBONES, backboneEntry } from '../models/registry';
import { PRESET_NAMES } from '../synth/presets';
import { synthesizeDataset } from '../synth/synthesize';
import { consoleProgress } from '../train/progress';
import { TRAIN_DEFAULTS, TrainOptions, checkTrainOptions, trainModel } from '../train/trainer';
import { NDCG_VARIANTS, NdcgVariant } from '../train/validate';
import { CommandSpec, ParsedArgs, choiceOpt, numberOpt, parseArgs, stringOpt } from './args';

export const trainSpec: CommandSpec = {
  name: 'train',
  summary: 'Train one backbone on a data set, print the final metrics as JSON and write a result record under results/runs/.',
  usage: 'ckd train (--data DIR | --preset NAME) --model NAME [--mode multimodal|text-only|visual-only] [--seed N] [options]',
  options: [
    { name: 'data', value: 'DIR', help: 'data folder (LATTICE or MMRec layout)' },
    { name: 'preset', value: 'NAME', help: `generate the embedded data set instead (${PRESET_NAMES.join(', ')})` },
    { name: 'data-seed', value: 'N', help: 'seed of the generated data set', default: '1' },
    { name: 'model', value: 'NAME', help: `backbone: ${Object.keys(BACKBONES).join(', ')}` },
    { name: 'mode', value: 'MODE', help: 'multimodal, or a uni-modal model (other modality mean-ablated in training and inference)', default: 'multimodal' },
    { name: 'seed', value: 'N', help: 'seed of initialisation and sampling', default: '123' },
    { name: 'epochs', value: 'N', help: 'maximum epochs', default: String(TRAIN_DEFAULTS.epochs) },
    { name: 'lr', value: 'X', help: 'Adam learning rate', default: "the model's reference value (5e-4 for VBPR)" },
    { name: 'batch-size', value: 'N', help: 'BPR triples per step', default: String(TRAIN_DEFAULTS.batchSize) },
    { name: 'eval-every', value: 'N', help: 'validate every N epochs', default: String(TRAIN_DEFAULTS.evalEvery) },
    { name: 'patience', value: 'N', help: 'stop after N validations without a better Recall@20', default: String(TRAIN_DEFAULTS.patience) },
    { name: 'ndcg', value: 'VARIANT', help: 'standard, or lattice (the CKD/LATTICE code\'s inflated variant)', default: 'standard' },
    { name: 'out', value: 'FILE', help: 'result record path', default: 'results/runs/<time>_<model>_<mode>_<seed>.json' },
    { name: 'quiet', help: 'no progress output' },
    { name: 'help', help: 'show this help' },
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
  const opts = trainOptionsFromArgs(a, entry.lr);
  const data = dataFromArgs(a, warn);
  const prov = provenance(data, await initEngine());
  const model = entry.factory(data, { seed: opts.seed });
  const label = `[${modelName} ${opts.mode}]`;
  try {
    const result = await trainModel(model, data, { ...opts, progress: a.options.quiet ? undefined : consoleProgress(label) });
    const file = stringOpt(a, 'out') ?? defaultRecordPath(PROJECT_ROOT, [modelName, opts.mode, opts.seed]);
    writeRunRecord(file, { kind: 'train', config: { model: modelName, ...opts }, provenance: prov, result });
    out(JSON.stringify({
      model: modelName, mode: opts.mode, seed: opts.seed, backend: prov.backend, bestEpoch: result.bestEpoch,
      secondsPerEpoch: +result.secondsPerEpoch.toFixed(3), test: result.test, record: path.relative(process.cwd(), file),
    }, null, 2));
  } finally {
    model.dispose();
  }
}
