import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorMap, TensorInfo } from '@tensorflow/tfjs-core';
import { projectKernelsActive, registerProjectKernel } from '../engine/kernel-heap';

/**
 * Adam as tfjs 4.22's AdamOptimizer computes it, with each variable's update in one project
 * kernel (kernels/adam.c) instead of a dozen tfjs ops that each pass over the whole array: on
 * VBPR at Baby scale (4.5 M parameters) that was ~40 ms of a ~170 ms step. The kernel repeats
 * tfjs's operations in their order and float32 rounding, so parameters and moments are the same
 * bits (tested); the moments live where tfjs keeps them, so getWeights/setWeights and the
 * training checkpoints work unchanged. Other backends run tfjs's own applyGradients.
 */
const ADAM_UPDATE = 'CkdAdamUpdate';

interface Slot { originalName: string; variable: tf.Variable }
interface AdamInternals {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Slot[];
  accumulatedSecondMoment: Slot[];
}

let registered = false;
function registerAdamKernel(): void {
  if (registered) return;
  registerProjectKernel(ADAM_UPDATE, 'adam', (c, { inputs, attrs }): TensorInfo[] => {
    const { p, g, m, v } = inputs as Record<'p' | 'g' | 'm' | 'v', TensorInfo>;
    const n = p.shape.reduce((a, b) => a * b, 1);
    for (const [name, t] of [['gradient', g], ['first moment', m], ['second moment', v]] as const) {
      if (t.dtype !== 'float32' || t.shape.reduce((a, b) => a * b, 1) !== n) {
        throw new Error(`Adam: the ${name} of a [${p.shape}] variable is ${t.dtype} [${t.shape}]`);
      }
    }
    const a = attrs as unknown as Record<'b1' | 'ob1' | 'b2' | 'ob2' | 'c1' | 'c2' | 'eps' | 'negLr', number>;
    const outs = [c.output(p.shape, 'float32'), c.output(p.shape, 'float32'), c.output(p.shape, 'float32')];
    c.exports.adam_update(c.input(p), c.input(g), c.input(m), c.input(v), outs[0].ptr, outs[1].ptr, outs[2].ptr, n,
      a.b1, a.ob1, a.b2, a.ob2, a.c1, a.c2, a.eps, a.negLr);
    return outs.map(o => o.info);
  });
  registered = true;
}

export class FusedAdam extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (!projectKernelsActive()) { super.applyGradients(variableGradients); return; }
    registerAdamKernel();
    const state = this as unknown as AdamInternals;
    const names = Array.isArray(variableGradients) ? variableGradients.map(v => v.name) : Object.keys(variableGradients);
    // tfjs computes 1 - accBeta in float32: one float32 subtraction, rounded like Math.fround of the exact difference.
    const attrs = {
      b1: this.beta1, ob1: 1 - this.beta1, b2: this.beta2, ob2: 1 - this.beta2,
      c1: Math.fround(1 - state.accBeta1.dataSync()[0]), c2: Math.fround(1 - state.accBeta2.dataSync()[0]),
      eps: this.epsilon, negLr: -this.learningRate,
    };
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        state.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        state.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        if (gradient == null) return;
        const m = state.accumulatedFirstMoment[i].variable;
        const v = state.accumulatedSecondMoment[i].variable;
        const [p1, m1, v1] = tf.engine().runKernel(ADAM_UPDATE, { p: value, g: gradient, m, v } as unknown as NamedTensorMap,
          attrs as unknown as NamedAttrMap) as tf.Tensor[];
        m.assign(m1);
        v.assign(v1);
        value.assign(p1);
      });
      state.accBeta1.assign(tf.mul(state.accBeta1, this.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}

/** Adam with tfjs's defaults (beta1 0.9, beta2 0.999, the backend's epsilon), fused where it can be. */
export function adam(learningRate: number): tf.Optimizer {
  return new FusedAdam(learningRate, 0.9, 0.999);
}
