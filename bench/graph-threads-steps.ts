/**
 * Training steps of the graph backbones with the graph kernels on 1 thread and on N, in one
 * process, alternating step by step so that both settings see the same load on a shared machine:
 *   node dist/bench/graph-threads-steps.js [--preset NAME] [--models LIST] [--method plain|ckd]
 *                                          [--pairs N] [--threads N] [--out FILE]
 * Defaults: baby-scale, mmgcn,grcn,egogcn,mgcn, ckd (teachers frozen from fresh VBPRs, as the
 * backbone bench does), 6 pairs of steps, N = the graph kernels' default (at least 2). Steps are
 * taken as the trainer takes them (bench/steps.ts), one Adam over all of them; each line gives
 * the median and the best step time of each setting and their ratios.
 */
import { initEngine } from '../lib/engine/backend';
import { defaultGraphThreads, setGraphThreads } from '../lib/engine/graph-threads';
import { Rng } from '../lib/engine/random';
import { datasetFingerprint } from '../lib/experiments/provenance';
import { createMethod } from '../lib/methods/registry';
import { TeacherPair, disposeTeachers } from '../lib/methods/teacher';
import { backboneEntry } from '../lib/models/registry';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { adam } from '../lib/train/adam';
import { plainMethod, StepContext, TrainingMethod } from '../lib/train/method';
import { freezeTeachers } from './backbone-bench';
import { writeBenchRecord } from './record';
import { epochBatches, trainingStep } from './steps';

function value(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : process.argv[at + 1] ?? fallback;
}

function count(name: string, fallback: number): number {
  const v = Number(value(name, String(fallback)));
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive integer`);
  return v;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main(): Promise<void> {
  await initEngine({ backend: 'wasm' });
  const preset = value('--preset', 'baby-scale');
  const models = value('--models', 'mmgcn,grcn,egogcn,mgcn').split(',');
  const methodName = value('--method', 'ckd');
  const pairs = count('--pairs', 6);
  const many = count('--threads', Math.max(2, defaultGraphThreads()));
  const data = synthesizeDataset(preset, 1);
  const { batches } = epochBatches(data, 1024, 2 * pairs + 1);
  console.log(`${methodName} training steps on '${preset}', graph kernels on 1 thread against ${many}, alternating; ${pairs} steps each after a warm-up`);
  const rows = [];
  for (const name of models) {
    const entry = backboneEntry(name);
    const model = entry.factory(data, { seed: 1 });
    let teachers: TeacherPair | undefined;
    const optimizer = adam(entry.lr);
    try {
      if (methodName === 'ckd') teachers = await freezeTeachers(name, data, datasetFingerprint(data));
      const method: TrainingMethod = teachers ? createMethod('ckd', model, data, {}, teachers) : plainMethod;
      const vars = model.variables();
      const ctx = (k: number): StepContext => ({ model, data, mask: 'all', epoch: 1, step: k, rng: new Rng(1).fork(`step:1:${k}`) });
      const seconds: [number[], number[]] = [[], []];
      for (let k = 0; k <= 2 * pairs; k++) {
        const which = k % 2; // step 0 (warm-up, on N threads: starts the workers) is not counted
        setGraphThreads(which === 0 ? many : 1);
        const t0 = performance.now();
        await trainingStep(optimizer, vars, method, batches[k], ctx(k));
        if (k > 0) seconds[which === 1 ? 0 : 1].push((performance.now() - t0) / 1000);
      }
      method.dispose?.();
      const [one, more] = seconds;
      const row = {
        model: name, method: methodName, threads: many, oneThreadMedianS: median(one), manyThreadsMedianS: median(more),
        oneThreadBestS: Math.min(...one), manyThreadsBestS: Math.min(...more), oneThreadS: one, manyThreadsS: more,
      };
      rows.push(row);
      console.log(`${name.padEnd(8)} median ${row.oneThreadMedianS.toFixed(3)} s vs ${row.manyThreadsMedianS.toFixed(3)} s on ${many} `
        + `(${(row.oneThreadMedianS / row.manyThreadsMedianS).toFixed(2)}x); best ${row.oneThreadBestS.toFixed(3)} vs ${row.manyThreadsBestS.toFixed(3)} s `
        + `(${(row.oneThreadBestS / row.manyThreadsBestS).toFixed(2)}x)`);
    } finally {
      setGraphThreads(undefined);
      optimizer.dispose();
      disposeTeachers(teachers);
      model.dispose();
    }
  }
  writeBenchRecord('graph-threads-steps', { preset, method: methodName, pairs, threads: many }, rows);
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
