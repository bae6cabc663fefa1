/**
 * Uni-modal teachers (CKD; paper Eqs. 8-9; docs/method.md, "Uni-modal teachers"): the student's own architecture
 * trained with every other modality mean-ablated, in training and in inference, then frozen.
 *
 * A frozen teacher never changes, so its full user and item representations under its mask are
 * computed once (inference mode) and kept; a margin dt^m_uab = U[u] . (I[a] - I[b]) is then two
 * row gathers and a dot product, whatever the backbone (the authors' code does the same: it runs
 * each teacher once and indexes the result). The backbone itself is not kept; a teacher holds a
 * copy of its weights so that it can be saved (teacher-store.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, Modality } from '../data/dataset';
import { CkdError } from '../errors';
import { datasetFingerprint } from '../data/fingerprint';
import { Backbone, BackboneOptions, ParameterGroups, TrainMode } from '../models/backbone';
import { backboneFactory } from '../models/registry';
import { requireSyncReads } from '../nn/host-values';
import { TripleSet, marginsFromTables } from './margins';

/** One trained variable, named `<group>/<index>` after its place in the backbone's groups. */
export interface NamedWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** What identifies a teacher: enough to rebuild it and to refuse it on other data. */
export interface TeacherInfo {
  /** Backbone name in the model registry (e.g. 'vbpr'). */
  model: string;
  modality: Modality;
  /** The options the backbone was built with (dim, seed, params). */
  backbone: BackboneOptions;
  dataset: { name: string; fingerprint: string; numUsers: number; numItems: number };
  /** Summary of its training, when it was trained here (best epoch, validation Recall@20, ...). */
  training?: Record<string, number | string>;
}

export type TeacherPair = Record<Modality, Teacher>;

export function teacherMode(m: Modality): TrainMode {
  return m === 'text' ? 'text-only' : 'visual-only';
}

const GROUP_ORDER: readonly (keyof ParameterGroups)[] = ['shared', 'visual', 'text'];

/** What a frozen teacher records beside its weights. */
export interface FreezeExtras { fingerprint?: string; training?: TeacherInfo['training']; modelName?: string }

/** The backbone's variables with stable names `<group>/<index>`, in group order. */
export function namedVariables(model: Backbone): { name: string; variable: tf.Variable }[] {
  return GROUP_ORDER.flatMap(g => model.groups[g].map((variable, k) => ({ name: `${g}/${k}`, variable })));
}

export class Teacher {
  readonly info: TeacherInfo;
  readonly weights: readonly NamedWeight[];
  private readonly users: tf.Tensor2D;
  private readonly items: tf.Tensor2D;

  private constructor(info: TeacherInfo, weights: NamedWeight[], users: tf.Tensor2D, items: tf.Tensor2D) {
    this.info = info;
    this.weights = weights;
    this.users = users;
    this.items = items;
  }

  get modality(): Modality { return this.info.modality; }

  /**
   * Freezes a trained backbone as the teacher of `modality`: copies its weights and computes
   * its representations under the modality's mask once. The backbone stays the caller's.
   * Reads the weights synchronously: on webgpu use freezeAsync.
   */
  static freeze(model: Backbone, data: Dataset, modality: Modality, backbone: BackboneOptions, extra: FreezeExtras = {}): Teacher {
    requireSyncReads('Teacher.freeze (use freezeAsync)');
    const weights = namedVariables(model).map(({ name, variable }) => ({
      name, shape: variable.shape.slice(), values: Float32Array.from(variable.dataSync() as Float32Array),
    }));
    return Teacher.withWeights(model, data, modality, backbone, extra, weights);
  }

  /** freeze, reading the weights asynchronously (every backend, webgpu included). */
  static async freezeAsync(model: Backbone, data: Dataset, modality: Modality, backbone: BackboneOptions, extra: FreezeExtras = {}): Promise<Teacher> {
    const weights: NamedWeight[] = [];
    for (const { name, variable } of namedVariables(model)) {
      weights.push({ name, shape: variable.shape.slice(), values: Float32Array.from(await variable.data() as Float32Array) });
    }
    return Teacher.withWeights(model, data, modality, backbone, extra, weights);
  }

  /** The teacher of `model`, whose weights are `weights` (already read). */
  private static withWeights(model: Backbone, data: Dataset, modality: Modality, backbone: BackboneOptions, extra: FreezeExtras,
    weights: NamedWeight[]): Teacher {
    const reps = model.forward(modality, {}, false);
    if (reps.aux) tf.dispose(Object.values(reps.aux));
    const info: TeacherInfo = {
      model: extra.modelName ?? model.name,
      modality,
      backbone: { ...backbone },
      dataset: {
        name: data.name, fingerprint: extra.fingerprint ?? datasetFingerprint(data), numUsers: data.numUsers, numItems: data.numItems,
      },
    };
    if (extra.training) info.training = { ...extra.training };
    return new Teacher(info, weights, reps.users, reps.items);
  }

  /**
   * Rebuilds a teacher from saved weights: the backbone is built from the registry with the
   * saved options, every variable's shape is checked, the weights are assigned, and the
   * representations are computed; the backbone is then released.
   */
  static fromWeights(info: TeacherInfo, weights: NamedWeight[], data: Dataset, where = 'teacher'): Teacher {
    const model = backboneFactory(info.model)(data, info.backbone);
    try {
      const vars = namedVariables(model);
      const byName = new Map(weights.map(w => [w.name, w]));
      if (vars.length !== weights.length) {
        throw new CkdError(`${where}: holds ${weights.length} variables, but model '${info.model}' on this data set has ${vars.length}`);
      }
      for (const { name, variable } of vars) {
        const w = byName.get(name);
        if (!w) throw new CkdError(`${where}: variable '${name}' of model '${info.model}' is missing`);
        if (w.shape.length !== variable.shape.length || w.shape.some((d, k) => d !== variable.shape[k])) {
          throw new CkdError(`${where}: variable '${name}' has shape [${w.shape}], but model '${info.model}' on this data set needs [${variable.shape}]`);
        }
        if (w.values.length !== variable.size) throw new CkdError(`${where}: variable '${name}' has ${w.values.length} values, expected ${variable.size}`);
      }
      for (const { name, variable } of vars) {
        const w = byName.get(name)!;
        tf.tidy(() => variable.assign(tf.tensor(w.values, variable.shape, 'float32')));
      }
      // The saved weights are the variables' values: no read back.
      return Teacher.withWeights(model, data, info.modality, info.backbone, {
        fingerprint: info.dataset.fingerprint, training: info.training, modelName: info.model,
      }, vars.map(({ name }) => byName.get(name)!));
    } finally {
      model.dispose();
    }
  }

  /** Teacher margins dt^m for triples (constants: the tables are no variables). */
  margins(set: TripleSet): tf.Tensor1D {
    return marginsFromTables(this.users, this.items, set);
  }

  /** Throws a CkdError unless the teacher was made on this data set (fingerprint and sizes). */
  checkData(data: Dataset, fingerprint = datasetFingerprint(data)): void {
    const d = this.info.dataset;
    if (d.numUsers !== data.numUsers || d.numItems !== data.numItems) {
      throw new CkdError(`the ${this.modality} teacher was trained on ${d.numUsers} users x ${d.numItems} items, this data set has ${data.numUsers} x ${data.numItems}`);
    }
    if (d.fingerprint !== fingerprint) {
      throw new CkdError(`the ${this.modality} teacher was trained on data set '${d.name}' with fingerprint ${d.fingerprint}, but this data set's fingerprint is ${fingerprint}: train the teachers on this data set`);
    }
  }

  dispose(): void {
    this.users.dispose();
    this.items.dispose();
  }
}

export function disposeTeachers(t: Partial<TeacherPair> | undefined): void {
  if (t) for (const x of Object.values(t)) x?.dispose();
}
