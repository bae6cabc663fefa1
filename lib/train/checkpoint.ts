/**
 * Training checkpoints: everything a run needs to continue after its last finished epoch, so that
 * a run killed at any moment and resumed ends with exactly the metrics of an uninterrupted run
 * with the same seed (tested bit for bit with a SIGKILLed child process in test/train-checkpoint).
 *
 * What is saved (at the end of an epoch, after its validation):
 * - the model's variables, in model.variables() order (raw float32/int32 bytes);
 * - the Adam state: the iteration count and the first/second-moment slots from
 *   AdamOptimizer.getWeights() (tfjs 4.22: [iter, ...m, ...v]), plus accBeta1/accBeta2.
 *   setWeights() recomputes those two as pow(beta, iterations + 1), which is not bit-identical to
 *   the running product applyGradients keeps, so the exact float32 values are saved and put back;
 * - early stopping (best, bestEpoch, sinceBest) and the best-state snapshot;
 * - the history so far, training seconds and elapsed wall seconds (up to the checkpoint);
 * - the method's own state when it has one (CheckpointableMethod below);
 * - the run's identity (options, method name, variable shapes, and the caller's tag such as the
 *   model name and data fingerprint): a checkpoint of another run is refused on resume.
 *
 * Random state: none needs saving. Every stream the trainer uses is derived from the seed by
 * labels only: new Rng(seed).fork('train').fork(`epoch:${e}`), .fork(`method:${e}`) and
 * .fork(`step:${e}:${s}`), and Rng.fork(label) depends on the parent's seed and the label, never
 * on how many numbers the parent has drawn. So resuming at the start of epoch e + 1 only needs e.
 * Models draw their initial values from forks of their seed at construction (then overwritten
 * from the checkpoint); methods build their fixed parts (GB's held-out split and triples) from
 * their own seeds, identically in the resumed process.
 *
 * File format (little-endian): 'CKDCKPT1', uint32 header length, UTF-8 JSON header (everything
 * but the arrays; non-finite numbers as {"$nonfinite": "-Infinity"}; each array's dtype, shape,
 * offset and byte length; SHA-256 of the data section), then the arrays' bytes. Written atomically:
 * a temporary file in the same folder, fsync, rename, fsync of the folder.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { CkdError, DataError } from '../errors';
import { writeFileAtomic } from '../io/atomic-write';
import { EarlyStopping } from './early-stopping';
import type { TrainingMethod } from './method';
import type { EpochRecord } from './history';
import { WeightsSnapshot } from './weights-snapshot';

export const CHECKPOINT_FORMAT = 'ckd-train-checkpoint/1';
const MAGIC = Buffer.from('CKDCKPT1', 'latin1');

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface ArrayData {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

/** Everything a run needs to continue with epoch `epoch + 1`. */
export interface TrainCheckpoint {
  format: string;
  /** The last finished epoch. */
  epoch: number;
  /** What must match on resume: options, method, variable shapes, the caller's tag. */
  identity: Record<string, JsonValue>;
  params: ArrayData[];
  optimizer: {
    iterations: number;
    /** Adam's running beta1^(t+1) and beta2^(t+1) (float32 values); absent for other optimisers. */
    accBeta1?: number;
    accBeta2?: number;
    /** getWeights() minus the iteration count, in order (Adam: every m, then every v). */
    slots: ArrayData[];
  };
  stopper: { best: number; bestEpoch: number; sinceBest: number };
  /** The best-state snapshot (null before the first improvement). */
  best: ArrayData[] | null;
  history: EpochRecord[];
  trainSeconds: number;
  wallSeconds: number;
  /** The method's own state (CheckpointableMethod). */
  methodState?: JsonValue;
  savedAt: string;
}

/**
 * A method with state that changes during training beyond the model's variables (e.g. weights
 * re-estimated every few epochs) implements these so that a resumed run continues exactly.
 * The state must be plain JSON (non-finite numbers are fine).
 */
export interface CheckpointableMethod {
  checkpointState(): JsonValue;
  restoreCheckpointState(state: JsonValue): void;
}

export function isCheckpointable(m: unknown): m is CheckpointableMethod {
  const c = m as Partial<CheckpointableMethod> | null;
  return !!c && typeof c.checkpointState === 'function' && typeof c.restoreCheckpointState === 'function';
}

/** The live training state a checkpoint is taken from and restored into. */
export interface TrainerParts {
  vars: tf.Variable[];
  optimizer: tf.Optimizer;
  stopper: EarlyStopping;
  best: WeightsSnapshot;
  method: TrainingMethod;
}

interface AdamInternals { accBeta1?: tf.Variable; accBeta2?: tf.Variable }

function arrayOf(t: tf.Tensor): ArrayData {
  if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`checkpoint: unsupported tensor dtype ${t.dtype}`);
  const data = t.dataSync() as Float32Array | Int32Array;
  return { dtype: t.dtype, shape: [...t.shape], data: t.dtype === 'float32' ? Float32Array.from(data) : Int32Array.from(data) };
}

function tensorOf(a: ArrayData): tf.Tensor {
  return tf.tensor(a.data, a.shape, a.dtype);
}

/** Takes a checkpoint of the live state after `epoch`. */
export async function captureCheckpoint(parts: TrainerParts, fields: {
  epoch: number; identity: Record<string, JsonValue>; history: EpochRecord[]; trainSeconds: number; wallSeconds: number;
}): Promise<TrainCheckpoint> {
  const weights = await parts.optimizer.getWeights();
  const [iter, ...slots] = weights;
  const iterations = (await iter.tensor.data())[0];
  iter.tensor.dispose();
  const internals = parts.optimizer as unknown as AdamInternals;
  const ckpt: TrainCheckpoint = {
    format: CHECKPOINT_FORMAT,
    epoch: fields.epoch,
    identity: fields.identity,
    params: parts.vars.map(arrayOf),
    optimizer: { iterations, slots: slots.map(s => arrayOf(s.tensor)) },
    stopper: parts.stopper.snapshot(),
    best: parts.best.empty ? null : parts.best.tensors.map(arrayOf),
    history: fields.history.map(h => JSON.parse(JSON.stringify(h)) as EpochRecord),
    trainSeconds: fields.trainSeconds,
    wallSeconds: fields.wallSeconds,
    savedAt: new Date().toISOString(),
  };
  if (internals.accBeta1 && internals.accBeta2) {
    ckpt.optimizer.accBeta1 = internals.accBeta1.dataSync()[0];
    ckpt.optimizer.accBeta2 = internals.accBeta2.dataSync()[0];
  }
  if (isCheckpointable(parts.method)) ckpt.methodState = parts.method.checkpointState();
  return ckpt;
}

/**
 * Puts a checkpoint's state into a freshly built model, optimiser (no step taken yet), early
 * stopper and snapshot. `file` names the checkpoint in error messages.
 */
export async function restoreCheckpoint(file: string, c: TrainCheckpoint, parts: TrainerParts): Promise<void> {
  if (c.params.length !== parts.vars.length) {
    throw new DataError(file, `checkpoint holds ${c.params.length} variables but the model has ${parts.vars.length}`);
  }
  parts.vars.forEach((v, k) => {
    const a = c.params[k];
    if (a.shape.join('x') !== v.shape.join('x') || a.dtype !== v.dtype) {
      throw new DataError(file, `checkpoint variable ${k} is ${a.dtype} ${a.shape.join('x')} but the model's is ${v.dtype} ${v.shape.join('x')}`);
    }
  });
  if (c.methodState !== undefined && !isCheckpointable(parts.method)) {
    throw new DataError(file, `checkpoint holds state of method '${parts.method.name}', which cannot restore it`);
  }
  tf.tidy(() => parts.vars.forEach((v, k) => v.assign(tensorOf(c.params[k]))));
  const named: Parameters<tf.Optimizer['setWeights']>[0] = [{ name: 'iter', tensor: tf.scalar(c.optimizer.iterations, 'int32') }];
  c.optimizer.slots.forEach((s, k) => named.push({ name: `slot_${k}`, tensor: tensorOf(s) }));
  try {
    await parts.optimizer.setWeights(named);
  } finally {
    tf.dispose(named.map(n => n.tensor));
  }
  const internals = parts.optimizer as unknown as AdamInternals;
  if (c.optimizer.accBeta1 !== undefined && c.optimizer.accBeta2 !== undefined) {
    if (!internals.accBeta1 || !internals.accBeta2) {
      throw new DataError(file, 'checkpoint holds Adam state but the optimiser is not tfjs Adam (no accBeta1/accBeta2)');
    }
    const b1 = tf.scalar(c.optimizer.accBeta1);
    const b2 = tf.scalar(c.optimizer.accBeta2);
    internals.accBeta1.assign(b1);
    internals.accBeta2.assign(b2);
    tf.dispose([b1, b2]);
  }
  parts.stopper.restore(c.stopper);
  if (c.best) {
    parts.best.adopt(c.best.map(tensorOf));
  } else {
    parts.best.dispose();
  }
  if (c.methodState !== undefined && isCheckpointable(parts.method)) parts.method.restoreCheckpointState(c.methodState);
}

/**
 * Refuses a checkpoint written by a different run: the first field that differs is named.
 */
export function checkIdentity(file: string, saved: Record<string, JsonValue>, current: Record<string, JsonValue>): void {
  const keys = [...new Set([...Object.keys(current), ...Object.keys(saved)])].sort();
  for (const k of keys) {
    const a = JSON.stringify(saved[k] ?? null);
    const b = JSON.stringify(current[k] ?? null);
    if (a !== b) {
      throw new CkdError(`${file}: the checkpoint is of a different run (${k} ${a} there, ${b} here); `
        + 'resume with the same options, or remove the checkpoint to start over');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Serialisation

const replacer = (_k: string, v: unknown) =>
  typeof v === 'number' && !Number.isFinite(v) ? { $nonfinite: String(v) } : v;

const reviver = (_k: string, v: unknown) => {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === '$nonfinite' && typeof o.$nonfinite === 'string') return Number(o.$nonfinite);
  }
  return v;
};

interface ArrayRef { dtype: 'float32' | 'int32'; shape: number[]; offset: number; bytes: number }

function bytesOf(a: ArrayData): Uint8Array {
  return new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
}

/** The file's bytes: header chunk, then the arrays' bytes (not concatenated, to spare memory). */
function encode(c: TrainCheckpoint): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  const hash = createHash('sha256');
  let offset = 0;
  const ref = (a: ArrayData): ArrayRef => {
    const b = bytesOf(a);
    chunks.push(b);
    hash.update(b);
    const r = { dtype: a.dtype, shape: a.shape, offset, bytes: b.byteLength };
    offset += b.byteLength;
    return r;
  };
  const header = {
    ...c,
    params: c.params.map(ref),
    optimizer: { ...c.optimizer, slots: c.optimizer.slots.map(ref) },
    best: c.best ? c.best.map(ref) : null,
    dataBytes: 0,
    sha256: '',
  };
  header.dataBytes = offset;
  header.sha256 = hash.digest('hex');
  const json = Buffer.from(JSON.stringify(header, replacer), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length, 0);
  return [MAGIC, len, json, ...chunks];
}

/** Writes a checkpoint atomically: temp file in the same folder, fsync, rename, fsync the folder. */
export function writeCheckpoint(file: string, c: TrainCheckpoint): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}`);
  writeFileAtomic(file, fd => {
    for (const chunk of encode(c)) {
      let done = 0;
      while (done < chunk.byteLength) done += fs.writeSync(fd, chunk, done, chunk.byteLength - done);
    }
  }, { what: 'the checkpoint', tmp, syncFolder: true });
}

/** Reads and verifies a checkpoint; every problem is a DataError naming the file. */
export function readCheckpoint(file: string): TrainCheckpoint {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(file, code === 'ENOENT' ? 'missing checkpoint file' : `cannot read the checkpoint (${code ?? String(e)})`);
  }
  if (buf.length < 12 || !buf.subarray(0, 8).equals(MAGIC)) throw new DataError(file, 'not a ckd training checkpoint (bad magic)');
  const headerLen = buf.readUInt32LE(8);
  if (12 + headerLen > buf.length) throw new DataError(file, `corrupt checkpoint: header of ${headerLen} bytes runs past the end of the file`);
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(buf.subarray(12, 12 + headerLen).toString('utf8'), reviver);
  } catch (e) {
    throw new DataError(file, `corrupt checkpoint header: ${(e as Error).message}`);
  }
  if (!h || typeof h !== 'object' || h.format !== CHECKPOINT_FORMAT) {
    throw new DataError(file, `unsupported checkpoint format ${JSON.stringify(h?.format)} (expected ${CHECKPOINT_FORMAT})`);
  }
  const data = buf.subarray(12 + headerLen);
  if (data.length !== h.dataBytes) {
    throw new DataError(file, `corrupt checkpoint: ${data.length} data bytes, the header declares ${String(h.dataBytes)}`);
  }
  if (createHash('sha256').update(data).digest('hex') !== h.sha256) {
    throw new DataError(file, 'corrupt checkpoint: the data does not match its SHA-256');
  }
  const arr = (r: ArrayRef): ArrayData => {
    const ok = r && (r.dtype === 'float32' || r.dtype === 'int32') && Array.isArray(r.shape)
      && Number.isSafeInteger(r.offset) && Number.isSafeInteger(r.bytes) && r.offset >= 0 && r.offset + r.bytes <= data.length
      && r.shape.reduce((n, d) => n * d, 1) * 4 === r.bytes;
    if (!ok) throw new DataError(file, `corrupt checkpoint: bad array entry ${JSON.stringify(r)}`);
    const copy = new Uint8Array(r.bytes);
    copy.set(data.subarray(r.offset, r.offset + r.bytes));
    return { dtype: r.dtype, shape: r.shape, data: r.dtype === 'float32' ? new Float32Array(copy.buffer) : new Int32Array(copy.buffer) };
  };
  try {
    const opt = h.optimizer as { iterations: number; accBeta1?: number; accBeta2?: number; slots: ArrayRef[] };
    const c: TrainCheckpoint = {
      format: CHECKPOINT_FORMAT,
      epoch: h.epoch as number,
      identity: h.identity as Record<string, JsonValue>,
      params: (h.params as ArrayRef[]).map(arr),
      optimizer: { iterations: opt.iterations, slots: opt.slots.map(arr) },
      stopper: h.stopper as TrainCheckpoint['stopper'],
      best: h.best ? (h.best as ArrayRef[]).map(arr) : null,
      history: h.history as EpochRecord[],
      trainSeconds: h.trainSeconds as number,
      wallSeconds: h.wallSeconds as number,
      savedAt: h.savedAt as string,
    };
    if (opt.accBeta1 !== undefined) c.optimizer.accBeta1 = opt.accBeta1;
    if (opt.accBeta2 !== undefined) c.optimizer.accBeta2 = opt.accBeta2;
    if (h.methodState !== undefined) c.methodState = h.methodState as JsonValue;
    if (!Number.isInteger(c.epoch) || c.epoch < 1 || !Array.isArray(c.history) || c.history.length !== c.epoch
      || !Number.isInteger(c.optimizer.iterations) || typeof c.identity !== 'object' || !c.stopper) {
      throw new Error('inconsistent fields');
    }
    return c;
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(file, `corrupt checkpoint: ${(e as Error).message}`);
  }
}

/** The checkpoint at `file`, or undefined when there is none (anything else unreadable is an error). */
export function readCheckpointIfExists(file: string): TrainCheckpoint | undefined {
  if (!fs.existsSync(file)) return undefined;
  return readCheckpoint(file);
}
