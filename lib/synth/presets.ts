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
  /**
   * Shape of the interactions-per-user distribution: 0 = minPerUser plus a geometric tail
   * (the original generator); 1 = a power-law (Pareto) tail, n = floor(minPerUser * u^(-1/a)),
   * with the index a set so that the mean is about meanPerUser (a = (m + 1/2) / (m + 1/2 - min)).
   * Amazon's per-user counts are power-law-like: many users at 5-6, a long tail.
   */
  userPowerLaw: number;
  /**
   * Log-normal popularity (0 = none): adds popularitySd times the standard normal quantile at
   * 1 - (rank - 1/2) / items to each item's log popularity. With popularityExponent 0 the
   * popularity is log-normal by rank, the shape of Amazon's per-item counts (log-log slope
   * about 0.4 at the head, steeper in the body); like Zipf's, the shape is fixed and only the
   * assignment of ranks to items is random.
   */
  popularitySd: number;
  /**
   * Iterative k-core filter after drawing (0 = none): users and items with fewer than coreK
   * interactions are removed, repeatedly until none is left, as the Amazon 5-core sets were
   * made; survivors are renumbered in order, so `users` and `items` are the counts drawn
   * before filtering and the data set ends up smaller.
   */
  coreK: number;
}

export type PresetName = 'tiny' | 'default' | 'baby-scale' | 'baby-like' | 'weak-ids' | 'strong-ids';
export const PRESET_NAMES: readonly PresetName[] = ['tiny', 'default', 'baby-scale', 'baby-like', 'weak-ids', 'strong-ids'];

const shared = {
  minPerUser: 5,
  popularityExponent: 0.8,
  affinityScale: 2.5,
  textCoverage: 0.75,
  visualCoverage: 0.75,
  textNoise: 0.5,
  visualNoise: 2.0,
  // The three settings below were added later; these values keep the presets above bit-identical.
  userPowerLaw: 0,
  popularitySd: 0,
  coreK: 0,
};

export const PRESETS: Record<PresetName, SynthConfig> = {
  tiny: { ...shared, users: 150, items: 100, factors: 8, visualDim: 32, textDim: 16, meanPerUser: 8 },
  default: { ...shared, users: 3000, items: 1500, factors: 16, visualDim: 512, textDim: 128, meanPerUser: 8 },
  'baby-scale': { ...shared, users: 19445, items: 7050, factors: 32, visualDim: 4096, textDim: 1024, meanPerUser: 8.27 },
  /**
   * Amazon Baby's statistics, not only its sizes (docs/data-generator.md; `ckd data calibrate`):
   * log-normal item popularity, power-law interactions per user, and the 5-core filter, with
   * more users and items drawn so that about Baby's counts survive it. Features as baby-scale.
   */
  'baby-like': {
    ...shared, users: 22400, items: 17400, factors: 32, visualDim: 4096, textDim: 1024,
    meanPerUser: 8.25, userPowerLaw: 1, popularityExponent: 0, popularitySd: 1.5, coreK: 5,
  },
  /**
   * The second axis of the payoff experiment (docs/prediction-payoff.md): how much the item IDs
   * alone can rank, varied by the number of users only. Users are drawn one after another from
   * their own random streams, so `weak-ids` is `default`'s first 1,000 users and `strong-ids`
   * holds `default`'s 3,000 users and 3,000 more: the same items, features and popularity, and
   * the same interactions per user, with a third (about 4 train interactions per item) or twice
   * (about 24) the data per item ID. What the content and popularity can rank stays put.
   */
  'weak-ids': { ...shared, users: 1000, items: 1500, factors: 16, visualDim: 512, textDim: 128, meanPerUser: 8 },
  'strong-ids': { ...shared, users: 6000, items: 1500, factors: 16, visualDim: 512, textDim: 128, meanPerUser: 8 },
};

/** The synthetic data sets `ckd reproduce --data data/NAME` generates into data/NAME when it is absent. */
export const EMBEDDED_DATA_SETS: readonly PresetName[] = ['default', 'weak-ids', 'strong-ids'];

export function presetConfig(name: string, overrides: Partial<SynthConfig> = {}): SynthConfig {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new CkdError(`unknown preset '${name}' (expected one of: ${PRESET_NAMES.join(', ')})`);
  }
  return { ...PRESETS[name as PresetName], ...overrides };
}
