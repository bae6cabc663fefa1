/**
 * Training steps of the graph backbones under two settings, in one process, alternating step by
 * step so that both see the same load on a shared machine:
 *   node dist/bench/graph-threads-steps.js [--preset NAME] [--models LIST] [--method plain|ckd]
 *                                          [--pairs N] [--threads N] [--vary threads|kept-branch] [--out FILE]
 * --vary threads (default): the graph kernels on 1 thread against N.
 * --vary kept-branch: CKD without against with reuseKeptBranches (the kept branch of MMGCN and
 * GRCN computed once per step: lib/nn/same-in-every-pass.ts), graph kernels at their default.
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
  const vary = value('--vary', 'threads');
  if (vary !== 'threads' && vary !== 'kept-branch') throw new Error('--vary: threads or kept-branch');
  if (vary === 'kept-branch' && methodName !== 'ckd') throw new Error('--vary kept-branch compares CKD steps: use --method ckd');
  const data = synthesizeDataset(preset, 1);
  const { batches } = epochBatches(data, 1024, 2 * pairs + 1);
  const what = vary === 'threads' ? `graph kernels on 1 thread against ${many}` : 'CKD without against with the kept branch reused';
  console.log(`${methodName} training steps on '${preset}', ${what}, alternating; ${pairs} steps each after a warm-up`);
  const rows = [];
  for (const name of models) {
    const entry = backboneEntry(name);
    const model = entry.factory(data, { seed: 1 });
    let teachers: TeacherPair | undefined;
    const optimizer = adam(entry.lr);
    try {
      if (methodName === 'ckd') teachers = await freezeTeachers(name, data, datasetFingerprint(data));
      const method: TrainingMethod = teachers ? createMethod('ckd', model, data, {}, teachers) : plainMethod;
      const reusing = vary === 'kept-branch' ? createMethod('ckd', model, data, { reuseKeptBranches: true }, teachers) : method;
      const vars = model.variables();
      const ctx = (k: number): StepContext => ({ model, data, mask: 'all', epoch: 1, step: k, rng: new Rng(1).fork(`step:1:${k}`) });
      const seconds: [number[], number[]] = [[], []];
      for (let k = 0; k <= 2 * pairs; k++) {
        const which = k % 2; // step 0 (warm-up, on N threads: starts the workers) is not counted
        if (vary === 'threads') setGraphThreads(which === 0 ? many : 1);
        const t0 = performance.now();
        await trainingStep(optimizer, vars, which === 0 ? reusing : method, batches[k], ctx(k));
        if (k > 0) seconds[which === 1 ? 0 : 1].push((performance.now() - t0) / 1000);
      }
      method.dispose?.();
      if (reusing !== method) reusing.dispose?.();
      const [one, more] = seconds;
      const [x, y] = vary === 'threads' ? ['oneThread', 'manyThreads'] : ['withoutReuse', 'withReuse'];
      const [medA, medB, bestA, bestB] = [median(one), median(more), Math.min(...one), Math.min(...more)];
      rows.push({
        model: name, method: methodName, vary, threads: many, [`${x}MedianS`]: medA, [`${y}MedianS`]: medB,
        [`${x}BestS`]: bestA, [`${y}BestS`]: bestB, [`${x}S`]: one, [`${y}S`]: more,
      });
      console.log(`${name.padEnd(8)} median ${medA.toFixed(3)} s vs ${medB.toFixed(3)} s ${vary === 'threads' ? `on ${many}` : 'reusing'} `
        + `(${(medA / medB).toFixed(2)}x); best ${bestA.toFixed(3)} vs ${bestB.toFixed(3)} s (${(bestA / bestB).toFixed(2)}x)`);
    } finally {
      setGraphThreads(undefined);
      optimizer.dispose();
      disposeTeachers(teachers);
      model.dispose();
    }
  }
  writeBenchRecord(vary === 'threads' ? 'graph-threads-steps' : 'kept-branch-steps', { preset, method: methodName, pairs, threads: many, vary }, rows);
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
