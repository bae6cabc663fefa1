import { Dataset } from '../data/dataset';
import { splitPerUser } from '../data/split';
import { Rng } from '../engine/random';
import { CkdError } from '../errors';
import { drawSynthetic } from './generator';
import { SynthConfig, presetConfig } from './presets';

/** The embedded data set: draw interactions and features, then the authors' per-user split. */
export function synthesizeDataset(preset: string | SynthConfig, seed: number): Dataset {
  const cfg = typeof preset === 'string' ? presetConfig(preset) : preset;
  const draw = drawSynthetic(cfg, seed);
  if (cfg.coreK > 0 && (draw.interactions.length === 0 || draw.numItems === 0)) {
    throw new CkdError(`the ${cfg.coreK}-core filter left no users or items: draw more users or items, or more interactions per user`);
  }
  const split = splitPerUser(draw.interactions, new Rng(`synth:${seed}`).fork('split'));
  return {
    name: typeof preset === 'string' ? preset : 'synthetic',
    source: '<memory>',
    numUsers: draw.interactions.length,
    numItems: draw.numItems,
    ...split,
    features: { visual: draw.visual, text: draw.text },
  };
}
