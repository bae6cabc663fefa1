/**
 * Early stopping on a validation figure (higher is better): stop after `patience`
 * validations without a strict improvement.
 */
export class EarlyStopping {
  best = -Infinity;
  bestEpoch = 0;
  private sinceBest = 0;

  constructor(readonly patience: number) {}

  /** Records a validation result; returns true when it is a new best. */
  update(value: number, epoch: number): boolean {
    if (value > this.best) {
      this.best = value;
      this.bestEpoch = epoch;
      this.sinceBest = 0;
      return true;
    }
    this.sinceBest++;
    return false;
  }

  get shouldStop(): boolean { return this.sinceBest >= this.patience; }

  snapshot(): { best: number; bestEpoch: number; sinceBest: number } {
    return { best: this.best, bestEpoch: this.bestEpoch, sinceBest: this.sinceBest };
  }

  restore(s: { best: number; bestEpoch: number; sinceBest: number }): void {
    this.best = s.best;
    this.bestEpoch = s.bestEpoch;
    this.sinceBest = s.sinceBest;
  }
}
