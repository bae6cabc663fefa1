/**
 * The pilot grid of `ckd backbones`: each backbone trained plainly in each mode (multimodal,
 * text-only, visual-only), one seed, and evaluated under every inference mask, which shows how
 * far a multimodal model's channels fall below the uni-modal models (paper Figure 1).
 *
 * Its cells are ordinary run cells (run-cell.ts), run through the one cell runner: a finished cell
 * is never trained again, and a uni-modal cell's frozen best state is kept as a teacher, so a
 * later `ckd reproduce` or `ckd train --method ckd` with the same settings can use it.
 */
import { Dataset } from '../data/dataset';
import { TRAIN_MODES, TrainMode } from '../models/backbone';
import { backboneEntry } from '../models/registry';
import { configKey } from './result-store';
import { CellTraining, RunCell, RunCellOptions, RunStore, makeRunCell, trainCell } from './run-cell';

/** The grid's trainer settings; without a learning rate each backbone uses its registry default. */
export type BackbonesTraining = Omit<CellTraining, 'lr'> & { lr?: number };

/** The grid's cells, backbone by backbone, in the order of `modes`. */
export function backbonesGridCells(models: readonly string[], dataset: string, train: BackbonesTraining,
  modes: readonly TrainMode[] = TRAIN_MODES): RunCell[] {
  return models.flatMap(model => modes.map(mode => makeRunCell({
    dataset, model, mode, method: 'plain', train: { ...train, lr: train.lr ?? backboneEntry(model).lr },
  })));
}

/** Runs every cell the store does not hold yet, in order; each record is appended as it finishes. */
export async function runBackbonesGrid(data: Dataset, cells: readonly RunCell[], o: RunCellOptions): Promise<void> {
  for (const cell of cells) {
    if (o.store.has(configKey(cell))) {
      o.log?.(`${cell.model} ${cell.mode}: done earlier, skipped`);
      continue;
    }
    await trainCell(data, cell, o);
  }
}

/** The grid as a markdown table: one row per cell, test Recall@20 under each mask. */
export function backbonesTableMarkdown(store: RunStore, cells: readonly RunCell[]): string {
  const head = '| backbone | trained | test R@20 all | text channel | visual channel | best epoch | s/epoch |\n|---|---|---|---|---|---|---|';
  const rows = cells.map(cell => {
    const rec = store.get(configKey(cell));
    if (!rec) return `| ${cell.model} | ${cell.mode} | (not run) | | | | |`;
    const t = rec.result.test;
    return `| ${cell.model} | ${cell.mode} | ${t.all.recall20.toFixed(4)} | ${t.text.recall20.toFixed(4)} | ${t.visual.recall20.toFixed(4)} | ` +
      `${rec.result.bestEpoch} | ${rec.result.secondsPerEpoch.toFixed(2)} |`;
  });
  return `${head}\n${rows.join('\n')}\n`;
}
