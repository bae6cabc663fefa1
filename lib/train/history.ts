import type { MetricsByMask } from './validate';

/** What the trainer records of one epoch: the training history, kept in results and checkpoints. */
export interface EpochRecord {
  epoch: number;
  /** Mean of each loss term over the epoch's steps. */
  loss: Record<string, number>;
  seconds: number;
  /** Validation metrics under every mask, on validation epochs. */
  val?: MetricsByMask;
  diagnostics?: Record<string, number>;
  /** What TrainOptions.probe measured after the epoch. */
  probe?: Record<string, number>;
}
