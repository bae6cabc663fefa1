/**
 * The learning rate of a backbone in one training mode, chosen on validation Recall@20 from the
 * paper's grid {1e-4, 5e-4, 1e-3, 5e-3}.
 *
 * The grid is walked from the largest rate down, on the first seed's plain cell of that mode:
 * the walk stops at the first rate that validates below the best so far, or whose run did not
 * converge (a smaller rate would only be slower), and selects the best rate seen. Trying the
 * large rates first costs least, since they converge in the fewest epochs, and a rate that
 * loses to a larger one is taken as the sign that smaller ones lose too (validation quality is
 * assumed to rise and then fall as the rate shrinks). Every cell of the walk is an ordinary cell
 * of the grid: the selected rate's cell is the grid's first-seed cell of that mode.
 */
import { maskOfMode } from '../models/backbone';
import { hasConverged } from './convergence';
import { configKey } from './result-store';
import { RunCell, RunStore } from './run-cell';

export interface LrWalk {
  /** The walk's cells in order: those finished, then the next one to run (when the walk goes on). */
  cells: RunCell[];
  /** The selected rate, once the walk has ended. */
  selected?: number;
}

/** Where the walk over `grid` (largest first) stands for `base` (a plain cell; its lr is replaced). */
export function walkLearningRates(base: RunCell, grid: readonly number[], store: RunStore): LrWalk {
  const rates = [...grid].sort((a, b) => b - a);
  const mask = maskOfMode(base.mode);
  const cells: RunCell[] = [];
  let best = -Infinity;
  let selected: number | undefined;
  for (const lr of rates) {
    const cell: RunCell = { ...base, train: { ...base.train, lr } };
    cells.push(cell);
    const rec = store.get(configKey(cell));
    if (!rec) return { cells };
    const value = rec.result.val[mask].recall20;
    const worse = value < best;
    if (!worse) { best = value; selected = lr; }
    if (worse || !hasConverged(rec.result, cell.train)) break;
  }
  return { cells, selected };
}

/** A finished walk's rates with their validation Recall@20, for reports. */
export function walkSummary(walk: LrWalk, store: RunStore): { lr: number; val: number; converged: boolean }[] {
  return walk.cells.flatMap(cell => {
    const rec = store.get(configKey(cell));
    return rec ? [{ lr: cell.train.lr, val: rec.result.val[maskOfMode(cell.mode)].recall20, converged: hasConverged(rec.result, cell.train) }] : [];
  });
}
