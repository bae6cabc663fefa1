import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../lib/engine/backend';
import { Rng } from '../lib/engine/random';
import { FusedAdam, adam } from '../lib/train/adam';

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (x: number, i: number) => Object.is(x, b[i]));

describe('train: fused Adam (kernels/adam.c)', () => {
  before(async () => { await initEngine({ backend: 'wasm', quiet: true }); });
  after(async () => { await tf.setBackend('wasm'); });

  for (const backend of ['wasm', 'cpu']) {
    it(`on ${backend}: parameters and moments are tf.train.adam's bits, step after step, and no tensor leaks`, async () => {
      await tf.setBackend(backend);
      const rng = new Rng(`adam-${backend}`);
      const shapes = [[37, 5], [4096, 3], [7], [1]];
      const init = shapes.map(s => Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng.normal()));
      const grads = Array.from({ length: 6 }, () => init.map(x => Float32Array.from(x, () => rng.normal() * (rng.next() < 0.2 ? 0 : 1e-2))));
      const run = (opt: tf.Optimizer, tag: string) => {
        const vars = init.map((x, k) => tf.variable(tf.tensor(x, shapes[k]), true, `${tag}_${backend}_${k}`));
        const counts: number[] = [];
        for (const step of grads) {
          const named = vars.map((v, k) => ({ name: v.name, tensor: tf.tensor(step[k], shapes[k]) }));
          opt.applyGradients(k2map(named));
          tf.dispose(named.map(n => n.tensor));
          counts.push(tf.memory().numTensors);
        }
        const out = vars.map(v => v.dataSync().slice());
        return { out, vars, counts };
      };
      const k2map = (named: { name: string; tensor: tf.Tensor }[]) => Object.fromEntries(named.map(n => [n.name, n.tensor]));
      const stock = tf.train.adam(3e-3);
      const fused = new FusedAdam(3e-3, 0.9, 0.999);
      const a = run(stock, 'stock');
      const b = run(fused, 'fused');
      a.out.forEach((x, k) => assert.ok(sameBits(b.out[k], x), `variable ${k} [${shapes[k]}]`));
      const [wa, wb] = [await stock.getWeights(), await fused.getWeights()];
      assert.strictEqual(wb.length, wa.length);
      wa.forEach((w, k) => assert.ok(sameBits(wb[k].tensor.dataSync(), w.tensor.dataSync()), `slot ${w.name}`));
      assert.ok(b.counts.slice(1).every(c => c === b.counts[1]), `tensor count per step ${b.counts}`);
      tf.dispose([...a.vars, ...b.vars]);
      stock.dispose();
      fused.dispose();
    });
  }

  it('adam() is the fused optimiser with tfjs defaults', () => {
    const o = adam(1e-3) as unknown as { learningRate: number; beta1: number; beta2: number };
    assert.ok(o instanceof FusedAdam);
    assert.deepStrictEqual([o.learningRate, o.beta1, o.beta2], [1e-3, 0.9, 0.999]);
  });
});
