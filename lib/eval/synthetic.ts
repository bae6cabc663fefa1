import { listsFromArrays, UserItemLists } from '../data/dataset';
import { Rng } from '../engine/random';
import { RankingInput } from './ranking-input';

export interface SyntheticRanking extends RankingInput {
  targets: UserItemLists;
}

/**
 * A random ranking problem for tests and benchmarks: Gaussian embeddings (or, with `grid`,
 * small integers so that many scores tie exactly), about `perUser` excluded items and one or
 * two targets per user (disjoint from the exclusions).
 */
export function syntheticRanking(opts: {
  numUsers: number; numItems: number; dim: number; perUser: number; seed: number | string; grid?: number;
}): SyntheticRanking {
  const { numUsers, numItems, dim, perUser, grid } = opts;
  const rng = new Rng(opts.seed);
  const value = grid ? () => rng.int(2 * grid + 1) - grid : () => rng.normal();
  const userEmb = Float32Array.from({ length: numUsers * dim }, value);
  const itemEmb = Float32Array.from({ length: numItems * dim }, value);
  const train: number[][] = [];
  const held: number[][] = [];
  for (let u = 0; u < numUsers; u++) {
    const seen = new Set<number>();
    const n = Math.min(numItems, Math.max(0, Math.round(perUser * (0.5 + rng.next()))));
    while (seen.size < n) seen.add(rng.int(numItems));
    train.push([...seen]);
    const t: number[] = [];
    const want = 1 + rng.int(2);
    for (let tries = 0; t.length < want && tries < 20; tries++) {
      const i = rng.int(numItems);
      if (!seen.has(i) && !t.includes(i)) t.push(i);
    }
    held.push(t);
  }
  return { userEmb, itemEmb, dim, exclude: listsFromArrays(train, numUsers), targets: listsFromArrays(held, numUsers) };
}
