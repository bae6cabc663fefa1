/**
 * Mean ablation (lib/models/ablation.ts), for every backbone of the registry: under mask 'text'
 * (visual dropped) the forward pass sees the visual features only through their mean, so giving
 * the items each other's visual features (a permutation, which keeps the mean) changes no output
 * bit; likewise 'visual' for the text features. The full model and the channel that keeps the
 * modality do see the change. BPR-MF has no modality: nothing changes under any mask.
 * The features are put on a grid of 2^-10 so that their mean is exact in any summation order,
 * and the data set carries item categories so that DeepStyle does not derive them from the text
 * features.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, FeatureMatrix, Modality } from '../lib/data/dataset';
import { initEngine } from '../lib/engine/backend';
import { ModalityMask } from '../lib/models/backbone';
import { BACKBONES, backboneFactory } from '../lib/models/registry';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { withShuffled } from './model-fixtures';

/** Every feature rounded to a multiple of 2^-10 (float sums of such values are exact here). */
function onGrid(f: FeatureMatrix): FeatureMatrix {
  return { ...f, data: Float32Array.from(f.data, x => Math.round(x * 1024) / 1024) };
}

/** Users' and items' outputs of a freshly built model (seed 3) under the mask. */
function outputs(name: string, data: Dataset, mask: ModalityMask): Float32Array[] {
  const model = backboneFactory(name)(data, { seed: 3 });
  try {
    const r = model.forward(mask, {}, false);
    const out = [r.users.dataSync() as Float32Array, r.items.dataSync() as Float32Array];
    tf.dispose([r.users, r.items, ...Object.values(r.aux ?? {})]);
    return out;
  } finally {
    model.dispose();
  }
}

const sameBits = (a: Float32Array[], b: Float32Array[]) =>
  a.length === b.length && a.every((x, k) => x.length === b[k].length && x.every((v, i) => Object.is(v, b[k][i])));

describe('models: mean ablation, for every backbone', function () {
  this.timeout(120000);
  let data: Dataset;
  before(async () => {
    await initEngine({ backend: 'wasm', quiet: true });
    const tiny = synthesizeDataset('tiny', 3);
    data = {
      ...tiny,
      features: { visual: onGrid(tiny.features.visual), text: onGrid(tiny.features.text) },
      itemCategories: Int32Array.from({ length: tiny.numItems }, (_, i) => i % 5),
    };
  });

  for (const name of Object.keys(BACKBONES)) {
    it(`${name}: a dropped modality's features matter only through their mean`, () => {
      const drops: [ModalityMask, Modality][] = [['text', 'visual'], ['visual', 'text']];
      for (const [mask, dropped] of drops) {
        const changed = withShuffled(data, dropped);
        assert.ok(!sameBits([changed.features[dropped].data], [data.features[dropped].data]), 'the permutation moves rows');
        assert.ok(sameBits(outputs(name, changed, mask), outputs(name, data, mask)), `mask ${mask}: ${dropped} features permuted`);
        const kept: ModalityMask = mask === 'text' ? 'visual' : 'text';
        for (const seeing of ['all', kept] as ModalityMask[]) {
          const same = sameBits(outputs(name, changed, seeing), outputs(name, data, seeing));
          assert.strictEqual(same, name === 'bprmf', `mask ${seeing}: ${dropped} features permuted`);
        }
      }
    });
  }
});
