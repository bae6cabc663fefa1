import * as fs from 'fs';
import * as path from 'path';
import { initEngine } from '../engine/backend';
import { PROJECT_ROOT, provenance } from '../experiments/provenance';
import { backbonesGridCells, backbonesTableMarkdown, runBackbonesGrid } from '../experiments/backbones-grid';
import { ResultStore } from '../experiments/result-store';
import { RunCell, RunCellResult } from '../experiments/run-cell';
import { BACKBONES, backboneEntry } from '../models/registry';
import { consoleProgress } from '../train/progress';
import { CommandSpec, parseArgs, stringOpt } from './args';
import { cellTraining, dataFromArgs, trainOptionsFromArgs, trainSpec } from './train-command';

const SHARED = new Set(['data', 'preset', 'data-seed', 'seed', 'epochs', 'lr', 'batch-size', 'eval-every', 'patience', 'ndcg', 'quiet', 'help']);
const ALL = Object.keys(BACKBONES).filter(n => n !== 'bprmf');

export const backbonesSpec: CommandSpec = {
  name: 'backbones',
  summary: 'Train backbones in the three modes (multimodal, text-only, visual-only), resumably, and write the table of test Recall@20 under each inference mask.',
  usage: 'ckd backbones (--data DIR | --preset NAME) [--models a,b,...] [--out DIR] [training options]',
  options: [
    ...trainSpec.options.filter(o => SHARED.has(o.name)),
    { name: 'models', value: 'LIST', help: 'comma-separated backbones', default: ALL.join(',') },
    { name: 'out', value: 'DIR', help: 'folder for store.jsonl (finished cells, as ckd reproduce keeps them), teachers/ (the uni-modal cells frozen as teachers) and table.md', default: 'results/backbones/<data set name>' },
  ],
};

export async function backbonesCommand(argv: string[], out: (s: string) => void, log: (s: string) => void, warn: (s: string) => void): Promise<void> {
  const a = parseArgs(backbonesSpec, argv);
  const models = (stringOpt(a, 'models') ?? ALL.join(',')).split(',').map(s => s.trim()).filter(Boolean);
  models.forEach(backboneEntry);
  const { mode: _mode, ...train } = trainOptionsFromArgs(a);
  // Without --lr every backbone trains at its own default rate (lib/models/registry.ts).
  const { lr: _lr, ...settings } = cellTraining(train);
  const trainSettings = stringOpt(a, 'lr') !== undefined ? { ...settings, lr: train.lr } : settings;
  const data = dataFromArgs(a, warn);
  const dir = path.resolve(stringOpt(a, 'out') ?? path.join(PROJECT_ROOT, 'results', 'backbones', data.name));
  fs.mkdirSync(dir, { recursive: true });
  const store = new ResultStore<RunCell, RunCellResult>(path.join(dir, 'store.jsonl'), { warn });
  const prov = provenance(data, await initEngine());
  const cells = backbonesGridCells(models, prov.dataset.fingerprint, trainSettings);
  await runBackbonesGrid(data, cells, {
    store, teachersDir: path.join(dir, 'teachers'), provenance: prov, log,
    progress: label => a.options.quiet ? undefined : consoleProgress(label),
  });
  store.reload();
  const table = backbonesTableMarkdown(store, cells);
  const header = `Test Recall@20 on ${data.name} (${data.numUsers} users, ${data.numItems} items; fingerprint ${prov.dataset.fingerprint}), ` +
    `backend ${prov.backend}, seed ${train.seed}. "text channel" = the model with visual mean-ablated at inference.\n\n`;
  fs.writeFileSync(path.join(dir, 'table.md'), header + table);
  out(header + table);
}
