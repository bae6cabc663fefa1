/**
 * `ckd demo`: the pilot study in one table. The three training modes of one backbone are run
 * cells trained by the shared cell runner (lib/experiments/run-cell.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadDataset, writeDataset } from '../data/loaders';
import { initEngine } from '../engine/backend';
import { PROJECT_ROOT, provenance } from '../experiments/provenance';
import { ResultStore } from '../experiments/result-store';
import { CellTraining, RunCell, RunCellResult, makeRunCell, trainCell } from '../experiments/run-cell';
import { MASKS, TRAIN_MODES } from '../models/backbone';
import { backboneEntry } from '../models/registry';
import { synthesizeDataset } from '../synth/synthesize';
import { consoleProgress } from '../train/progress';
import { TRAIN_DEFAULTS, checkTrainOptions } from '../train/trainer';
import { CommandSpec, numberOpt, parseArgs, stringOpt } from './args';

export const demoSpec: CommandSpec = {
  name: 'demo',
  summary: 'A short demo on the embedded data set (the main job is ckd reproduce, which npm start runs): generate it ' +
    '(once, into data/default), train VBPR multimodal, text-only and visual-only, and print test Recall@20 of each ' +
    'under all three masks (the pilot study in one table). The runs\' records go to results/runs/demo/store.jsonl.',
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
  backboneEntry(modelName);
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
  // Run cells through the shared runner; their records (and the uni-modal runs' frozen teachers)
  // go to results/runs/demo, and every demo trains them afresh.
  const runs = path.join(PROJECT_ROOT, 'results', 'runs', 'demo');
  const o = { store: new ResultStore<RunCell, RunCellResult>(path.join(runs, 'store.jsonl'), { warn }), teachersDir: path.join(runs, 'teachers'), provenance: prov, progress: consoleProgress };
  const train: CellTraining = { seed, epochs, lr, batchSize: TRAIN_DEFAULTS.batchSize, evalEvery: TRAIN_DEFAULTS.evalEvery, patience, ndcg: 'standard' };
  checkTrainOptions({ ...train, mode: 'multimodal' });
  const rows: string[] = [];
  for (const mode of TRAIN_MODES) {
    const cell = makeRunCell({ dataset: prov.dataset.fingerprint, model: modelName, mode, method: 'plain', train });
    const { result } = await trainCell(data, cell, o);
    rows.push(`${mode.padEnd(12)} ${MASKS.map(m => result.test[m].recall20.toFixed(4).padStart(8)).join(' ')}` +
      `   ${String(result.bestEpoch).padStart(4)}  ${result.secondsPerEpoch.toFixed(2)}`);
  }
  out(`\n${modelName} on ${data.name} (${data.numUsers} users, ${data.numItems} items), backend ${prov.backend}, seed ${seed}`);
  out('test Recall@20 of each trained model under each inference mask:');
  out(`${'trained'.padEnd(12)} ${MASKS.map(m => m.padStart(8)).join(' ')}   best  s/epoch`);
  for (const r of rows) out(r);
  out('Under-optimisation shows when the multimodal model\'s text (visual) column is below the text-only (visual-only) model\'s.');
}
