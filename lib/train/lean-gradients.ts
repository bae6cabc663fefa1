import * as tf from '@tensorflow/tfjs-core';
import { CkdError } from '../errors';

/**
 * tf.variableGrads with the backward pass freeing memory as it goes. tfjs 4.22's backprop keeps
 * every intermediate gradient, every gradient it has already added into another, and every
 * tensor saved for backward until the whole backward pass ends, so its peak is roughly the
 * forward's saved activations plus all their gradients: MMGCN's CKD step at Baby scale ran out
 * of the wasm backend's 4 GiB heap that way. Here a node's output gradients and saved tensors
 * are released once the node is done, and a gradient once it is added into the running sum.
 * The gradient functions, their order and the accumulation order (tf.add(sum, dx)) are tfjs's,
 * so the gradients are the same bits (tested against tf.variableGrads).
 * Relies on tfjs-core 4.22's engine internals (the tape), which package.json pins.
 */
interface TapeNode {
  id: number;
  kernelName: string;
  outputs: tf.Tensor[];
  inputs: Record<string, tf.Tensor>;
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  startScope(name?: string): void;
  endScope(result?: tf.TensorContainer): void;
  tidy<T extends tf.TensorContainer>(nameOrFn: string | (() => T), fn?: () => T): T;
}

/** The nodes on a path from one of xs to y, in tape order, each with only the inputs on such a path. */
function nodesFromXsToY(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set(xs.map(x => x.id));
  const nodeFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some(t => fromX.has(t.id))) {
      nodeFromX.add(node.id);
      for (const o of node.outputs) fromX.add(o.id);
    }
  }
  const toY = new Set([y.id]);
  const nodeToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some(o => toY.has(o.id))) {
      nodeToY.add(node.id);
      for (const t of Object.values(node.inputs)) toY.add(t.id);
    }
  }
  const out: TapeNode[] = [];
  for (const node of tape) {
    if (!nodeFromX.has(node.id) || !nodeToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(node.inputs)) if (fromX.has(t.id)) inputs[name] = t;
    out.push({ ...node, inputs });
  }
  return out;
}

export function leanVariableGrads(f: () => tf.Scalar, vars: tf.Variable[]): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const xs = trainable(vars);
  const engine = tf.engine() as unknown as EngineInternals;
  const y = engine.scopedRun(() => engine.startTape(), () => engine.endTape(), () => engine.tidy('forward', f));
  return backward(engine, xs, y);
}

/**
 * leanVariableGrads of a forward that awaits in the middle (a read of tensors back to the host,
 * on backends that only read asynchronously). Nothing else may run tfjs ops while it awaits: they
 * would be recorded on its tape.
 */
export async function leanVariableGradsAsync(f: () => Promise<tf.Scalar>, vars: tf.Variable[]): Promise<{ value: tf.Scalar; grads: Record<string, tf.Tensor> }> {
  const xs = trainable(vars);
  const engine = tf.engine() as unknown as EngineInternals;
  engine.startTape();
  let y: tf.Scalar | undefined;
  try {
    engine.startScope('forward');
    try {
      y = await f();
    } finally {
      engine.endScope(y);
    }
  } finally {
    engine.endTape();
  }
  return backward(engine, xs, y);
}

function trainable(vars: tf.Variable[]): tf.Variable[] {
  const xs = vars.filter(v => v.trainable);
  if (xs.length === 0) throw new CkdError('leanVariableGrads: none of the variables is trainable');
  return xs;
}

/** The backward pass over the tape that recorded y's forward, freeing as it goes. */
function backward(engine: EngineInternals, xs: tf.Variable[], y: unknown): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
  if (!(y instanceof tf.Tensor) || y.rank !== 0) throw new CkdError('leanVariableGrads: the loss must be a scalar tensor');
  const tape = nodesFromXsToY(engine.state.activeTape ?? [], xs, y);
  const grads = engine.tidy('backward', () => {
    const grad = new Map<number, tf.Tensor>([[y.id, tf.ones(y.shape)]]);
    for (let i = tape.length - 1; i >= 0; i--) {
      const node = tape[i];
      if (!node.gradient) throw new CkdError(`cannot compute a gradient: none is registered for ${node.kernelName}`);
      const dys = node.outputs.map(o => grad.get(o.id) ?? null);
      const inputGrads = node.gradient(dys);
      for (const [name, x] of Object.entries(node.inputs)) {
        if (!(name in inputGrads)) throw new CkdError(`cannot backprop through input ${name} of ${node.kernelName}`);
        let dx = engine.tidy(() => inputGrads[name]());
        if (dx.dtype !== 'float32' || !tf.util.arraysEqual(dx.shape, x.shape)) {
          throw new CkdError(`the gradient of ${node.kernelName}'s input ${name} is ${dx.dtype} [${dx.shape}], the input [${x.shape}]`);
        }
        if (dys.includes(dx)) dx = tf.clone(dx); // the output gradients are released below
        const sum = grad.get(x.id);
        if (sum) {
          grad.set(x.id, tf.add(sum, dx));
          sum.dispose();
          dx.dispose();
        } else {
          grad.set(x.id, dx);
        }
      }
      for (const o of node.outputs) {
        grad.get(o.id)?.dispose();
        grad.delete(o.id);
      }
      for (const t of node.saved ?? []) t.dispose();
    }
    const named: Record<string, tf.Tensor> = {};
    for (const v of xs) {
      const g = grad.get(v.id);
      if (g) named[v.name] = g;
    }
    return named;
  });
  if (engine.state.gradientDepth === 0) {
    for (const node of engine.state.activeTape ?? []) for (const t of node.saved ?? []) t.dispose();
    engine.state.activeTape = null;
  }
  if (Object.keys(grads).length === 0) throw new CkdError('no variable is connected to the loss');
  return { value: y as tf.Scalar, grads };
}
