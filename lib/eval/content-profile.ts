import { Dataset, Modality } from '../data/dataset';
import { evaluateRanking, EvaluationResult } from './evaluate';

/**
 * The content-profile baseline: how far one modality's features alone can rank, with nothing
 * trained. Each feature column is centred on its item mean, each item's row scaled to unit
 * length, and a user's profile is the mean of the rows of its train items:
 *
 *   x_i = (f_i - mean_j f_j) / |f_i - mean_j f_j|,   p_u = (1 / |I_u|) sum_{i in I_u} x_i,
 *   score(u, i) = <p_u, x_i>
 *
 * (the mean cosine similarity of item i to the user's train items). It knows nothing about item
 * IDs: an item is reached only through its features. Beside MostPop (popularity only) and
 * BPR-MF (IDs only, trained) it says how much of the ranking the content can carry on a data
 * set: a precondition of the modality-balancing methods, measured without running any of them.
 * Ranked through the same full-ranking path as the models (own train items excluded).
 */
export async function contentProfileBaseline(data: Dataset, modality: Modality, split: 'val' | 'test', ks: number[]): Promise<EvaluationResult> {
  const f = data.features[modality];
  const { rows, cols } = f;
  const mean = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let c = 0; c < cols; c++) mean[c] += f.data[i * cols + c];
  for (let c = 0; c < cols; c++) mean[c] /= rows;
  const item = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    let norm = 0;
    for (let c = 0; c < cols; c++) { const x = f.data[i * cols + c] - mean[c]; norm += x * x; }
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let c = 0; c < cols; c++) item[i * cols + c] = (f.data[i * cols + c] - mean[c]) * scale;
  }
  const user = new Float32Array(data.numUsers * cols);
  const acc = new Float64Array(cols);
  for (let u = 0; u < data.numUsers; u++) {
    const start = data.train.indptr[u];
    const end = data.train.indptr[u + 1];
    if (end === start) continue; // no profile: every item scores 0 (ties broken by item id)
    acc.fill(0);
    for (let e = start; e < end; e++) {
      const i = data.train.items[e];
      for (let c = 0; c < cols; c++) acc[c] += item[i * cols + c];
    }
    for (let c = 0; c < cols; c++) user[u * cols + c] = acc[c] / (end - start);
  }
  return evaluateRanking({ userEmb: user, itemEmb: item, dim: cols, exclude: data.train, targets: data[split], ks });
}
