import * as tf from '@tensorflow/tfjs-core';

/** A copy of variables' values, to keep the best state seen and put it back at the end. */
export class WeightsSnapshot {
  private values: tf.Tensor[] = [];

  capture(vars: tf.Variable[]): void {
    this.dispose();
    this.values = vars.map(v => tf.clone(v));
  }

  restore(vars: tf.Variable[]): void {
    if (this.values.length !== vars.length) throw new Error('snapshot does not match the variables');
    vars.forEach((v, k) => v.assign(this.values[k]));
  }

  get empty(): boolean { return this.values.length === 0; }

  /** The captured values (owned by the snapshot), e.g. for a checkpoint. */
  get tensors(): readonly tf.Tensor[] { return this.values; }

  /** Takes ownership of `values` as the captured state (e.g. read from a checkpoint). */
  adopt(values: tf.Tensor[]): void {
    this.dispose();
    this.values = values;
  }

  dispose(): void {
    for (const t of this.values) t.dispose();
    this.values = [];
  }
}
