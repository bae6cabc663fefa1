/**
 * Teachers on disk. A folder holds up to one teacher per modality:
 *   teacher-<modality>.json  manifest: format, model, modality, backbone options, data set name,
 *                            fingerprint and size, training summary, variables (name, shape, offset),
 *                            sha256 of the weights file
 *   teacher-<modality>.bin   the variables' float32 values, little-endian, concatenated in
 *                            manifest order
 * Both are written atomically (a temporary file renamed over the target), weights first, so a
 * crash or a full disk never leaves a manifest that describes weights not written.
 * Loading checks the format, the modality, the model (when the caller names one), the data set
 * fingerprint, the weights' size and content hash (manifests written before the hash was kept
 * have none, and load without that check) and every variable's shape, and says what is wrong in
 * a CkdError.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Dataset, Modality } from '../data/dataset';
import { CkdError, DataError, fsProblem } from '../errors';
import { writeFileAtomic } from '../io/atomic-write';
import { datasetFingerprint } from '../data/fingerprint';
import { NamedWeight, Teacher, TeacherInfo } from './teacher';

export const TEACHER_FORMAT = 'ckd-teacher';
export const TEACHER_FORMAT_VERSION = 1;

interface Manifest extends TeacherInfo {
  format: string;
  version: number;
  weightsFile: string;
  variables: { name: string; shape: number[]; offset: number }[];
  /** SHA-256 of the weights file, hex; absent in teachers saved by earlier versions. */
  sha256?: string;
  savedAt: string;
}

export function teacherFiles(dir: string, modality: Modality): { manifest: string; weights: string } {
  return {
    manifest: path.join(dir, `teacher-${modality}.json`),
    weights: path.join(dir, `teacher-${modality}.bin`),
  };
}

/** Writes a teacher into `dir` (created when missing); returns the manifest path. */
function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

function writeAll(fd: number, buf: Buffer): void {
  for (let at = 0; at < buf.length;) {
    const n = fs.writeSync(fd, buf, at, buf.length - at);
    if (n <= 0) throw new Error(`short write (${at} of ${buf.length} bytes)`);
    at += n;
  }
}

export function saveTeacher(teacher: Teacher, dir: string): string {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new DataError(dir, `cannot create the teacher folder: ${fsProblem(e)}`);
  }
  const files = teacherFiles(dir, teacher.modality);
  const variables: Manifest['variables'] = [];
  let offset = 0;
  for (const w of teacher.weights) {
    variables.push({ name: w.name, shape: w.shape, offset });
    offset += w.values.length;
  }
  const buf = Buffer.alloc(4 * offset);
  for (let k = 0; k < teacher.weights.length; k++) {
    const v = teacher.weights[k].values;
    const o = 4 * variables[k].offset;
    for (let i = 0; i < v.length; i++) buf.writeFloatLE(v[i], o + 4 * i);
  }
  const manifest: Manifest = {
    format: TEACHER_FORMAT,
    version: TEACHER_FORMAT_VERSION,
    ...teacher.info,
    weightsFile: path.basename(files.weights),
    variables,
    sha256: sha256(buf),
    savedAt: new Date().toISOString(),
  };
  writeFileAtomic(files.weights, fd => writeAll(fd, buf), { what: 'the teacher weights', syncFolder: true });
  writeFileAtomic(files.manifest, fd => writeAll(fd, Buffer.from(JSON.stringify(manifest, null, 2) + '\n')), { what: 'the teacher manifest', syncFolder: true });
  return files.manifest;
}

export interface LoadExpectations {
  /** The backbone the teacher must be (e.g. the student's). */
  model?: string;
  /** Precomputed fingerprint of `data` (it hashes every feature value). */
  fingerprint?: string;
}

/** Reads the `modality` teacher from `dir` and rebuilds it on `data`. */
export function loadTeacher(dir: string, modality: Modality, data: Dataset, expect: LoadExpectations = {}): Teacher {
  const files = teacherFiles(dir, modality);
  if (!fs.existsSync(files.manifest)) {
    throw new CkdError(`no ${modality} teacher in ${dir} (expected ${files.manifest}); train the teachers first`);
  }
  let m: Manifest;
  try {
    m = JSON.parse(fs.readFileSync(files.manifest, 'utf8')) as Manifest;
  } catch (e) {
    throw new CkdError(`${files.manifest}: not a readable teacher manifest (${(e as Error).message})`);
  }
  const where = files.manifest;
  if (m.format !== TEACHER_FORMAT) throw new CkdError(`${where}: not a teacher manifest (format ${JSON.stringify(m.format)})`);
  if (m.version !== TEACHER_FORMAT_VERSION) throw new CkdError(`${where}: teacher format version ${m.version}, this package reads ${TEACHER_FORMAT_VERSION}`);
  if (m.modality !== modality) throw new CkdError(`${where}: holds the ${m.modality} teacher, expected the ${modality} one`);
  if (expect.model && m.model !== expect.model.toLowerCase()) {
    throw new CkdError(`${where}: the teacher is a '${m.model}' model, but the student is '${expect.model}': teachers must have the student's architecture`);
  }
  const fingerprint = expect.fingerprint ?? datasetFingerprint(data);
  if (m.dataset?.fingerprint !== fingerprint) {
    throw new CkdError(`${where}: the teacher was trained on data set '${m.dataset?.name}' (fingerprint ${m.dataset?.fingerprint}), `
      + `but the data set given has fingerprint ${fingerprint}: train the teachers on this data set`);
  }
  const weightsPath = path.join(dir, m.weightsFile);
  if (!fs.existsSync(weightsPath)) throw new CkdError(`${where}: weights file ${weightsPath} is missing`);
  let buf: Buffer;
  try {
    buf = fs.readFileSync(weightsPath);
  } catch (e) {
    throw new DataError(weightsPath, `cannot read the teacher weights: ${fsProblem(e)}`);
  }
  const total = m.variables.reduce((s, v) => s + v.shape.reduce((a, b) => a * b, 1), 0);
  if (buf.length !== 4 * total) throw new CkdError(`${weightsPath}: ${buf.length} bytes, the manifest describes ${4 * total}`);
  if (m.sha256 !== undefined) {
    const got = sha256(buf);
    if (got !== m.sha256) {
      throw new CkdError(`${weightsPath}: the teacher weights changed since they were saved (sha256 ${got.slice(0, 16)}..., ` +
        `the manifest ${path.basename(where)} says ${String(m.sha256).slice(0, 16)}...); refusing to load them: remove the folder ${dir} and train the teacher again (ckd reproduce retrains a missing teacher by itself)`);
    }
  }
  const weights: NamedWeight[] = m.variables.map(v => {
    const n = v.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = buf.readFloatLE(4 * (v.offset + i));
    return { name: v.name, shape: v.shape, values };
  });
  const info: TeacherInfo = { model: m.model, modality: m.modality, backbone: m.backbone, dataset: m.dataset };
  if (m.training) info.training = m.training;
  return Teacher.fromWeights(info, weights, data, where);
}
