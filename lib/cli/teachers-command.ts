/**
 * `ckd teachers`: trains a backbone's two teacher cells (text-only and visual-only plain runs,
 * frozen at their best validation state) through the shared cell runner into a teachers folder,
 * where `ckd train --method ckd --teachers DIR` with the same settings finds them.
 */
import * as fs from 'fs';
import * as path from 'path';
import { MODALITIES, Modality } from '../data/dataset';
import { initEngine } from '../engine/backend';
import { CkdError } from '../errors';
import { datasetFingerprint, provenance } from '../experiments/provenance';
import { ResultStore, configKey } from '../experiments/result-store';
import { RunCell, RunCellResult, loadOrTrainTeachers, makeRunCell, teacherCells, teacherDir } from '../experiments/run-cell';
import { teacherFiles } from '../methods/teacher-store';
import { disposeTeachers } from '../methods/teacher';
import { backboneEntry } from '../models/registry';
import { consoleProgress } from '../train/progress';
import { CommandSpec, parseArgs, requireOpt, stringOpt } from './args';
import { cellTraining, dataFromArgs, trainOptionsFromArgs, trainSpec, withParams } from './train-command';
import { paramSettingsFromArgs, paramsForModel } from './params';

const SHARED = new Set(['data', 'preset', 'data-seed', 'model', 'param', 'seed', 'epochs', 'lr', 'batch-size', 'eval-every', 'patience', 'ndcg', 'quiet', 'help']);

export const teachersSpec: CommandSpec = {
  name: 'teachers',
  summary: 'Train the two uni-modal teachers of a backbone (text-only and visual-only run cells, frozen at their best validation state) into a teachers folder, for ckd train --method ckd --teachers DIR with the same settings.',
  usage: 'ckd teachers (--data DIR | --preset NAME) --model NAME --out DIR [--seed N] [training options]',
  options: [
    ...trainSpec.options.filter(o => SHARED.has(o.name)),
    { name: 'out', value: 'DIR', help: 'teachers folder: store.jsonl (the teacher cells\' records) and one folder per teacher (teacher-<modality>.{json,bin})' },
  ],
};

export async function teachersCommand(argv: string[], out: (s: string) => void, warn: (s: string) => void): Promise<void> {
  const a = parseArgs(teachersSpec, argv);
  const modelName = stringOpt(a, 'model');
  if (!modelName) throw new CkdError('--model is required');
  const entry = backboneEntry(modelName);
  const params = paramsForModel(modelName, paramSettingsFromArgs(a));
  const { mode: _mode, ...train } = trainOptionsFromArgs(a, entry.lr);
  const dir = path.resolve(requireOpt(a, 'out'));
  const data = dataFromArgs(a, warn);
  // The teacher cells of the CKD cell `ckd train --method ckd` builds from the same settings.
  const student = makeRunCell({ dataset: datasetFingerprint(data), model: modelName, mode: 'multimodal', method: 'ckd', params, train: cellTraining(train) });
  const cells = teacherCells(student);
  const store = new ResultStore<RunCell, RunCellResult>(path.join(dir, 'store.jsonl'), { warn });
  const saved = (m: Modality) => store.has(configKey(cells[m])) && fs.existsSync(teacherFiles(teacherDir(dir, cells[m]), m).manifest);
  if (MODALITIES.every(saved)) {
    // Training is deterministic: training them again would give the same teachers.
    throw new CkdError(`--out ${requireOpt(a, 'out')}: the teachers of these settings are already saved there (${MODALITIES.map(m => path.basename(teacherDir(dir, cells[m]))).join(', ')})`);
  }
  const prov = provenance(data, await initEngine());
  const teachers = await loadOrTrainTeachers(data, student, {
    store, teachersDir: dir, provenance: prov, progress: label => a.options.quiet ? undefined : consoleProgress(label),
  });
  try {
    out(JSON.stringify({
      model: modelName, ...withParams(params), seed: train.seed, backend: prov.backend, dataset: prov.dataset,
      teachers: Object.fromEntries(MODALITIES.map(m => {
        const r = store.get(configKey(cells[m]))!.result;
        return [m, {
          key: configKey(cells[m]), mode: cells[m].mode, bestEpoch: r.bestEpoch, epochsRun: r.epochsRun,
          valRecall20: r.val[m].recall20, testRecall20: r.test[m].recall20, files: teacherFiles(teacherDir(dir, cells[m]), m),
        }];
      })),
    }, null, 2));
  } finally {
    disposeTeachers(teachers);
  }
}
