/**
 * Runs a tune's plan (plan.ts) resumably: plan, run the first unfinished cell that is ready,
 * plan again (the plan grows as rates are selected and the search finishes), until nothing is
 * left; a finished cell is in the store and never runs again.
 *
 * With a shard (--shard K/N, a Slurm array task) only the shard's groups run, and a shard can
 * have nothing ready while other shards still work on what it needs (the teachers of its CKD
 * cells, the rest of the search before selection): it then re-reads the folder's store files
 * every `pollSeconds` until it can go on, saying so on the log, and returns once the plan is
 * complete and its own cells are done.
 */
import { Dataset } from '../data/dataset';
import { shardCells } from '../experiments/reproduce-plan';
import { configKey } from '../experiments/result-store';
import { RunCellOptions, runOrReuseCell } from '../experiments/run-cell';
import { Shard } from '../experiments/results-folder';
import { TunePlan, TunePlannedCell, TuneSetup, planTune, readyToRun } from './plan';

export interface TuneRunOptions extends RunCellOptions {
  shard?: Shard;
  /** Seconds between two reads of the store while a shard waits for others (default 60). */
  pollSeconds?: number;
  /** Called before each cell: its 1-based place among the shard's planned cells, their count, the cell, and the plan it is in. */
  onCell?: (k: number, n: number, cell: TunePlannedCell, plan: TunePlan) => void;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

export async function runTune(data: Dataset, setup: TuneSetup, o: TuneRunOptions): Promise<void> {
  let waitingSince: number | undefined;
  let lastWaitLog = 0;
  for (;;) {
    const plan = planTune(setup, o.store);
    const mine = o.shard ? shardCells(plan.cells, o.shard.index, o.shard.count) : plan.cells;
    const todo = mine.filter(p => !o.store.has(configKey(p.cell)));
    const next = todo.find(p => readyToRun(p.cell, o.store));
    if (next) {
      waitingSince = undefined;
      o.onCell?.(mine.indexOf(next) + 1, mine.length, next, plan);
      await runOrReuseCell(data, next.cell, o);
      continue;
    }
    if (todo.length === 0 && plan.waiting === undefined) return;
    if (!o.shard) {
      // One process plans every cell before those that need it: this cannot happen.
      throw new Error(`tune: nothing is ready to run, yet ${todo.length} cells are left (${plan.waiting ?? 'no phase waiting'})`);
    }
    const now = Date.now();
    waitingSince ??= now;
    if (now - lastWaitLog >= 10 * 60 * 1000 || lastWaitLog < waitingSince) {
      const what = todo.length > 0 ? `teachers that other shards train (${todo.length} of this shard's cells wait)` : plan.waiting;
      o.log?.(`shard ${o.shard.index + 1}/${o.shard.count}: waiting for ${what}; reading the store again every ${o.pollSeconds ?? 60} s`);
      lastWaitLog = now;
    }
    await sleep(1000 * (o.pollSeconds ?? 60));
    o.store.reload();
  }
}
