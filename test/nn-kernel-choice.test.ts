/**
 * CKD_KERNELS (lib/nn/kernel-choice.ts): with 'stock' every lib/nn operation runs tfjs's own ops
 * and no project kernel; every backbone's forward under every mask, its loss gradients and a
 * short training run then agree with the default kernels to float rounding; and the default is
 * the project's kernels, unchanged bit for bit by a detour through 'stock'.
 * The data: the tiny preset with every item given a train interaction, since stock's dense
 * products spread EgoGCN's overflowing gradient at a node without edges (lib/nn/stock.ts).
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset } from '../lib/data/dataset';
import { TripleSampler } from '../lib/data/samplers';
import { initEngine } from '../lib/engine/backend';
import { Rng } from '../lib/engine/random';
import { CkdError } from '../lib/errors';
import { MASKS } from '../lib/models/backbone';
import { BACKBONES, backboneFactory } from '../lib/models/registry';
import { KernelChoice, kernelChoice, setKernelChoice } from '../lib/nn/kernel-choice';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { trainModel } from '../lib/train/trainer';
import { lossGrads, maxAbs, maxAbsDiff } from './model-fixtures';


/** Every backbone output (users, then items, per mask) and every gradient of one batch's loss, as arrays. */
async function outputsOf(name: string, data: Dataset, choice: KernelChoice): Promise<Float32Array[]> {
  setKernelChoice(choice);
  const model = backboneFactory(name)(data, { seed: 3 });
  try {
    const out: Float32Array[] = [];
    for (const mask of MASKS) {
      const r = model.forward(mask);
      out.push(r.users.dataSync() as Float32Array, r.items.dataSync() as Float32Array);
      tf.dispose([r.users, r.items]);
    }
    const batch = new TripleSampler(data.train, data.numItems).epoch(64, new Rng(5))[0];
    const { value, grads } = lossGrads(model, data, batch);
    out.push(value.dataSync() as Float32Array, ...model.variables().map(v => grads[v.name].dataSync() as Float32Array));
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  } finally {
    model.dispose();
  }
}

/** The data set with one train interaction (of user 0) added for every item that has none. */
function everyItemInTrain(data: Dataset): Dataset {
  const seen = new Uint8Array(data.numItems);
  for (const i of data.train.items) seen[i] = 1;
  const missing = [...seen.keys()].filter(i => !seen[i]);
  const { indptr, items } = data.train;
  const first = Array.from(items.subarray(0, indptr[1])).concat(missing).sort((a, b) => a - b);
  return {
    ...data,
    train: {
      indptr: Int32Array.from(indptr, (p, u) => (u === 0 ? 0 : p + missing.length)),
      items: Int32Array.from([...first, ...items.subarray(indptr[1])]),
    },
  };
}

const sameBits = (a: Float32Array[], b: Float32Array[]) =>
  a.length === b.length && a.every((x, k) => x.length === b[k].length && x.every((v, i) => Object.is(v, b[k][i])));

describe('nn: the kernel choice (CKD_KERNELS=stock runs tfjs\'s own ops)', function () {
  this.timeout(120000);
  let data: Dataset;
  const envBefore = process.env.CKD_KERNELS;
  before(async () => {
    await initEngine({ backend: 'wasm', quiet: true });
    data = everyItemInTrain(synthesizeDataset('tiny', 3));
    assert.ok(data.train.items.length > synthesizeDataset('tiny', 3).train.items.length, 'items without interactions were given one');
  });
  afterEach(() => setKernelChoice(null));
  after(() => {
    if (envBefore === undefined) delete process.env.CKD_KERNELS; else process.env.CKD_KERNELS = envBefore;
    setKernelChoice(null);
  });

  it('comes from CKD_KERNELS (read when first needed), defaults to the project kernels, refuses other values in one line', () => {
    delete process.env.CKD_KERNELS;
    setKernelChoice(null);
    assert.strictEqual(kernelChoice(), 'project');
    process.env.CKD_KERNELS = 'stock';
    assert.strictEqual(kernelChoice(), 'project', 'read once');
    setKernelChoice(null);
    assert.strictEqual(kernelChoice(), 'stock');
    process.env.CKD_KERNELS = 'fast';
    setKernelChoice(null);
    assert.throws(() => kernelChoice(), (e: Error) => e instanceof CkdError && /^CKD_KERNELS must be one of project, stock \(got 'fast'\)$/.test(e.message));
    delete process.env.CKD_KERNELS;
    setKernelChoice(null);
  });

  it('stock runs no project kernel; the default runs them', async () => {
    const kernelsRun = async (choice: KernelChoice) => {
      setKernelChoice(choice);
      const model = backboneFactory('egogcn')(data, { seed: 3 });
      try {
        const batch = new TripleSampler(data.train, data.numItems).epoch(32, new Rng(5))[0];
        const info = await tf.profile(() => {
          const { value, grads } = lossGrads(model, data, batch);
          tf.dispose([value, ...Object.values(grads)]);
        });
        return new Set(info.kernelNames);
      } finally {
        model.dispose();
      }
    };
    const stock = await kernelsRun('stock');
    assert.deepStrictEqual([...stock].filter(k => k.startsWith('Ckd')), []);
    assert.ok(stock.has('OneHot') && stock.has('BatchMatMul'), [...stock].join(' '));
    const project = await kernelsRun('project');
    for (const k of ['CkdSpmm', 'CkdSddmm', 'CkdSegmentSoftmax', 'CkdGatherRows', 'CkdMatMul']) assert.ok(project.has(k), k);
  });

  for (const name of Object.keys(BACKBONES)) {
    it(`${name}: forward under every mask and the loss gradients agree to float rounding; the default is the same bits after 'stock'`, async () => {
      const project = await outputsOf(name, data, 'project');
      const stock = await outputsOf(name, data, 'stock');
      assert.strictEqual(stock.length, project.length);
      project.forEach((p, k) => {
        const diff = maxAbsDiff(stock[k], p);
        assert.ok(diff <= 1e-4 * Math.max(1e-3, maxAbs(p)), `output ${k} of ${project.length}: max difference ${diff} (max |value| ${maxAbs(p)})`);
      });
      assert.ok(sameBits(await outputsOf(name, data, 'project'), project), 'the default kernels give the same bits again');
    });
  }

  it('a short training run (VBPR, EgoGCN) agrees to float rounding', async () => {
    for (const [name, epochs, batchSize] of [['vbpr', 3, 64], ['egogcn', 1, 256]] as const) {
      const run = async (choice: KernelChoice) => {
        setKernelChoice(choice);
        const model = backboneFactory(name)(data, { seed: 5 });
        try {
          return await trainModel(model, data, { mode: 'multimodal', seed: 5, epochs, lr: 5e-3, batchSize, evalEvery: epochs, patience: 10 });
        } finally {
          model.dispose();
        }
      };
      const [p, s] = [await run('project'), await run('stock')];
      assert.strictEqual(s.history.length, epochs);
      p.history.forEach((h, e) => {
        const [a, b] = [h.loss.total, s.history[e].loss.total];
        assert.ok(Math.abs(a - b) <= 1e-4 * Math.abs(a), `${name} epoch ${e + 1}: loss ${a} (project) vs ${b} (stock)`);
      });
    }
  });
});
