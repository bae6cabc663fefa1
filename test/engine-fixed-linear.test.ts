import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { coreGradientsRegistered, initEngine } from '../lib/engine/backend';
import { gatherTranspose } from '../lib/engine/dense-kernels';
import { FixedLinear, HostMatrix } from '../lib/engine/fixed-linear';
import { Rng } from '../lib/engine/random';
import { assertClose, gradCheck } from './engine-check';

const randMat = (rng: Rng, n: number, d: number) => Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal()));

/** Y = F[rows] W + b in float64. */
function reference(F: number[][], W: number[][], b: number[] | null, rows: number[]): number[] {
  return rows.flatMap((r) => W[0].map((_, j) => F[r].reduce((s, f, i) => s + Math.fround(f) * Math.fround(W[i][j]), b ? Math.fround(b[j]) : 0)));
}

describe('engine fixed-feature linear layer', () => {
  before(async () => {
    await initEngine({ backend: 'wasm', quiet: true });
    if (!tf.findBackendFactory('ckd-native-test')) {
      tf.registerBackend('ckd-native-test', () => new MathBackendCPU());
      tf.copyRegisteredKernels('cpu', 'ckd-native-test');
    }
  });
  after(async () => { await tf.setBackend('wasm'); });

  // 'ckd-native-test' is the CPU backend under another name: the path taken on 'tensorflow'.
  for (const backend of ['wasm', 'cpu', 'ckd-native-test']) {
    describe(`on ${backend}`, () => {
      const rng = new Rng(`fixed-linear-${backend}`);
      // d = 4 takes the project kernels on wasm and cpu; other widths take tfjs's ops.
      for (const d of [4, 3]) describe(`width ${d}`, () => {
      const n = 13, D = 10;
      const Fv = randMat(rng, n, D), Wv = randMat(rng, D, d), bv = randMat(rng, 1, d)[0];
      const subset = [12, 0, 5, 5, 7, 3];
      const F: HostMatrix = { data: Float32Array.from(Fv.flat()), rows: n, cols: D };
      before(async () => { await tf.setBackend(backend); });

      it('forward matches F[rows] W + b', () => {
        const layer = new FixedLinear(F);
        tf.tidy(() => {
          const W = tf.tensor2d(Wv), b = tf.tensor1d(bv);
          const all = Array.from({ length: n }, (_, i) => i);
          assertClose(layer.apply(W, b).dataSync(), reference(Fv, Wv, bv, all), 1e-5, 'all rows');
          assertClose(layer.apply(W).dataSync(), reference(Fv, Wv, null, all), 1e-5, 'no bias');
          assertClose(layer.apply(W, b, Int32Array.from(subset)).dataSync(), reference(Fv, Wv, bv, subset), 1e-5, 'subset');
          assertClose(layer.apply(W, null, tf.tensor1d(subset, 'int32')).dataSync(), reference(Fv, Wv, null, subset), 1e-5, 'subset tensor');
        });
        layer.dispose();
      });

      it('gradients for W and b match central differences', function () {
        if (backend === 'ckd-native-test' && !coreGradientsRegistered()) this.skip(); // stock autodiff there
        const W = tf.tensor2d(Wv), b = tf.tensor1d(bv);
        const layer = new FixedLinear(F);
        gradCheck((w, bb) => layer.apply(w as tf.Tensor2D, bb as tf.Tensor1D), [W, b], rng, 1e-2, 1e-3, 'all rows');
        gradCheck((w, bb) => layer.apply(w as tf.Tensor2D, bb as tf.Tensor1D, Int32Array.from(subset)), [W, b], rng, 1e-2, 1e-3, 'subset');
        gradCheck((w) => layer.apply(w as tf.Tensor2D, null, Int32Array.from(subset)), [W], rng, 1e-2, 1e-3, 'subset, no bias');
        layer.dispose();
        tf.dispose([W, b]);
      });

      it('does not leak tensors over repeated forward and backward passes', () => {
        const layer = new FixedLinear(F);
        const W = tf.tensor2d(Wv), b = tf.tensor1d(bv);
        const step = (rows?: Int32Array) => {
          const dy = tf.ones([rows ? rows.length : n, d]);
          tf.dispose([dy, ...tf.grads((w, bb) => layer.apply(w as tf.Tensor2D, bb as tf.Tensor1D, rows))([W, b], dy)]);
          layer.apply(W, b, rows).dispose();
        };
        step();
        step(Int32Array.from(subset)); // tfjs's path keeps F as a tensor from its first use: count from here
        const before = tf.memory().numTensors;
        for (let i = 0; i < 3; i++) { step(); step(Int32Array.from(subset)); }
        assert.strictEqual(tf.memory().numTensors, before);
        layer.dispose();
        assert.ok(tf.memory().numTensors <= before);
        tf.dispose([W, b]);
      });
      });
    });
  }

  for (const backend of ['wasm', 'cpu']) {
    it(`gatherTranspose on ${backend} transposes (gathered) rows of any shape`, async () => {
      await tf.setBackend(backend);
      const rng = new Rng('gt');
      for (const [n, D, rows] of [[7, 9, [6, 0, 0, 2, 5, 1, 3]], [5, 8, [4, 1, 2, 3]], [3, 3, [2]]] as [number, number, number[]][]) {
        const X = randMat(rng, n, D);
        tf.tidy(() => {
          const x = tf.tensor2d(X);
          const expectAll = Array.from({ length: D }, (_, j) => X.map((row) => Math.fround(row[j]))).flat();
          assertClose(gatherTranspose(x).dataSync(), expectAll, 0, `X^T ${n}x${D}`);
          const expectSub = Array.from({ length: D }, (_, j) => rows.map((r) => Math.fround(X[r][j]))).flat();
          assertClose(gatherTranspose(x, tf.tensor1d(rows, 'int32')).dataSync(), expectSub, 0, `X[rows]^T ${n}x${D}`);
        });
      }
      await tf.setBackend('wasm');
    });
  }
});
