import * as assert from 'assert';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset } from '../lib/data/dataset';
import { initEngine } from '../lib/engine/backend';
import { Rng } from '../lib/engine/random';
import { CkdError, DataError } from '../lib/errors';
import { backboneFactory } from '../lib/models/registry';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { TrainCheckpoint, readCheckpoint, writeCheckpoint } from '../lib/train/checkpoint';
import { TrainingMethod, plainMethod } from '../lib/train/method';
import { ProgressSink } from '../lib/train/progress';
import { TrainOptions, TrainResult, trainModel } from '../lib/train/trainer';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'ckd.js');
const ENV = { ...process.env, CKD_BACKEND: 'wasm' };
const base: TrainOptions = { mode: 'multimodal', seed: 9, epochs: 6, lr: 5e-3, batchSize: 48, evalEvery: 2, patience: 10 };

async function run(data: Dataset, opts: Partial<TrainOptions> = {}): Promise<TrainResult> {
  const m = backboneFactory('vbpr')(data, { seed: opts.seed ?? base.seed });
  try {
    return await trainModel(m, data, { ...base, ...opts });
  } finally {
    m.dispose();
  }
}

/** A progress sink that "crashes" the run when epoch `at` starts. */
function crashAt(at: number): ProgressSink {
  return { epochStart(e) { if (e === at) throw new Error(`simulated crash at epoch ${at}`); }, step() {}, epochEnd() {}, done() {} };
}

/** The plain method, except that its BPR term is NaN from epoch `from` on. */
function nanFrom(from: number): TrainingMethod {
  return {
    name: 'nan-test',
    loss(batch, ctx) {
      const r = plainMethod.loss(batch, ctx);
      if (ctx.epoch < from) return r;
      const bpr = tf.mul(r.terms.bpr, NaN) as tf.Scalar;
      return { total: tf.add(bpr, r.terms.reg) as tf.Scalar, terms: { bpr, reg: r.terms.reg } };
    },
  };
}

/** Training results without wall-clock figures (which legitimately differ between runs). */
function comparable(r: TrainResult) {
  return {
    bestEpoch: r.bestEpoch, epochsRun: r.epochsRun, stoppedEarly: r.stoppedEarly, bestValRecall: r.bestValRecall,
    val: r.val, test: r.test, history: r.history.map(h => ({ epoch: h.epoch, loss: h.loss, val: h.val, diagnostics: h.diagnostics })),
  };
}

/** A run cell's record (ckd train --out) without its timings. */
function recordComparable(rec: { result: Record<string, unknown>; meta: { history: TrainResult['history'] } }) {
  const { secondsPerEpoch: _s, wallSeconds: _w, ...result } = rec.result;
  return { result, history: rec.meta.history.map(h => ({ epoch: h.epoch, loss: h.loss, val: h.val, diagnostics: h.diagnostics })) };
}

describe('training checkpoints', () => {
  let data: Dataset;
  let tmp: string;
  before(async () => {
    await initEngine({ quiet: true });
    data = synthesizeDataset('tiny', 3);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-ckpt-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('Rng.fork depends on the seed and label only, so an epoch boundary needs no generator state', () => {
    const a = new Rng(9).fork('train');
    const b = new Rng(9).fork('train');
    for (let k = 0; k < 1000; k++) b.next(); // draws on the parent ...
    const x = a.fork('epoch:5');
    const y = b.fork('epoch:5'); // ... do not move its forks
    for (let k = 0; k < 10; k++) assert.strictEqual(x.next(), y.next());
  });

  it('round-trips a checkpoint file and refuses corrupt or foreign files', () => {
    const file = path.join(tmp, 'rt.ckpt');
    const c: TrainCheckpoint = {
      format: 'ckd-train-checkpoint/1', epoch: 1, identity: { seed: 1, tag: { model: 'x' } },
      params: [{ dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, -2.5, 3e-38, NaN, Infinity, 0.1]) }],
      optimizer: { iterations: 7, accBeta1: 0.43046721, accBeta2: 0.99, slots: [{ dtype: 'int32', shape: [2], data: Int32Array.from([5, -6]) }] },
      stopper: { best: -Infinity, bestEpoch: 0, sinceBest: 0 }, best: null,
      history: [{ epoch: 1, loss: { total: 0.5 }, seconds: 0.1 }], trainSeconds: 0.1, wallSeconds: 0.2, savedAt: 'now',
    };
    writeCheckpoint(file, c);
    const r = readCheckpoint(file);
    assert.deepStrictEqual(Array.from(r.params[0].data), Array.from(c.params[0].data));
    assert.strictEqual(r.stopper.best, -Infinity);
    assert.deepStrictEqual(r.optimizer, { ...c.optimizer, slots: [{ dtype: 'int32', shape: [2], data: Int32Array.from([5, -6]) }] });
    assert.deepStrictEqual(fs.readdirSync(tmp).filter(n => n.includes('tmp')), [], 'no temporary file left');
    const bytes = fs.readFileSync(file);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 3] ^= 0xff;
    fs.writeFileSync(file, flipped);
    assert.throws(() => readCheckpoint(file), (e: unknown) => e instanceof DataError && /SHA-256/.test(e.message) && e.message.includes(file));
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 10));
    assert.throws(() => readCheckpoint(file), /corrupt checkpoint: \d+ data bytes/);
    fs.writeFileSync(file, bytes.subarray(0, 30));
    assert.throws(() => readCheckpoint(file), /runs past the end of the file/);
    fs.writeFileSync(file, '{"not": "a checkpoint"}');
    assert.throws(() => readCheckpoint(file), /not a ckd training checkpoint/);
  });

  it('a run crashed after a checkpoint and resumed equals an uninterrupted run, bit for bit', async () => {
    const full = await run(data);
    const file = path.join(tmp, 'crash.ckpt');
    await assert.rejects(run(data, { checkpointPath: file, checkpointEvery: 2, progress: crashAt(4) }), /simulated crash at epoch 4/);
    assert.strictEqual(readCheckpoint(file).epoch, 2);
    const before = tf.memory().numTensors;
    const resumed = await run(data, { checkpointPath: file, checkpointEvery: 2, resume: true });
    assert.strictEqual(tf.memory().numTensors, before, 'tensors left after a resumed run');
    assert.strictEqual(resumed.resumedFromEpoch, 2);
    assert.deepStrictEqual(comparable(resumed), comparable(full));
    assert.strictEqual(readCheckpoint(file).epoch, 6);
    // Resuming a finished run only re-evaluates its best state.
    const again = await run(data, { checkpointPath: file, checkpointEvery: 2, resume: true });
    assert.deepStrictEqual(comparable(again), comparable(full));
  });

  it('resumes an early-stopped run and keeps the best-state snapshot', async () => {
    const opts: Partial<TrainOptions> = { epochs: 30, evalEvery: 1, patience: 2, lr: 0.05 };
    const full = await run(data, opts);
    assert.ok(full.stoppedEarly && full.bestEpoch > 1, `best epoch ${full.bestEpoch}, stopped ${full.stoppedEarly}`);
    const file = path.join(tmp, 'early.ckpt');
    // Crash one epoch after the best: the checkpoint holds a snapshot and a non-zero sinceBest.
    await assert.rejects(run(data, { ...opts, checkpointPath: file, progress: crashAt(full.bestEpoch + 2) }), /simulated crash/);
    const c = readCheckpoint(file);
    assert.ok(c.best && c.stopper.sinceBest === 1, JSON.stringify(c.stopper));
    const resumed = await run(data, { ...opts, checkpointPath: file, resume: true });
    assert.deepStrictEqual(comparable(resumed), comparable(full));
  });

  it('refuses to resume a checkpoint of another run', async () => {
    const file = path.join(tmp, 'crash.ckpt');
    await assert.rejects(run(data, { seed: 10, checkpointPath: file, resume: true }),
      (e: unknown) => e instanceof CkdError && /different run \(seed 9 there, 10 here\)/.test(e.message) && e.message.includes(file));
    await assert.rejects(run(data, { resume: true }), /--resume needs --checkpoint FILE/);
  });

  it('a NaN loss stops the run at once, naming epoch, step and term, and keeps the last good checkpoint', async () => {
    const file = path.join(tmp, 'nan.ckpt');
    const steps: number[] = []; // steps reported per epoch
    const progress: ProgressSink = { epochStart() { steps.push(0); }, step() { steps[steps.length - 1]++; }, epochEnd() {}, done() {} };
    await assert.rejects(run(data, { checkpointPath: file, method: nanFrom(3), progress }), (e: unknown) => {
      assert.ok(e instanceof CkdError, String(e));
      assert.match(e.message, /^training diverged: loss term 'bpr' is NaN in epoch 3 \(step 1 of \d+\); the last good checkpoint \(epoch 2\) is kept at /);
      assert.ok(e.message.includes(file));
      return true;
    });
    assert.strictEqual(steps.length, 3, 'stopped in epoch 3');
    assert.strictEqual(steps[2], 0, 'stopped at its first step, before finishing it');
    const c = readCheckpoint(file);
    assert.strictEqual(c.epoch, 2);
    assert.ok(c.history.every(h => Number.isFinite(h.loss.total)));
    assert.ok(c.params.every(p => p.data.every(Number.isFinite)), 'the checkpoint holds the last good weights');
  });

  it('a CLI run killed with SIGKILL mid-run and resumed prints exactly the metrics of an uninterrupted run', async function () {
    this.timeout(120000);
    const args = ['train', '--preset', 'tiny', '--model', 'vbpr', '--epochs', '10', '--eval-every', '2', '--batch-size', '64', '--seed', '11', '--quiet'];
    const ckpt = path.join(tmp, 'killed.ckpt');
    const killedOut = path.join(tmp, 'killed.json');
    const child: ChildProcess = spawn(process.execPath, [BIN, ...args, '--checkpoint', ckpt, '--checkpoint-every', '2', '--out', killedOut],
      { env: ENV, stdio: 'ignore' });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(resolve => child.on('exit', (code, signal) => resolve({ code, signal })));
    let done = false;
    exited.then(() => { done = true; });
    while (!done && !fs.existsSync(ckpt)) await new Promise(r => setTimeout(r, 5));
    assert.ok(!done, 'the run ended before its first checkpoint appeared');
    child.kill('SIGKILL');
    const killed = await exited;
    assert.strictEqual(killed.signal, 'SIGKILL');
    assert.ok(!fs.existsSync(killedOut), 'the killed run must not have finished');
    const at = readCheckpoint(ckpt).epoch;
    assert.ok(at >= 2 && at < 10, `checkpoint epoch ${at}`);

    const resumedOut = path.join(tmp, 'resumed.json');
    const resumed = spawnSync(process.execPath, [BIN, ...args, '--checkpoint', ckpt, '--checkpoint-every', '2', '--resume', '--out', resumedOut], { env: ENV, encoding: 'utf8' });
    assert.strictEqual(resumed.status, 0, resumed.stderr);
    const fullOut = path.join(tmp, 'full.json');
    const full = spawnSync(process.execPath, [BIN, ...args, '--out', fullOut], { env: ENV, encoding: 'utf8' });
    assert.strictEqual(full.status, 0, full.stderr);

    const a = JSON.parse(resumed.stdout);
    const b = JSON.parse(full.stdout);
    assert.deepStrictEqual(a.test, b.test, 'printed test metrics');
    assert.strictEqual(a.bestEpoch, b.bestEpoch);
    const ra = JSON.parse(fs.readFileSync(resumedOut, 'utf8'));
    const rb = JSON.parse(fs.readFileSync(fullOut, 'utf8'));
    assert.strictEqual(ra.meta.resumedFromEpoch, at);
    assert.strictEqual(rb.meta.resumedFromEpoch, undefined);
    assert.strictEqual(ra.key, rb.key, 'the same run cell');
    assert.deepStrictEqual(recordComparable(ra), recordComparable(rb), 'history, val and test of the result records');
  });
});
