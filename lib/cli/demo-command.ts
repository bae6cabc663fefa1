import * as fs from 'fs';
import * as path from 'path';
import { loadDataset, writeDataset } from '../data/loaders';
import { initEngine } from '../engine/backend';
import { PROJECT_ROOT, provenance } from '../experiments/provenance';
import { defaultRecordPath, writeRunRecord } from '../experiments/run-record';
import { MASKS, TRAIN_MODES } from '../models/backbone';
import { backboneFactory } from '../models/registry';
import { synthesizeDataset } from '../synth/synthesize';
import { consoleProgress } from '../train/progress';
import { TRAIN_DEFAULTS, checkTrainOptions, trainModel } from '../train/trainer';
import { CommandSpec, numberOpt, parseArgs, stringOpt } from './args';

export const demoSpec: CommandSpec = {
  name: 'demo',
  summary: 'A short demo on the embedded data set (the main job is ckd reproduce, which npm start runs): generate it ' +
    '(once, into data/default), train VBPR multimodal, text-only and visual-only, and print test Recall@20 of each ' +
    'under all three masks (the pilot study in one table).',
  usage: 'ckd demo [--model NAME] [--seed N] [--data DIR]',
  options: [
    { name: 'model', value: 'NAME', help: 'backbone', default: 'vbpr' },
    { name: 'seed', value: 'N', help: 'training seed', default: '123' },
    { name: 'data', value: 'DIR', help: 'data folder; generated from the default preset when absent', default: 'data/default' },
    { name: 'epochs', value: 'N', help: 'maximum epochs per model', default: '60' },
    { name: 'lr', value: 'X', help: 'Adam learning rate (in the paper\'s grid; faster to converge than the CKD code\'s 5e-4)', default: '1e-3' },
    { name: 'patience', value: 'N', help: 'validations (every 5 epochs) without improvement before stopping', default: '3' },
    { name: 'help', help: 'show this help' },
  ],
};

export async function demoCommand(argv: string[], out: (s: string) => void, log: (s: string) => void, warn: (s: string) => void): Promise<void> {
  const a = parseArgs(demoSpec, argv);
  const modelName = stringOpt(a, 'model', 'vbpr')!;
  const factory = backboneFactory(modelName);
  const seed = numberOpt(a, 'seed', 123, 'int');
  const epochs = numberOpt(a, 'epochs', 60, 'int');
  const lr = numberOpt(a, 'lr', 1e-3);
  const patience = numberOpt(a, 'patience', 3, 'int');
  const dir = path.resolve(stringOpt(a, 'data', path.join(PROJECT_ROOT, 'data', 'default'))!);
  if (!fs.existsSync(dir)) {
    log(`generating the embedded default data set into ${dir}`);
    writeDataset(synthesizeDataset('default', 1), dir, 'lattice');
  }
  const data = loadDataset(dir, { warn });
  const prov = provenance(data, await initEngine());
  const rows: string[] = [];
  const results: Record<string, unknown> = {};
  for (const mode of TRAIN_MODES) {
    const model = factory(data, { seed });
    try {
      const opts = { ...TRAIN_DEFAULTS, ks: [...TRAIN_DEFAULTS.ks], epochs, lr, patience, mode, seed };
      checkTrainOptions(opts);
      const result = await trainModel(model, data, { ...opts, progress: consoleProgress(`[${modelName} ${mode}]`) });
      results[mode] = result;
      writeRunRecord(defaultRecordPath(PROJECT_ROOT, ['demo', modelName, mode, seed]),
        { kind: 'train', config: { model: modelName, ...opts }, provenance: prov, result });
      rows.push(`${mode.padEnd(12)} ${MASKS.map(m => result.test[m].recall[20].toFixed(4).padStart(8)).join(' ')}` +
        `   ${String(result.bestEpoch).padStart(4)}  ${result.secondsPerEpoch.toFixed(2)}`);
    } finally {
      model.dispose();
    }
  }
  out(`\n${modelName} on ${data.name} (${data.numUsers} users, ${data.numItems} items), backend ${prov.backend}, seed ${seed}`);
  out('test Recall@20 of each trained model under each inference mask:');
  out(`${'trained'.padEnd(12)} ${MASKS.map(m => m.padStart(8)).join(' ')}   best  s/epoch`);
  for (const r of rows) out(r);
  out('Under-optimisation shows when the multimodal model\'s text (visual) column is below the text-only (visual-only) model\'s.');
}
