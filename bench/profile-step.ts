/**
 * Where one training step's time goes, on the active backend (CKD_BACKEND picks it):
 *   node dist/bench/profile-step.js [--preset NAME] [--model NAME] [--method plain|ckd] [--steps N] [--out FILE]
 * Times N steps as the trainer takes them (bench/steps.ts), then runs one more under tf.profile and
 * lists its kernels by name: how many ran and, where the backend times kernels, their milliseconds.
 * It also times a chain of tiny kernels, the backend's cost per kernel launch, so that
 * launches x that cost can be set against the step. A table on stdout; JSON with --out.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../lib/engine/backend';
import { datasetFingerprint } from '../lib/experiments/provenance';
import { createMethod } from '../lib/methods/registry';
import { TeacherPair, disposeTeachers } from '../lib/methods/teacher';
import { backboneEntry } from '../lib/models/registry';
import { PRESET_NAMES } from '../lib/synth/presets';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { TrainingMethod, plainMethod } from '../lib/train/method';
import { CkdError } from '../lib/errors';
import { freezeTeachers } from './backbone-bench';
import { benchRecord, writeRecordFile } from './record';
import { epochBatches, timeSteps } from './steps';

const USAGE = `usage: node dist/bench/profile-step.js [options]
  --preset NAME   synthetic data set (${PRESET_NAMES.join(', ')}; default baby-scale)
  --model NAME    backbone (default egogcn)
  --method NAME   plain or ckd (default ckd; teachers are frozen from a fresh backbone)
  --steps N       timed steps before the profiled one (default 3)
  --out FILE      also write the result as JSON`;

interface Options { preset: string; model: string; method: 'plain' | 'ckd'; steps: number; out?: string }

function parse(argv: string[]): Options {
  const o: Options = { preset: 'baby-scale', model: 'egogcn', method: 'ckd', steps: 3 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--help') { process.stdout.write(USAGE + '\n'); process.exit(0); }
    if (value === undefined) throw new CkdError(`${flag} needs a value\n${USAGE}`);
    i++;
    if (flag === '--preset') {
      if (!(PRESET_NAMES as readonly string[]).includes(value)) throw new CkdError(`unknown preset '${value}'`);
      o.preset = value;
    } else if (flag === '--model') o.model = value.toLowerCase();
    else if (flag === '--method') {
      if (value !== 'plain' && value !== 'ckd') throw new CkdError(`--method must be plain or ckd (got ${value})`);
      o.method = value;
    } else if (flag === '--steps') {
      o.steps = Number(value);
      if (!Number.isInteger(o.steps) || o.steps < 1) throw new CkdError(`--steps must be a positive integer (got ${value})`);
    } else if (flag === '--out') o.out = value;
    else throw new CkdError(`unknown option '${flag}'\n${USAGE}`);
  }
  return o;
}

/** Seconds per kernel launch: a chain of `n` additions on a 64-element tensor, finished by one read. */
async function launchCost(n = 2000): Promise<number> {
  const run = async (): Promise<number> => {
    const t0 = process.hrtime.bigint();
    const out = tf.tidy(() => {
      let x = tf.zeros([64]);
      for (let i = 0; i < n; i++) x = tf.add(x, 1);
      return x;
    });
    await out.data();
    out.dispose();
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  await run();
  return Math.min(await run(), await run()) / n;
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const backend = await initEngine();
  const entry = backboneEntry(o.model);
  const data = synthesizeDataset(o.preset, 1);
  const { batches } = epochBatches(data, 1024, o.steps + 2);
  const model = entry.factory(data, { seed: 1 });
  let teachers: TeacherPair | undefined;
  try {
    if (o.method === 'ckd') teachers = await freezeTeachers(o.model, data, datasetFingerprint(data));
    const method: TrainingMethod = teachers ? createMethod('ckd', model, data, {}, teachers) : plainMethod;
    const timing = await timeSteps(model, data, method, batches, o.steps, { lr: entry.lr });
    const info = await tf.profile(async () => { await timeSteps(model, data, method, batches, 1, { lr: entry.lr }); return []; });
    const byName = new Map<string, { count: number; ms: number | null }>();
    for (const k of info.kernels) {
      const e = byName.get(k.name) ?? { count: 0, ms: 0 };
      const ms = await k.kernelTimeMs;
      e.count++;
      e.ms = typeof ms === 'number' && e.ms !== null ? e.ms + ms : null;
      byName.set(k.name, e);
    }
    const kernels = [...byName].map(([name, e]) => ({ name, ...e })).sort((a, b) => b.count - a.count);
    method.dispose?.();
    // The profiled call ran two steps (timeSteps' warm-up and its timed step).
    const perStep = kernels.map(k => ({ ...k, count: k.count / 2, ms: k.ms === null ? null : k.ms / 2 }));
    const launches = perStep.reduce((s, k) => s + k.count, 0);
    const launchSeconds = await launchCost();
    const result = {
      backend, preset: o.preset, model: o.model, method: o.method, secondsPerStep: timing.secondsPerStep,
      kernelLaunchesPerStep: launches, secondsPerLaunch: launchSeconds, launchShareOfStep: (launches * launchSeconds) / timing.secondsPerStep,
      kernels: perStep,
    };
    const lines = [
      `${o.model} ${o.method} on '${backend}' (${o.preset}): ${timing.secondsPerStep.toFixed(3)} s per step, ${launches} kernel launches per step`,
      `a launch costs ${(launchSeconds * 1e6).toFixed(1)} us on its own: ${(launches * launchSeconds).toFixed(3)} s per step, `
        + `${(100 * result.launchShareOfStep).toFixed(0)}% of the step`,
      '',
      'kernel                          launches/step   ms/step',
      ...perStep.slice(0, 25).map(k => `${k.name.padEnd(32)}${k.count.toFixed(0).padStart(13)}   ${k.ms === null ? '-' : k.ms.toFixed(1).padStart(7)}`),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    if (o.out) {
      // With the machine's load and the commit: a profile is read as shares of one step, on a machine that may be shared.
      const { node, cpus, cpuModel, loadAverage, gitCommit, at } = benchRecord('profile-step', {}, []);
      writeRecordFile(o.out, { ...result, node, cpus, cpuModel, loadAverage, gitCommit, at });
    }
  } finally {
    disposeTeachers(teachers);
    model.dispose();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    if (e instanceof CkdError) process.stderr.write(`profile-step: ${e.message}\n`);
    else console.error(e);
    process.exit(e instanceof CkdError ? 2 : 1);
  },
);
