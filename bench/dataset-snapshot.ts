/**
 * A Dataset as one binary file, bit for bit (same fingerprint), for handing a generated data set
 * to bench/run.ts's child processes: reading it takes a fraction of a second where generating the
 * baby-scale preset takes ~30 s. Layout: a 4-byte little-endian header length, the JSON header
 * (name, sizes, and each array's key, type, length and byte offset), then the arrays, 4-byte aligned.
 * A scratch format of the benchmark, not a data set layout (lib/data has those).
 */
import * as fs from 'fs';
import { Dataset, MODALITIES, SPLITS } from '../lib/data/dataset';

type ArrayType = 'int32' | 'float32';
interface ArrayEntry { key: string; type: ArrayType; length: number; offset: number }
interface Header {
  name: string;
  source: string;
  numUsers: number;
  numItems: number;
  featureShapes: Record<string, [number, number]>;
  arrays: ArrayEntry[];
}

function arraysOf(ds: Dataset): [string, Int32Array | Float32Array][] {
  const out: [string, Int32Array | Float32Array][] = [];
  for (const s of SPLITS) out.push([`${s}.indptr`, ds[s].indptr], [`${s}.items`, ds[s].items]);
  for (const m of MODALITIES) out.push([`features.${m}`, ds.features[m].data]);
  if (ds.itemCategories) out.push(['itemCategories', ds.itemCategories]);
  return out;
}

export function writeSnapshot(ds: Dataset, file: string): void {
  const arrays = arraysOf(ds);
  let offset = 0;
  const entries: ArrayEntry[] = arrays.map(([key, a]) => {
    const e: ArrayEntry = { key, type: a instanceof Float32Array ? 'float32' : 'int32', length: a.length, offset };
    offset += a.byteLength; // 4-byte elements keep every offset aligned
    return e;
  });
  const featureShapes = Object.fromEntries(MODALITIES.map(m => [m, [ds.features[m].rows, ds.features[m].cols] as [number, number]]));
  const header: Header = { name: ds.name, source: ds.source, numUsers: ds.numUsers, numItems: ds.numItems, featureShapes, arrays: entries };
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  json = Buffer.concat([json, Buffer.alloc((4 - (json.length % 4)) % 4, 0x20)]);
  const fd = fs.openSync(file, 'w');
  try {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(json.length, 0);
    fs.writeSync(fd, len);
    fs.writeSync(fd, json);
    for (const [, a] of arrays) fs.writeSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  } finally {
    fs.closeSync(fd);
  }
}

export function readSnapshot(file: string): Dataset {
  const buf = fs.readFileSync(file);
  const headerLength = buf.readUInt32LE(0);
  const header = JSON.parse(buf.toString('utf8', 4, 4 + headerLength)) as Header;
  const base = 4 + headerLength;
  const get = (key: string): Int32Array | Float32Array | undefined => {
    const e = header.arrays.find(a => a.key === key);
    if (!e) return undefined;
    const bytes = buf.buffer.slice(buf.byteOffset + base + e.offset, buf.byteOffset + base + e.offset + 4 * e.length);
    return e.type === 'float32' ? new Float32Array(bytes) : new Int32Array(bytes);
  };
  const need = <T>(key: string): T => {
    const a = get(key);
    if (!a) throw new Error(`${file}: dataset snapshot lacks '${key}'`);
    return a as unknown as T;
  };
  const lists = (s: string) => ({ indptr: need<Int32Array>(`${s}.indptr`), items: need<Int32Array>(`${s}.items`) });
  const feature = (m: string) => {
    const [rows, cols] = header.featureShapes[m];
    return { rows, cols, data: need<Float32Array>(`features.${m}`) };
  };
  const ds: Dataset = {
    name: header.name, source: header.source, numUsers: header.numUsers, numItems: header.numItems,
    train: lists('train'), val: lists('val'), test: lists('test'),
    features: { visual: feature('visual'), text: feature('text') },
  };
  const categories = get('itemCategories');
  if (categories) ds.itemCategories = categories as Int32Array;
  return ds;
}
