import * as assert from 'assert';
import { initEngine } from '../lib/engine/backend';
import { TRAIN_MODES } from '../lib/models/backbone';
import { backboneFactory } from '../lib/models/registry';
import { presetConfig } from '../lib/synth/presets';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { TrainResult, trainModel } from '../lib/train/trainer';

/**
 * The generator's reason to exist: the paper's pilot study (Figure 1) must show on it. A VBPR
 * trained on both modalities has a text channel weaker than a text-only VBPR and a visual
 * channel weaker than a visual-only VBPR (channels = the multimodal model with the other
 * modality mean-ablated at inference). Checked at small scale on validation Recall@20.
 */
describe('synthetic data shows modality under-optimisation (small scale)', function () {
  this.timeout(300000);

  it('each channel of multimodal VBPR is below its uni-modal VBPR', async () => {
    await initEngine({ quiet: true });
    const data = synthesizeDataset(presetConfig('default', { users: 800, items: 400, visualDim: 64, textDim: 32 }), 1);
    const results = {} as Record<string, TrainResult>;
    for (const mode of TRAIN_MODES) {
      const model = backboneFactory('vbpr')(data, { seed: 1 });
      results[mode] = await trainModel(model, data, { mode, seed: 1, epochs: 40, lr: 1e-3, batchSize: 1024, evalEvery: 5, patience: 3 });
      model.dispose();
    }
    const r20 = (mode: string, mask: 'all' | 'text' | 'visual') => results[mode].val[mask].recall[20];
    const table = `multimodal: text channel ${r20('multimodal', 'text').toFixed(4)} vs text-only ${r20('text-only', 'text').toFixed(4)}; ` +
      `visual channel ${r20('multimodal', 'visual').toFixed(4)} vs visual-only ${r20('visual-only', 'visual').toFixed(4)}`;
    assert.ok(r20('multimodal', 'text') < r20('text-only', 'text'), table);
    assert.ok(r20('multimodal', 'visual') < r20('visual-only', 'visual'), table);
    // Text is the stronger modality, as on Amazon.
    assert.ok(r20('text-only', 'text') > r20('visual-only', 'visual'), table);
  });
});
