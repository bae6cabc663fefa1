/**
 * The backbones x training modes grid of `ckd backbones`, in its own store of 'modes' cells.
 *
 * Not yet on the shared cell runner (run-cell.ts): its records (and the committed
 * results/backbones/default/store.jsonl) are keyed by ModesCellConfig, and a RunCell of the same
 * training has another key and keeps more (validation NDCG and precision, per-user hits), which
 * these records lack; moving it means training those cells again.
 */
import { Dataset } from '../data/dataset';
import { MASKS, TRAIN_MODES, TrainMode } from '../models/backbone';
import { backboneEntry } from '../models/registry';
import { ProgressSink } from '../train/progress';
import { TrainOptions, trainModel } from '../train/trainer';
import { Provenance } from './provenance';
import { ResultStore, configKey } from './result-store';

/** One cell of the backbones x training modes grid. */
export interface ModesCellConfig {
  kind: 'modes';
  model: string;
  mode: TrainMode;
  dataset: string;
  train: Omit<TrainOptions, 'mode' | 'progress' | 'method'>;
}

/** What is kept of a finished cell: test and validation Recall@20 under every mask, and cost. */
export interface ModesCellResult {
  test: Record<string, { recall20: number; ndcg20: number; precision20: number }>;
  valRecall20: Record<string, number>;
  bestEpoch: number;
  epochsRun: number;
  secondsPerEpoch: number;
  wallSeconds: number;
}

export interface ModesGridOptions {
  models: string[];
  modes?: readonly TrainMode[];
  /** Data set fingerprint: part of every cell's key, so another data set never reuses a result. */
  dataset: string;
  train: Omit<TrainOptions, 'mode' | 'progress' | 'method' | 'lr'> & { lr?: number };
  store: ResultStore<ModesCellConfig, ModesCellResult>;
  provenance: Provenance;
  progress?: (label: string) => ProgressSink | undefined;
  log?: (line: string) => void;
}

export function modesCellConfig(model: string, mode: TrainMode, dataset: string, train: ModesGridOptions['train']): ModesCellConfig {
  return { kind: 'modes', model, mode, dataset, train: { ...train, lr: train.lr ?? backboneEntry(model).lr } };
}

/**
 * Trains each backbone in each mode (multimodal, text-only, visual-only), skipping cells whose
 * result is already in the store; each finished cell is appended at once, so an interrupted grid
 * picks up where it stopped.
 */
export async function runModesGrid(data: Dataset, o: ModesGridOptions): Promise<void> {
  for (const model of o.models) {
    const entry = backboneEntry(model);
    for (const mode of o.modes ?? TRAIN_MODES) {
      const config = modesCellConfig(model, mode, o.dataset, o.train);
      const key = configKey(config);
      if (o.store.has(key)) { o.log?.(`${model} ${mode}: done earlier, skipped`); continue; }
      const backbone = entry.factory(data, { seed: config.train.seed });
      try {
        const r = await trainModel(backbone, data, { ...config.train, mode, progress: o.progress?.(`[${model} ${mode}]`) });
        const result: ModesCellResult = {
          test: Object.fromEntries(MASKS.map(m => [m, { recall20: r.test[m].recall[20], ndcg20: r.test[m].ndcg[20], precision20: r.test[m].precision[20] }])),
          valRecall20: Object.fromEntries(MASKS.map(m => [m, r.val[m].recall[20]])),
          bestEpoch: r.bestEpoch, epochsRun: r.epochsRun, secondsPerEpoch: r.secondsPerEpoch, wallSeconds: r.wallSeconds,
        };
        o.store.append({ key, config, result, meta: { provenance: o.provenance, history: r.history } });
        o.log?.(`${model} ${mode}: test recall@20 ${MASKS.map(m => `${m} ${result.test[m].recall20.toFixed(4)}`).join(', ')}`);
      } finally {
        backbone.dispose();
      }
    }
  }
}

/** The grid as a markdown table: one row per backbone and mode, Recall@20 under each mask. */
export function modesTableMarkdown(
  store: ResultStore<ModesCellConfig, ModesCellResult>, models: string[], dataset: string, train: ModesGridOptions['train'],
): string {
  const head = '| backbone | trained | test R@20 all | text channel | visual channel | best epoch | s/epoch |\n|---|---|---|---|---|---|---|';
  const rows: string[] = [];
  for (const model of models) {
    for (const mode of TRAIN_MODES) {
      const rec = store.get(configKey(modesCellConfig(model, mode, dataset, train)));
      if (!rec) { rows.push(`| ${model} | ${mode} | (not run) | | | | |`); continue; }
      const t = rec.result.test;
      rows.push(`| ${model} | ${mode} | ${t.all.recall20.toFixed(4)} | ${t.text.recall20.toFixed(4)} | ${t.visual.recall20.toFixed(4)} | ` +
        `${rec.result.bestEpoch} | ${rec.result.secondsPerEpoch.toFixed(2)} |`);
    }
  }
  return `${head}\n${rows.join('\n')}\n`;
}
