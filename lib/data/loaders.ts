/**
 * One entry point for both public layouts: detect, load, write, convert.
 *   lattice: DIR/5-core/{train,val,test}.json + DIR/image_feat.npy + DIR/text_feat.npy
 *   mmrec:   DIR/NAME.inter + DIR/image_feat.npy + DIR/text_feat.npy
 * Either may carry DIR/item_category.npy (DeepStyle categories), read when present.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DataError } from '../errors';
import { Dataset } from './dataset';
import { isLatticeDir, LATTICE_SUBDIR, readLattice, writeLattice } from './lattice';
import { findInterFile, interFiles, readMmrec, writeMmrec } from './mmrec';

export type Layout = 'lattice' | 'mmrec';
export const LAYOUTS: readonly Layout[] = ['lattice', 'mmrec'];

export interface LoadOptions {
  /** Force a layout instead of detecting it. */
  layout?: Layout;
  /** Receives warnings (dropped duplicates); default console.warn. */
  warn?: (message: string) => void;
}

/**
 * The layout of a data folder: 'lattice' when DIR/5-core/train.json exists, 'mmrec' when DIR holds
 * a .inter file. Both present is ambiguous and an error (pass `layout`); neither is an error that
 * says what was looked for.
 */
export function detectLayout(dir: string): Layout {
  if (!fs.existsSync(dir)) throw new DataError(dir, 'missing folder');
  if (!fs.statSync(dir).isDirectory()) throw new DataError(dir, 'not a folder (a data set is a folder in the LATTICE or MMRec layout)');
  const lattice = isLatticeDir(dir);
  const mmrec = interFiles(dir).length > 0;
  if (lattice && mmrec) {
    throw new DataError(dir, `holds both layouts (${LATTICE_SUBDIR}/train.json and ${interFiles(dir).join(', ')}); choose one with the layout option`);
  }
  if (lattice) return 'lattice';
  if (mmrec) return 'mmrec';
  throw new DataError(dir, `no data set found: expected ${path.join(LATTICE_SUBDIR, 'train.json')} (LATTICE layout) or a NAME.inter file (MMRec layout), each with image_feat.npy and text_feat.npy`);
}

export function loadDataset(dir: string, opts: LoadOptions = {}): Dataset {
  const layout = opts.layout ?? detectLayout(dir);
  if (layout === 'lattice') return readLattice(dir, { warn: opts.warn });
  if (layout === 'mmrec') {
    const file = findInterFile(dir);
    return readMmrec(dir, { warn: opts.warn, interFile: file });
  }
  throw new DataError(dir, `unknown layout ${JSON.stringify(layout)} (expected one of ${LAYOUTS.join(', ')})`);
}

/** Writes `ds` into `dir` (created if needed) in the given layout. Returns the folder. */
export function writeDataset(ds: Dataset, dir: string, layout: Layout): string {
  fs.mkdirSync(dir, { recursive: true });
  if (layout === 'lattice') writeLattice(ds, dir);
  else if (layout === 'mmrec') writeMmrec(ds, dir);
  else throw new DataError(dir, `unknown layout ${JSON.stringify(layout)} (expected one of ${LAYOUTS.join(', ')})`);
  return dir;
}

/** Loads `fromDir` (either layout, detected) and writes it to `toDir` in `layout`. */
export function convertDataset(fromDir: string, toDir: string, layout: Layout, opts: LoadOptions = {}): Dataset {
  if (path.resolve(fromDir) === path.resolve(toDir)) {
    throw new DataError(toDir, 'convert needs a different output folder than its input');
  }
  const ds = loadDataset(fromDir, opts);
  writeDataset(ds, toDir, layout);
  return ds;
}
