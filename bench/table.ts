/** The screen report of bench/run.ts: one table row per backbone, the GEMM throughput, the targets. */
import { DEFAULT_MINIMUM_WORK } from '../lib/engine/graph-threads';
import { MASKS } from '../lib/models/backbone';
import type { BackboneRow } from './backbone-bench';
import type { GemmResult } from './gemm';
import { AUTHORS, TargetResult, fastestCkd } from './targets';

export interface ReportInput {
  preset: string;
  backend: string;
  batchSize: number;
  steps: number;
  stepsPerEpoch: number;
  rankingThreads: number;
  /** Threads of the large graph-kernel calls and of the fixed-feature products. */
  graphThreads: number;
  gemmThreads: number;
  /** Cores the lower bounds count (the machine's). */
  cores: number;
  rows: BackboneRow[];
  gemm: GemmResult[];
  gemmBest: GemmResult;
  gemmReps: number;
  targets: TargetResult[];
  peakRssMiB: number;
  dataSeconds: number;
}

function grid(header: string[], body: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...body.map(r => r[c].length)));
  const line = (cells: string[]) => cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join(' | ');
  return [line(header), widths.map(w => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}

const f = (x: number | null | undefined, digits = 1): string => (x === undefined || x === null ? '-' : Number.isFinite(x) ? x.toFixed(digits) : String(x));
/** Seconds with about three significant digits (0.0123, 1.23, 12.3, 123); '-' when not measured. */
const sec = (x: number | undefined): string => (x === undefined ? '-' : f(x, x >= 100 ? 0 : x >= 10 ? 1 : x >= 1 ? 2 : 3));
const times = (x: number | undefined, digits = 1): string => (x === undefined ? '-' : f(x, digits) + 'x');

function targetLine(t: TargetResult, atScale: boolean): string {
  const cmp = t.comparison === 'le' ? '<=' : '<';
  const unit = t.unit === 's' ? ' s' : 'x';
  const head = `${t.description} ${cmp} ${f(t.limit, 1)}${unit} (${t.source})`;
  if (t.measured === null) return `  [${t.pass === null ? 'n/a ' : 'MISS'}] ${head}: not measured${t.failing.length ? ` (${t.failing.join(', ')} failed)` : ''}`;
  const who = t.worst ? ` (${t.worst})` : '';
  const failing = t.failing.length > 1 || (t.failing.length === 1 && t.failing[0] !== t.worst) ? `; misses: ${t.failing.join(', ')}` : '';
  const verdict = t.pass ? 'PASS' : 'MISS';
  const scale = atScale ? '' : ' [not at the targets\' scale]';
  return `  [${verdict}] ${head}: ${f(t.measured, 2)}${unit}${who}, margin ${t.margin! >= 0 ? '+' : ''}${f(t.margin!, 2)}${unit} (${t.marginPct! >= 0 ? '+' : ''}${f(t.marginPct!, 0)} %)${failing}${scale}`;
}

export function renderReport(r: ReportInput): string {
  // CKD's two forms: the default, and with reuseKeptBranches (MMGCN and GRCN); the ratios take the faster.
  const header = [
    'backbone', 'plain s/epoch', 'CKD s/epoch', 'CKD kept s/epoch', 'CKD/plain', 'lb plain s', 'lb CKD s', 'lb CKD kept s', 'plain/lb', 'CKD/lb',
    'val s (3 masks)', `val s ${MASKS.join('/')}`, 'val/lb', 'peak RSS MiB',
  ];
  const body = r.rows.map(x => [
    x.model, sec(x.plain?.epochSeconds), sec(x.ckd?.epochSeconds), sec(x.ckdKept?.epochSeconds), times(x.ckdOverPlain, 2),
    sec(x.plain?.lowerBoundEpochSeconds), sec(x.ckd?.lowerBoundEpochSeconds), sec(x.ckdKept?.lowerBoundEpochSeconds),
    times(x.plain?.overLowerBound), times(fastestCkd(x)?.overLowerBound),
    sec(x.validation?.threeMaskSeconds), x.validation ? MASKS.map(m => sec(x.validation!.perMaskSeconds[m])).join('/') : '-',
    times(x.validation?.overLowerBound), f(x.peakRssMiB, 0),
  ]);
  const lines = [
    `ckd bench: preset ${r.preset}, backend ${r.backend}, batch ${r.batchSize}, ${r.stepsPerEpoch} steps per epoch `
      + `(${r.steps} timed after 1 warm-up; their median, scaled); data generated in ${f(r.dataSeconds)} s`,
    '',
    grid(header, body),
    '',
    'CKD kept = CKD with reuseKeptBranches (the kept modality\'s branch once per step; MMGCN and GRCN only; gradients equal to rounding, off by default). '
      + 'CKD/plain and CKD/lb take the faster CKD form, against its own bound.',
    r.backend === 'webgpu'
      ? `lb = compute lower bound: estimated FLOPs (bench/flops.ts) / the GPU's best dense GEMM rate below (validation ranks its scores on ${r.rankingThreads} CPU threads).`
      : `lb = compute lower bound: estimated FLOPs (bench/flops.ts) / the machine's dense peak, the best one-thread GEMM rate below x ${r.cores} cores `
        + `(training runs its feature products and large graph kernels on ${r.cores} threads and a validation its scores on ${r.rankingThreads}; the rest runs on one).`,
    `Peak RSS: high-water mark of the process that measured the backbone (one process each; overall ${f(r.peakRssMiB, 0)} MiB).`,
    `dense GEMM, float32 on '${r.backend}', best of ${r.gemmReps}:`,
    ...r.gemm.map(g => `  ${g.label.padEnd(34)} ${`${g.m}x${g.k}x${g.n}`.padStart(16)}  ${g.engine.padEnd(27)} ${f(g.gflops, 1).padStart(7)} GFLOP/s  (${f(g.seconds * 1000, 1)} ms)`),
    `  bounds use ${r.cores} x ${f(r.gemmBest.gflops, 1)} GFLOP/s (${r.gemmBest.label}, ${r.gemmBest.engine})`,
  ];
  const checked = r.rows.filter(x => x.plain?.denseEstimateOverCounted !== undefined || x.ckd?.denseEstimateOverCounted !== undefined);
  if (checked.length) {
    lines.push('dense FLOP estimate / matMul FLOPs counted in one real step (tf.profile), plain/CKD[/CKD kept]:');
    const kept = (x: BackboneRow) => (x.ckdKept ? `/${f(x.ckdKept.denseEstimateOverCounted, 2)}` : '');
    lines.push('  ' + checked.map(x => `${x.model} ${f(x.plain?.denseEstimateOverCounted, 2)}/${f(x.ckd?.denseEstimateOverCounted, 2)}${kept(x)}`).join(', '));
  }
  for (const x of r.rows) {
    for (const [name, m] of [['plain', x.plain], ['CKD', x.ckd], ['CKD kept', x.ckdKept]] as const) {
      if (m?.countError) lines.push(`  (${x.model} ${name}: the counted step failed: ${m.countError})`);
    }
  }
  const heaps = r.rows.filter(x => x.wasmHeapMiB !== undefined);
  if (heaps.length) lines.push(`wasm heap reached (limit 4096 MiB): ${heaps.map(x => `${x.model} ${f(x.wasmHeapMiB, 0)} MiB`).join(', ')}`);
  const failed = r.rows.filter(x => x.errors);
  if (failed.length) {
    lines.push('not measured:');
    for (const x of failed) for (const [p, e] of Object.entries(x.errors!)) lines.push(`  ${x.model} ${p}: ${e}`);
  }
  const atScale = r.preset === 'baby-scale';
  lines.push(`targets${atScale ? '' : ` (set for baby-scale; this run is ${r.preset})`}:`);
  lines.push(...r.targets.map(t => targetLine(t, atScale)));
  const val = r.rows.map(x => `${x.model} ${sec(x.validation?.threeMaskSeconds)} s`).join(', ');
  lines.push(`  [info] graph kernels (sparse-dense products, edge-weighted products, SDDMM, segment softmax) on ${r.graphThreads} thread(s) `
    + `for calls of at least 2^${Math.log2(DEFAULT_MINIMUM_WORK)} multiply-adds (smaller ones on one); fixed-feature products on ${r.gemmThreads}; the ranking on ${r.rankingThreads}`);
  lines.push(`  [info] validation of the three masks, against the authors' ${AUTHORS.validationThreeViews} s: ${val}`);
  return lines.join('\n');
}
