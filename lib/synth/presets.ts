import { CkdError } from '../errors';

/**
 * Settings of the embedded synthetic data set. Items and users have latent factors; a user's
 * interactions follow factor affinity plus a long-tailed item popularity. Each modality's
 * features are a noisy random projection of part of the item factors: the text modality sees
 * more of them with less noise than the visual one, which plants the modality imbalance.
 */
export interface SynthConfig {
  users: number;
  items: number;
  /** Latent factor dimension of users and items. */
  factors: number;
  visualDim: number;
  textDim: number;
  /** Mean interactions per user (every user gets at least `minPerUser`). */
  meanPerUser: number;
  minPerUser: number;
  /** Zipf exponent of item popularity (0 = uniform; ~1 = Amazon-like long tail). */
  popularityExponent: number;
  /** Scale of the factor affinity against popularity when drawing interactions. */
  affinityScale: number;
  /** Fraction of the factor dimensions each modality can see (text from the front, visual from the back). */
  textCoverage: number;
  visualCoverage: number;
  /** Standard deviation of the feature noise, relative to the signal's. */
  textNoise: number;
  visualNoise: number;
}

export type PresetName = 'tiny' | 'default' | 'baby-scale';
export const PRESET_NAMES: readonly PresetName[] = ['tiny', 'default', 'baby-scale'];

const shared = {
  minPerUser: 5,
  popularityExponent: 0.8,
  affinityScale: 2.5,
  textCoverage: 0.75,
  visualCoverage: 0.75,
  textNoise: 0.5,
  visualNoise: 2.0,
};

export const PRESETS: Record<PresetName, SynthConfig> = {
  tiny: { ...shared, users: 150, items: 100, factors: 8, visualDim: 32, textDim: 16, meanPerUser: 8 },
  default: { ...shared, users: 3000, items: 1500, factors: 16, visualDim: 512, textDim: 128, meanPerUser: 8 },
  'baby-scale': { ...shared, users: 19445, items: 7050, factors: 32, visualDim: 4096, textDim: 1024, meanPerUser: 8.27 },
};

export function presetConfig(name: string, overrides: Partial<SynthConfig> = {}): SynthConfig {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new CkdError(`unknown preset '${name}' (expected one of: ${PRESET_NAMES.join(', ')})`);
  }
  return { ...PRESETS[name as PresetName], ...overrides };
}
