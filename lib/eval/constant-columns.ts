import { Embeddings } from './tensors';

/**
 * Removes the columns in which every item has the same value. Such a column k adds
 * userEmb[u, k] * c_k to all of user u's scores alike, so no ranking depends on it: VBPR and
 * DeepStyle under an ablation mask carry one such block per ablated modality (the mean item
 * content; a third of the scoring work). Scores then differ from the full ones by that per-user
 * constant and by float rounding only. Returns the input itself when no column is constant.
 */
export function dropConstantItemColumns(emb: Embeddings): Embeddings {
  const { userEmb, itemEmb, dim } = emb;
  const numItems = itemEmb.length / dim;
  if (numItems < 2) return emb;
  const keep: number[] = [];
  for (let k = 0; k < dim; k++) {
    const first = itemEmb[k];
    let constant = true;
    for (let i = 1; i < numItems && constant; i++) constant = Object.is(itemEmb[i * dim + k], first);
    if (!constant) keep.push(k);
  }
  if (keep.length === dim || keep.length === 0) return emb;
  const pick = (src: Float32Array): Float32Array => {
    const rows = src.length / dim;
    const out = new Float32Array(rows * keep.length);
    for (let r = 0; r < rows; r++) for (let j = 0; j < keep.length; j++) out[r * keep.length + j] = src[r * dim + keep[j]];
    return out;
  };
  return { userEmb: pick(userEmb), itemEmb: pick(itemEmb), dim: keep.length };
}
