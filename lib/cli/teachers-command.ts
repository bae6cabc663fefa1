import { initEngine } from '../engine/backend';
import { CkdError } from '../errors';
import { provenance } from '../experiments/provenance';
import { saveTeachers, teacherFiles, teachersSaved } from '../methods/teacher-store';
import { disposeTeachers } from '../methods/teacher';
import { backboneEntry } from '../models/registry';
import { MODALITIES } from '../data/dataset';
import { consoleProgress } from '../train/progress';
import { CommandSpec, parseArgs, requireOpt, stringOpt } from './args';
import { dataFromArgs, obtainTeachers, trainOptionsFromArgs, trainSpec, withParams } from './train-command';
import { paramSettingsFromArgs, paramsForModel } from './params';

const SHARED = new Set(['data', 'preset', 'data-seed', 'model', 'param', 'seed', 'epochs', 'lr', 'batch-size', 'eval-every', 'patience', 'ndcg', 'quiet', 'help']);

export const teachersSpec: CommandSpec = {
  name: 'teachers',
  summary: 'Train the two uni-modal teachers of a backbone (text-only and visual-only, frozen at their best validation state) and save them for ckd train --method ckd --teachers DIR.',
  usage: 'ckd teachers (--data DIR | --preset NAME) --model NAME --out DIR [--seed N] [training options]',
  options: [
    ...trainSpec.options.filter(o => SHARED.has(o.name)),
    { name: 'out', value: 'DIR', help: 'folder for teacher-visual.{json,bin} and teacher-text.{json,bin}' },
    { name: 'force', help: 'overwrite teachers already saved in DIR' },
  ],
};

export async function teachersCommand(argv: string[], out: (s: string) => void, warn: (s: string) => void): Promise<void> {
  const a = parseArgs(teachersSpec, argv);
  const modelName = stringOpt(a, 'model');
  if (!modelName) throw new CkdError('--model is required');
  const entry = backboneEntry(modelName);
  const params = paramsForModel(modelName, paramSettingsFromArgs(a));
  const opts = trainOptionsFromArgs(a, entry.lr);
  const dir = requireOpt(a, 'out');
  if (teachersSaved(dir) && !a.options.force) throw new CkdError(`--out ${dir}: teachers are already saved there (add --force to replace them)`);
  const data = dataFromArgs(a, warn);
  const prov = provenance(data, await initEngine());
  const progress = (label: string) => a.options.quiet ? undefined : consoleProgress(label);
  const teachers = await obtainTeachers(modelName, data, opts, undefined, progress, prov.dataset.fingerprint, params);
  try {
    saveTeachers(teachers, dir);
    out(JSON.stringify({
      model: modelName, ...withParams(params), seed: opts.seed, backend: prov.backend, dataset: prov.dataset,
      teachers: Object.fromEntries(MODALITIES.map(m => [m, { ...teachers[m].info.training, files: teacherFiles(dir, m) }])),
    }, null, 2));
  } finally {
    disposeTeachers(teachers);
  }
}
