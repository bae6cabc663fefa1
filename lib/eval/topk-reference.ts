import { itemsOf } from '../data/dataset';
import { numItemsOf, RankingInput, TopKLists } from './ranking-input';

/**
 * The score the kernel computes, in the same float32 arithmetic: products and sums rounded to
 * float32 one at a time, in k order. Equal bit for bit to kernels/rank.c.
 */
export function scoreF32(userEmb: Float32Array, u: number, itemEmb: Float32Array, i: number, dim: number): number {
  let acc = 0;
  const a = u * dim, b = i * dim;
  for (let kk = 0; kk < dim; kk++) acc = Math.fround(acc + Math.fround(userEmb[a + kk] * itemEmb[b + kk]));
  return acc;
}

/**
 * Brute force: score every item, drop excluded ones, sort everything (score descending, item id
 * ascending). Slow; the ground truth for tests of the kernel.
 */
export function rankTopKReference(input: RankingInput, users: Int32Array, k: number): TopKLists {
  const { userEmb, itemEmb, dim, exclude } = input;
  const numItems = numItemsOf(input);
  const items = new Int32Array(users.length * k).fill(-1);
  const scores = new Float32Array(users.length * k).fill(-Infinity);
  for (let r = 0; r < users.length; r++) {
    const u = users[r];
    const excluded = new Set(itemsOf(exclude, u));
    const cand: { item: number; score: number }[] = [];
    for (let i = 0; i < numItems; i++) if (!excluded.has(i)) cand.push({ item: i, score: scoreF32(userEmb, u, itemEmb, i, dim) });
    cand.sort((x, y) => (y.score - x.score) || (x.item - y.item));
    for (let j = 0; j < Math.min(k, cand.length); j++) {
      items[r * k + j] = cand[j].item;
      scores[r * k + j] = cand[j].score;
    }
  }
  return { k, users: users.slice(), items, scores };
}
