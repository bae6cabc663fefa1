/**
 * Teachers for tests. trainedTeachers: got the package's one way, the teacher cells of a CKD run
 * cell trained and recorded through the cell runner (lib/experiments/run-cell.ts) in a temporary
 * folder, then loaded as the CKD cell would load them. untrainedTeachers: frozen from freshly
 * initialised VBPRs, enough wherever their quality does not matter.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Dataset, MODALITIES } from '../lib/data/dataset';
import { provenance } from '../lib/experiments/provenance';
import { ResultStore, configKey } from '../lib/experiments/result-store';
import { CellTraining, RunCell, RunCellResult, RunRecord, loadOrTrainTeachers, makeRunCell, teacherCells } from '../lib/experiments/run-cell';
import { Teacher, TeacherPair } from '../lib/methods/teacher';
import { backboneFactory } from '../lib/models/registry';

export async function trainedTeachers(model: string, data: Dataset, train: Omit<CellTraining, 'ndcg'>):
  Promise<{ teachers: TeacherPair; records: RunRecord[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-test-teachers-'));
  try {
    const prov = provenance(data, 'wasm');
    const store = new ResultStore<RunCell, RunCellResult>(path.join(dir, 'store.jsonl'));
    const cell = makeRunCell({ dataset: prov.dataset.fingerprint, model, mode: 'multimodal', method: 'ckd', train: { ...train, ndcg: 'standard' } });
    const teachers = await loadOrTrainTeachers(data, cell, { store, teachersDir: path.join(dir, 'teachers'), provenance: prov });
    const records = Object.values(teacherCells(cell)).map(c => store.get(configKey(c))!);
    return { teachers, records };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function untrainedTeachers(data: Dataset, seed = 11): TeacherPair {
  const out = {} as TeacherPair;
  for (const m of MODALITIES) {
    const model = backboneFactory('vbpr')(data, { seed: seed + (m === 'text' ? 1 : 0) });
    out[m] = Teacher.freeze(model, data, m, { seed });
    model.dispose();
  }
  return out;
}
