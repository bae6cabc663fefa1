import { checkRankingInput, numItemsOf, RankingInput, TopKLists } from './ranking-input';
import { gatherChunk, KernelRanker } from './topk-kernel';

/** Users handed to the kernel per call: bounds the kernel's memory and paces progress reports. */
export const CHUNK_USERS = 1024;

/**
 * Chunk ends for `total` users: 32, 64, ... doubling up to CHUNK_USERS. V8 runs a fresh wasm
 * module with its baseline compiler (about 6x slower here) and switches to optimised code only
 * between calls, once the function has run enough and the background compile is done; short
 * first calls keep a whole 1024-user chunk from running at baseline speed.
 */
export function chunkEnds(total: number): number[] {
  const ends: number[] = [];
  for (let end = 0, size = 32; end < total; size = Math.min(2 * size, CHUNK_USERS)) {
    end = Math.min(total, end + size);
    ends.push(end);
  }
  return ends;
}

export type ProgressFn = (doneUsers: number, totalUsers: number) => void;

/** Top-k items of each of `users` by full ranking, on this thread, with the wasm kernel. */
export function rankTopK(input: RankingInput, users: Int32Array, k: number, onProgress?: ProgressFn): TopKLists {
  checkRankingInput(input, users, k);
  const items = new Int32Array(users.length * k);
  const scores = new Float32Array(users.length * k);
  const ranker = new KernelRanker(input.itemEmb, numItemsOf(input), input.dim);
  try {
    let start = 0;
    for (const end of chunkEnds(users.length)) {
      const out = ranker.rank(gatherChunk(input, users, start, end), k);
      items.set(out.items, start * k);
      scores.set(out.scores, start * k);
      onProgress?.(end, users.length);
      start = end;
    }
  } finally {
    ranker.dispose();
  }
  return { k, users: users.slice(), items, scores };
}
