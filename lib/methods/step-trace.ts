/**
 * Per-step numbers a method records (CKD's lambda, rho, gamma; OGM's coefficients), kept step by
 * step for notebooks and averaged per epoch for the trainer's history (diagnostics()).
 */
export interface TracedStep {
  epoch: number;
  step: number;
  values: Record<string, number>;
}

export class StepTrace {
  /** Every recorded step, in order. */
  readonly steps: TracedStep[] = [];
  private sums: Record<string, number> = {};
  private counts: Record<string, number> = {};

  constructor(private readonly keepSteps = true) {}

  record(epoch: number, step: number, values: Record<string, number>): void {
    if (this.keepSteps) this.steps.push({ epoch, step, values: { ...values } });
    for (const [k, v] of Object.entries(values)) {
      if (!Number.isFinite(v)) continue;
      this.sums[k] = (this.sums[k] ?? 0) + v;
      this.counts[k] = (this.counts[k] ?? 0) + 1;
    }
  }

  /** Means (over finite values) of everything recorded since the last call; then starts afresh. */
  takeMeans(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of Object.keys(this.sums)) out[k] = this.sums[k] / this.counts[k];
    this.sums = {};
    this.counts = {};
    return out;
  }

  /** One named series over all recorded steps (NaN where a step did not record it). */
  series(name: string): number[] {
    return this.steps.map(s => s.values[name] ?? NaN);
  }
}
