import { CsrMatrix, csrFromEdges } from '../lib/engine/csr';
import { Rng } from '../lib/engine/random';

/** Training interactions of the baby-scale preset's split (its graph has twice as many directed edges). */
export const BABY_TRAIN_INTERACTIONS = 119884;

/**
 * A random user-item graph of Amazon Baby's sizes for the kernel benchmarks: 19,445 users +
 * 7,050 items = 26,495 nodes, `interactions` random interactions (default 239,348) stored both
 * ways (478,696 directed edges), D^-1/2 A D^-1/2 values, rows = targets.
 */
export function babyGraph(rng: Rng, interactions = 239348): CsrMatrix {
  const users = 19445, items = 7050, n = users + items;
  const src = new Int32Array(2 * interactions), dst = new Int32Array(2 * interactions);
  for (let e = 0; e < interactions; e++) {
    const u = rng.int(users), i = users + rng.int(items);
    src[2 * e] = u; dst[2 * e] = i; src[2 * e + 1] = i; dst[2 * e + 1] = u;
  }
  return csrFromEdges(n, n, dst, src, (e, degree) => 1 / Math.sqrt(degree(dst[e]) * degree(src[e])));
}
