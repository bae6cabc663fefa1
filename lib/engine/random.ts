import seedrandom from 'seedrandom';

/**
 * The project's only source of randomness. Every consumer receives an Rng (or a seed) from
 * its caller; nothing reads Math.random. `fork(label)` derives an independent stream so that
 * adding draws in one component never shifts another's.
 */
/** seedrandom's generator with `{ state: true }`; its typings omit state(). */
interface StatefulPrng {
  double(): number;
  int32(): number;
  state(): object;
}

export class Rng {
  private prng: StatefulPrng;
  readonly seed: string;

  constructor(seed: number | string, state?: object) {
    this.seed = String(seed);
    const options = { state: (state ?? true) as boolean };
    this.prng = seedrandom(state ? '' : this.seed, options) as unknown as StatefulPrng;
  }

  /** Uniform in [0, 1). */
  next(): number { return this.prng.double(); }

  /** Uniform integer in [0, n). */
  int(n: number): number { return Math.floor(this.prng.double() * n); }

  /** A 31-bit integer, for seeding tfjs initialisers and ops. */
  seedInt(): number { return this.prng.int32() >>> 1; }

  /** Standard normal (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.prng.double();
    const v = this.prng.double();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]; a[i] = a[j]; a[j] = t;
    }
    return a;
  }

  /** An independent stream determined by this stream's seed and the label only. */
  fork(label: string): Rng { return new Rng(`${this.seed}/${label}`); }

  /** Serialisable state (for checkpoints); `new Rng(seed, state)` resumes it. */
  state(): object { return this.prng.state(); }
}
