/**
 * One backbone's measurements in a process of its own, for bench/run.ts:
 *   node dist/bench/backbone-child.js JOB.json
 * JOB names the dataset snapshot, the backbone and the settings; the row goes to JOB's resultFile
 * as JSON. A process per backbone gives each its own peak RSS and a fresh wasm heap (it only grows,
 * and an aborted wasm module takes the rest of its process down with it).
 */
import * as fs from 'fs';
import { initEngine } from '../lib/engine/backend';
import { defaultThreads, evaluateRanking } from '../lib/eval';
import { syntheticRanking } from '../lib/eval/synthetic';
import { datasetFingerprint } from '../lib/experiments/provenance';
import { benchBackbone } from './backbone-bench';
import { readSnapshot } from './dataset-snapshot';
import { workloadShape } from './flops';
import { epochBatches } from './steps';

export interface ChildJob {
  dataFile: string;
  resultFile: string;
  model: string;
  steps: number;
  batchSize: number;
  /** Dense GEMM throughput (GFLOP/s) the lower bounds divide by, measured once by the parent. */
  gflops: number;
  countFlops: boolean;
}

const log = (line: string): void => { process.stderr.write(`bench: ${line}\n`); };

/** Starts the ranking worker threads, so that the first timed validation does not pay for it. */
async function startRankingWorkers(): Promise<void> {
  const p = syntheticRanking({ numUsers: 4096, numItems: 256, dim: 8, perUser: 4, seed: 'bench-warm-up' });
  await evaluateRanking({ ...p, ks: [20] });
}

async function main(): Promise<void> {
  const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as ChildJob;
  await initEngine({ quiet: true });
  const data = readSnapshot(job.dataFile);
  const { batches, stepsPerEpoch } = epochBatches(data, job.batchSize, job.steps + 1);
  await startRankingWorkers();
  const row = await benchBackbone(job.model, {
    data, fingerprint: datasetFingerprint(data), shape: workloadShape(data, job.batchSize), steps: job.steps, batches, stepsPerEpoch,
    gflops: job.gflops, rankingThreads: defaultThreads(), countFlops: job.countFlops, log,
  });
  fs.writeFileSync(job.resultFile, JSON.stringify(row));
}

main().then(
  () => process.exit(0), // the ranking workers and an aborted wasm module would keep the process alive
  (e: unknown) => { console.error(e); process.exit(1); },
);
