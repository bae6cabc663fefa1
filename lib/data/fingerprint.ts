import { createHash } from 'crypto';
import { Dataset, MODALITIES, SPLITS } from './dataset';

/**
 * SHA-256 over the splits and the features (first 16 hex digits): equal fingerprints mean equal
 * data. Teachers and checkpoints record it to refuse other data; run records carry it.
 */
export function datasetFingerprint(ds: Dataset): string {
  const h = createHash('sha256');
  h.update(`${ds.numUsers}x${ds.numItems}`);
  for (const s of SPLITS) {
    h.update(Buffer.from(ds[s].indptr.buffer, ds[s].indptr.byteOffset, ds[s].indptr.byteLength));
    h.update(Buffer.from(ds[s].items.buffer, ds[s].items.byteOffset, ds[s].items.byteLength));
  }
  for (const m of MODALITIES) {
    const f = ds.features[m];
    h.update(`${m}:${f.rows}x${f.cols}`);
    h.update(Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength));
  }
  return h.digest('hex').slice(0, 16);
}
