/**
 * DeepStyle (Liu, Wu, Wang, SIGIR 2017) in the two-modality, VBPR-shaped layout of our decision
 * (docs/backbones.md, section DeepStyle; no public two-modality code exists):
 *   user = [x_u | p_u^v | p_u^t], item = [x_i | s_i^v | s_i^t], s_i^m = E_m f_i^m - l^m_{c(i)},
 * E_m linear without bias, l^m a learned vector per item category. The style term removes
 * what the category explains from the item's content, as in the original single-modality model.
 * Categories: the data set's item_category.npy when present; otherwise seeded k-means on the text
 * features with `categories` clusters (default min(32, items/10)); per-item categories would
 * reduce DeepStyle to VBPR, so we never use them.
 * Ablation replaces the whole style term s^m (features and category term) by its item mean, so
 * the category term cannot leak the ablated modality; and p^m by its user mean, as for VBPR.
 * Loss, initialisation and parameter groups as VBPR (category vectors join their modality's group).
 * Hyper-parameters: VBPR's (reg) and categories (DEEPSTYLE_PARAMS).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, Modality } from '../data/dataset';
import { Rng } from '../engine/random';
import { Matrix, xavierUniform } from '../nn/init';
import { gatherRows, repeatRow } from '../nn/rows';
import { BackboneOptions, ModalityMask, keeps } from './backbone';
import { kmeans } from './kmeans';
import { VBPR_PARAMS, Vbpr } from './vbpr';
import { int } from '../options/spec';

/** DeepStyle's hyper-parameters (opts.params), declared once (lib/models/params.ts): VBPR's and the category count. */
export const DEEPSTYLE_PARAMS = {
  ...VBPR_PARAMS,
  categories: int(0, 'k-means item categories when the data set has no item_category.npy (0: min(32, items / 10))', { min: 0 }),
} as const;

export function deepStyleCategories(data: Dataset, opts: BackboneOptions): { ids: Int32Array; count: number } {
  if (data.itemCategories) {
    let count = 0;
    for (const c of data.itemCategories) count = Math.max(count, c + 1);
    return { ids: data.itemCategories, count };
  }
  const count = opts.params?.categories || Math.max(1, Math.min(32, Math.floor(data.numItems / 10)));
  return { ids: kmeans(data.features.text, count, new Rng(opts.seed).fork('deepstyle-kmeans')), count };
}

export class DeepStyle extends Vbpr {
  override readonly name = 'deepstyle';
  private readonly categoryIds: Int32Array;
  /** Category frequencies (1 x C), for the item mean of the category term. */
  private readonly categoryShare: tf.Tensor2D;
  private readonly categoryVectors: Record<Modality, Matrix>;

  constructor(data: Dataset, opts: BackboneOptions) {
    super(data, opts, { projectionBias: false, params: DEEPSTYLE_PARAMS, model: 'deepstyle' });
    const { ids, count } = deepStyleCategories(data, opts);
    this.categoryIds = ids;
    const share = new Float32Array(count);
    for (const c of ids) share[c] += 1 / ids.length;
    this.categoryShare = tf.tensor2d(share, [1, count]);
    const rng = new Rng(opts.seed).fork('deepstyle');
    this.categoryVectors = {
      visual: xavierUniform(rng.fork('cat_v'), count, this.dim),
      text: xavierUniform(rng.fork('cat_t'), count, this.dim),
    };
    this.groups.visual.push(this.categoryVectors.visual);
    this.groups.text.push(this.categoryVectors.text);
  }

  protected override itemContent(m: Modality, mask: ModalityMask, items: Int32Array | undefined): tf.Tensor2D {
    return tf.tidy(() => {
      const w = this.proj[m].w;
      const table = this.categoryVectors[m];
      if (keeps(mask, m)) {
        const cats = items ? Int32Array.from(items, i => this.categoryIds[i]) : this.categoryIds;
        return tf.sub(this.features[m].project(w, null, items), gatherRows(table, cats)) as tf.Tensor2D;
      }
      // The item mean of the style term: mean(f) E - sum_c share_c l_c.
      const meanStyle = tf.sub(this.features[m].projectMean(w, null), tf.matMul(this.categoryShare, table));
      return repeatRow(meanStyle as tf.Tensor2D, items ? items.length : this.features[m].rows);
    });
  }

  override dispose(): void {
    super.dispose();
    this.categoryShare.dispose();
  }
}
