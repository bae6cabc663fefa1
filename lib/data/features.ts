/**
 * Item feature files and the optional item-category file, shared by both layouts:
 *   DIR/image_feat.npy  (visual; 4,096-d CNN features; float64 in the public LATTICE and MMRec releases)
 *   DIR/text_feat.npy   (text; sentence embeddings; float32 in the public releases)
 *   DIR/item_category.npy (optional, ours: int32/int64, one category id >= 0 per item, for DeepStyle)
 * One row per item. Features are read into float32 and must be finite (a NaN/Inf names its row).
 */
import * as fs from 'fs';
import * as path from 'path';
import { DataError } from '../errors';
import { FeatureMatrix, Modality } from './dataset';
import { readNpyFloat32, readNpyInt32, writeNpy } from './npy';

export const FEATURE_FILES: Record<Modality, string> = { visual: 'image_feat.npy', text: 'text_feat.npy' };
export const CATEGORY_FILE = 'item_category.npy';

/** Reads a 2-D float feature matrix and checks it is non-empty and finite. */
export function readFeatureMatrix(file: string): FeatureMatrix {
  const arr = readNpyFloat32(file);
  if (arr.shape.length !== 2) {
    throw new DataError(file, `features must be a 2-D array (items x dims), found shape (${arr.shape.join(', ')})`);
  }
  const [rows, cols] = arr.shape;
  if (rows === 0 || cols === 0) throw new DataError(file, `features are empty: shape (${rows}, ${cols})`);
  const data = arr.data;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = data[base + c];
      if (!Number.isFinite(v)) {
        throw new DataError(file, `row ${r} (item ${r}) column ${c} is ${Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf'}`
          + (arr.dtype === 'float64' && !Number.isNaN(v) ? ' (possibly a float64 value too large for float32)' : ''));
      }
    }
  }
  return { rows, cols, data };
}

/** Reads both modalities' features from `dir` and checks they have the same number of rows. */
export function readFeatures(dir: string): Record<Modality, FeatureMatrix> {
  const visualFile = path.join(dir, FEATURE_FILES.visual);
  const textFile = path.join(dir, FEATURE_FILES.text);
  const visual = readFeatureMatrix(visualFile);
  const text = readFeatureMatrix(textFile);
  if (visual.rows !== text.rows) {
    throw new DataError(textFile, `has ${text.rows} rows (items) but ${FEATURE_FILES.visual} has ${visual.rows}; both need one row per item`);
  }
  return { visual, text };
}

/** Reads DIR/item_category.npy when present (else undefined): 1-D (or n x 1) ints >= 0, one per item. */
export function readItemCategories(dir: string, numItems: number): Int32Array | undefined {
  const file = path.join(dir, CATEGORY_FILE);
  if (!fs.existsSync(file)) return undefined;
  const arr = readNpyInt32(file);
  if (!(arr.shape.length === 1 || (arr.shape.length === 2 && arr.shape[1] === 1))) {
    throw new DataError(file, `item categories must be a 1-D array, found shape (${arr.shape.join(', ')})`);
  }
  if (arr.data.length !== numItems) {
    throw new DataError(file, `has ${arr.data.length} entries but the data set has ${numItems} items (one category per item)`);
  }
  for (let i = 0; i < arr.data.length; i++) {
    if (arr.data[i] < 0) throw new DataError(file, `item ${i} has negative category ${arr.data[i]}`);
  }
  return arr.data;
}

export function writeFeatures(dir: string, features: Record<Modality, FeatureMatrix>, itemCategories?: Int32Array): void {
  for (const m of ['visual', 'text'] as Modality[]) {
    const f = features[m];
    writeNpy(path.join(dir, FEATURE_FILES[m]), f.data, [f.rows, f.cols]);
  }
  if (itemCategories) writeNpy(path.join(dir, CATEGORY_FILE), itemCategories, [itemCategories.length]);
}
