/**
 * How long the cells still to run will take, estimated from the wall times already recorded in
 * the same results folder: each cell to run counts the mean wall time of the finished cells most
 * like it: the same backbone, training mode, method and CKD variant where some are recorded, else
 * the same method (any variant), else the same backbone and mode (e.g. GB before any GB cell
 * finished counts plain's time). An estimate for planning a long grid
 * (which machine, how many workers, how many sessions), not a promise: the times were measured on
 * whatever machine and load recorded them.
 */
import { configKey } from './result-store';
import { RunCell, RunStore, ckdVariant } from './run-cell';

export interface PlanEstimate {
  /** Cells of the plan not in the store yet. */
  toRun: number;
  /** Sum of the estimates of the cells that have a like cell recorded, in seconds of one worker. */
  seconds: number;
  /** Cells to run with no like cell recorded (not in `seconds`). */
  unknown: number;
}

/** The keys a cell is matched on, most like first. */
function kindsOf(c: RunCell): string[] {
  const mode = `${c.model}|${c.mode}`;
  return [`${mode}|${c.method}|${ckdVariant(c) ?? ''}`, `${mode}|${c.method}`, mode];
}

export function estimatePlan(cells: readonly RunCell[], store: RunStore): PlanEstimate {
  const times = new Map<string, { sum: number; n: number }>();
  for (const r of store.records()) {
    if (!(r.result.wallSeconds > 0)) continue;
    for (const k of kindsOf(r.config)) {
      const t = times.get(k) ?? { sum: 0, n: 0 };
      times.set(k, { sum: t.sum + r.result.wallSeconds, n: t.n + 1 });
    }
  }
  const est: PlanEstimate = { toRun: 0, seconds: 0, unknown: 0 };
  for (const c of cells) {
    if (store.has(configKey(c))) continue;
    est.toRun++;
    const like = kindsOf(c).map(k => times.get(k)).find(t => t !== undefined);
    if (like) est.seconds += like.sum / like.n;
    else est.unknown++;
  }
  return est;
}

/**
 * One line, e.g. '12 cells to run, about 3.5 cell-hours by the wall times of like cells recorded
 * here (one worker each); 2 more with no like cell recorded, not counted'.
 */
export function estimateText(e: PlanEstimate): string {
  if (e.toRun === 0) return 'nothing to run';
  const cells = `${e.toRun} cell${e.toRun === 1 ? '' : 's'} to run`;
  if (e.unknown === e.toRun) return `${cells} (no like cell recorded here to estimate their time from)`;
  const more = e.unknown > 0 ? `; ${e.unknown} more with no like cell recorded, not counted` : '';
  return `${cells}, about ${(e.seconds / 3600).toFixed(1)} cell-hours by the wall times of like cells recorded here (one worker each)${more}`;
}
