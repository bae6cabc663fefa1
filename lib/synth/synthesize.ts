import { Dataset } from '../data/dataset';
import { splitPerUser } from '../data/split';
import { Rng } from '../engine/random';
import { drawSynthetic } from './generator';
import { SynthConfig, presetConfig } from './presets';

/** The embedded data set: draw interactions and features, then the authors' per-user split. */
export function synthesizeDataset(preset: string | SynthConfig, seed: number): Dataset {
  const cfg = typeof preset === 'string' ? presetConfig(preset) : preset;
  const draw = drawSynthetic(cfg, seed);
  const split = splitPerUser(draw.interactions, new Rng(`synth:${seed}`).fork('split'));
  return {
    name: typeof preset === 'string' ? preset : 'synthetic',
    source: '<memory>',
    numUsers: cfg.users,
    numItems: cfg.items,
    ...split,
    features: { visual: draw.visual, text: draw.text },
  };
}
