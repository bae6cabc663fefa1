/**
 * `npm run bench` (node dist/bench/run.js): for each backbone on a synthetic preset (default
 * baby-scale: Amazon Baby's sizes, 4,096-d visual and 1,024-d text features), seconds per training
 * epoch for plain training and for CKD (teachers precomputed), seconds per validation pass (each
 * mask and all three), peak RSS; the backend's dense GEMM throughput, and each time as a ratio to
 * its compute lower bound (estimated FLOPs / that throughput); the issue's targets, pass or miss.
 * A table on stdout (or, with --json, only the JSON record) and the record in results/bench/.
 * Progress goes to stderr. Options: bench/run-options.ts (--help).
 *
 * The data set is generated once here and handed to one child process per backbone
 * (bench/backbone-child.ts) as a binary snapshot. Exit status 3 when a backbone could not be
 * measured in full (its row says why); the record is written all the same.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initEngine } from '../lib/engine/backend';
import { defaultGemmThreads } from '../lib/engine/fixed-gemm';
import { DEFAULT_MINIMUM_WORK, defaultGraphThreads } from '../lib/engine/graph-threads';
import { CkdError } from '../lib/errors';
import { defaultThreads } from '../lib/eval';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { BackboneRow, peakRssMiB } from './backbone-bench';
import { runChild } from './child-runner';
import { writeSnapshot } from './dataset-snapshot';
import { WorkloadShape, workloadShape } from './flops';
import { bestGemm, measureGemm, workloadGemmShapes } from './gemm';
import { benchRecord, writeRecordFile } from './record';
import { USAGE, UsageError, parseRunOptions } from './run-options';
import { epochBatches } from './steps';
import { renderReport } from './table';
import { evaluateTargets } from './targets';

/** The trainer's default batch size (TRAIN_DEFAULTS.batchSize), used for every backbone. */
const BATCH = 1024;

const log = (line: string): void => { process.stderr.write(`bench: ${line}\n`); };
const since = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

/** Generates the preset, writes its snapshot for the children, and keeps only its sizes. */
function prepareData(preset: string, snapshot: string): { shape: WorkloadShape; stepsPerEpoch: number; dataSeconds: number } {
  const t0 = process.hrtime.bigint();
  const data = synthesizeDataset(preset, 1);
  const dataSeconds = since(t0);
  log(`${preset}: ${data.numUsers} users, ${data.numItems} items, ${data.train.items.length} train interactions, `
    + `features ${data.features.visual.cols}/${data.features.text.cols}-d (generated in ${dataSeconds.toFixed(1)} s)`);
  writeSnapshot(data, snapshot);
  return { shape: workloadShape(data, BATCH), stepsPerEpoch: epochBatches(data, BATCH, 1).stepsPerEpoch, dataSeconds };
}

async function main(): Promise<number> {
  const opts = parseRunOptions(process.argv.slice(2));
  const backend = await initEngine();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-bench-'));
  try {
    const snapshot = path.join(workDir, 'data.bin');
    const { shape, stepsPerEpoch, dataSeconds } = prepareData(opts.preset, snapshot);

    const gemmReps = opts.quick ? 1 : 3;
    log(`measuring dense GEMM throughput on '${backend}'`);
    const gemm = await measureGemm(workloadGemmShapes(shape, opts.quick ? 256 : 2048), gemmReps);
    const best = bestGemm(gemm);
    // A GPU's measured rate is already the whole device's.
    const cores = backend === 'webgpu' ? 1 : os.availableParallelism();
    const peakGflops = best.gflops * cores;
    log(`dense GEMM: best one-thread ${best.gflops.toFixed(1)} GFLOP/s (${best.label}, ${best.engine}); bounds use ${cores} x that`);

    const rows: BackboneRow[] = [];
    for (const model of opts.models) {
      const t0 = process.hrtime.bigint();
      const row = await runChild({
        dataFile: snapshot, resultFile: path.join(workDir, `${model}.row.json`), model, steps: opts.steps, batchSize: BATCH,
        gflops: peakGflops, countFlops: true,
      }, workDir, stepsPerEpoch);
      rows.push(row);
      const rss = row.peakRssMiB === null ? 'unknown' : `${row.peakRssMiB.toFixed(0)} MiB`;
      log(`${model}: done in ${since(t0).toFixed(1)} s, peak RSS ${rss}${row.errors ? `; errors in: ${Object.keys(row.errors).join(', ')}` : ''}`);
    }

    const targets = evaluateTargets(rows);
    const known = rows.map(r => r.peakRssMiB).filter((x): x is number => x !== null);
    const overallPeak = Math.max(peakRssMiB(), ...known);
    const setting = {
      preset: opts.preset, models: opts.models, steps: opts.steps, quick: opts.quick, batchSize: BATCH, backend,
      users: shape.users, items: shape.items, trainInteractions: shape.trainInteractions,
      featureDims: shape.featureDims, universalCount: shape.universalCount, stepsPerEpoch, rankingThreads: defaultThreads(),
      graphThreads: defaultGraphThreads(), graphMinimumWork: DEFAULT_MINIMUM_WORK, gemmThreads: defaultGemmThreads(),
    };
    const record = benchRecord('bench', setting, rows, {
      gemm: { reps: gemmReps, results: gemm, bestGflops: best.gflops, best: `${best.label}, ${best.engine}`, cores, peakGflops },
      targets, targetsAtScale: opts.preset === 'baby-scale', peakRssMiB: overallPeak, dataSeconds,
    });
    const out = opts.outGiven || backend === 'wasm' ? opts.out : opts.out.replace(/\.json$/, `-${backend}.json`);
    writeRecordFile(out, record);
    log(`wrote ${out}`);
    if (opts.json) {
      process.stdout.write(JSON.stringify(record, null, 1) + '\n');
    } else {
      process.stdout.write(renderReport({
        preset: opts.preset, backend, batchSize: BATCH, steps: opts.steps, stepsPerEpoch, rankingThreads: defaultThreads(),
        graphThreads: setting.graphThreads, gemmThreads: setting.gemmThreads, rows, gemm, gemmBest: best, gemmReps, cores,
        targets, peakRssMiB: overallPeak, dataSeconds,
      }) + '\n');
    }
    return rows.some(r => r.errors) ? 3 : 0;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().then(
  (status) => process.exit(status),
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message ? `bench: ${e.message}\n` : ''}${USAGE}\n`);
      process.exit(e.message ? 2 : 0);
    }
    // Our own errors (a backend that cannot start, bad input) are one line; anything else keeps its stack.
    if (e instanceof CkdError) process.stderr.write(`bench: ${e.message}\n`);
    else console.error(e);
    process.exit(1);
  },
);
