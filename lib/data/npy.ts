/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0), the format both public data layouts use for
 * item features. Supported: little-endian float32 / float64 (read into a Float32Array) and
 * int32 / int64 (read into an Int32Array, range-checked), C order, 1-D or 2-D.
 * Everything else is a DataError naming the file and the problem: big-endian data, Fortran order
 * (unless at most one dimension exceeds 1, where the bytes are the same), other dtypes, a corrupt
 * header, a declared size that does not match the bytes in the file. The size check runs on the
 * header alone, before anything is allocated, so a header declaring a huge shape costs nothing.
 * Data is read in chunks, so a 231 MB float64 file needs only its float32 result plus one chunk.
 * Trailing bytes after the data are an error too (numpy never writes them; they mean a wrong shape).
 */
import * as fs from 'fs';
import { DataError } from '../errors';

export type NpyDtype = 'float32' | 'float64' | 'int32' | 'int64';

export interface NpyHeader {
  dtype: NpyDtype;
  /** The descr string as written in the header, e.g. "<f8". */
  descr: string;
  shape: number[];
  /** Byte offset of the first data byte. */
  dataOffset: number;
  /** Format version, e.g. "1.0". */
  version: string;
}

export interface NpyArray<T extends Float32Array | Int32Array> {
  /** The dtype stored in the file (float64 data comes back as float32). */
  dtype: NpyDtype;
  shape: number[];
  data: T;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ITEMSIZE: Record<NpyDtype, number> = { float32: 4, float64: 8, int32: 4, int64: 8 };
const DESCR: Record<NpyDtype, string> = { float32: '<f4', float64: '<f8', int32: '<i4', int64: '<i8' };
const CHUNK_BYTES = 1 << 24; // 16 MiB

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reads and checks the header of an .npy file (including that the file holds exactly the declared data). */
export function readNpyHeader(file: string): NpyHeader {
  const fd = openForRead(file);
  try {
    return readHeaderFd(fd, file);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a float32 or float64 array (1-D or 2-D) into a Float32Array. */
export function readNpyFloat32(file: string): NpyArray<Float32Array> {
  const fd = openForRead(file);
  try {
    const h = readHeaderFd(fd, file);
    if (h.dtype !== 'float32' && h.dtype !== 'float64') {
      throw new DataError(file, `expected float32 or float64 data, found dtype '${h.descr}' (${h.dtype})`);
    }
    const n = count(h.shape);
    const out = new Float32Array(n);
    if (h.dtype === 'float32') {
      readExact(fd, file, new Uint8Array(out.buffer), h.dataOffset);
    } else {
      convertChunks(fd, file, h.dataOffset, n, 8, (bytes, start, len) => {
        const src = new Float64Array(bytes.buffer, 0, len);
        for (let k = 0; k < len; k++) out[start + k] = src[k];
      });
    }
    return { dtype: h.dtype, shape: h.shape, data: out };
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads an int32 or int64 array (1-D or 2-D) into an Int32Array; int64 values must fit in int32. */
export function readNpyInt32(file: string): NpyArray<Int32Array> {
  const fd = openForRead(file);
  try {
    const h = readHeaderFd(fd, file);
    if (h.dtype !== 'int32' && h.dtype !== 'int64') {
      throw new DataError(file, `expected int32 or int64 data, found dtype '${h.descr}' (${h.dtype})`);
    }
    const n = count(h.shape);
    const out = new Int32Array(n);
    if (h.dtype === 'int32') {
      readExact(fd, file, new Uint8Array(out.buffer), h.dataOffset);
    } else {
      convertChunks(fd, file, h.dataOffset, n, 8, (bytes, start, len) => {
        const src = new BigInt64Array(bytes.buffer, 0, len);
        for (let k = 0; k < len; k++) {
          const v = src[k];
          if (v > 2147483647n || v < -2147483648n) {
            throw new DataError(file, `int64 value ${v} at index ${start + k} does not fit in int32`);
          }
          out[start + k] = Number(v);
        }
      });
    }
    return { dtype: h.dtype, shape: h.shape, data: out };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes a 1-D or 2-D array in .npy format 1.0, C order, little-endian:
 * Float32Array as '<f4', Float64Array as '<f8', Int32Array as '<i4'.
 */
export function writeNpy(file: string, data: Float32Array | Float64Array | Int32Array, shape: number[]): void {
  if (shape.length < 1 || shape.length > 2 || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new DataError(file, `cannot write shape (${shape.join(', ')}): only 1-D or 2-D non-negative shapes`);
  }
  if (count(shape) !== data.length) {
    throw new DataError(file, `cannot write: shape (${shape.join(', ')}) needs ${count(shape)} values, got ${data.length}`);
  }
  const dtype: NpyDtype = data instanceof Float32Array ? 'float32' : data instanceof Float64Array ? 'float64' : 'int32';
  const header = encodeHeader(DESCR[dtype], shape);
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (!LITTLE_ENDIAN_HOST) throw new DataError(file, 'writing .npy needs a little-endian host');
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, header);
    let off = 0;
    while (off < body.length) {
      off += fs.writeSync(fd, body, off, Math.min(CHUNK_BYTES, body.length - off));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The header bytes (magic, version 1.0, length, dict padded to a multiple of 64 bytes). */
export function encodeHeader(descr: string, shape: number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + dict.length + 1;
  dict += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const buf = Buffer.alloc(10 + dict.length);
  MAGIC.forEach((b, i) => (buf[i] = b));
  buf[6] = 1;
  buf[7] = 0;
  buf.writeUInt16LE(dict.length, 8);
  buf.write(dict, 10, 'latin1');
  return buf;
}

// ---------------------------------------------------------------------------------------------

function openForRead(file: string): number {
  try {
    return fs.openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(file, code === 'ENOENT' ? 'missing file' : `cannot open (${code ?? String(e)})`);
  }
}

function count(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function readHeaderFd(fd: number, file: string): NpyHeader {
  if (!LITTLE_ENDIAN_HOST) throw new DataError(file, 'reading .npy needs a little-endian host');
  const size = fs.fstatSync(fd).size;
  const pre = Buffer.alloc(12);
  const got = fs.readSync(fd, pre, 0, 12, 0);
  if (got < 10 || !MAGIC.every((b, i) => pre[i] === b)) {
    throw new DataError(file, 'not an .npy file (corrupt header: the magic string \\x93NUMPY is missing)');
  }
  const major = pre[6];
  const minor = pre[7];
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = pre.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (got < 12) throw new DataError(file, 'corrupt header: file ends inside the header length');
    headerLen = pre.readUInt32LE(8);
    start = 12;
  } else {
    throw new DataError(file, `unsupported .npy format version ${major}.${minor}`);
  }
  if (start + headerLen > size) {
    throw new DataError(file, `corrupt header: declares ${headerLen} header bytes but the file has only ${size - start} after the length field`);
  }
  const hb = Buffer.alloc(headerLen);
  fs.readSync(fd, hb, 0, headerLen, start);
  const text = hb.toString(major === 3 ? 'utf8' : 'latin1');
  let dict: Record<string, PyValue>;
  try {
    const v = parsePyLiteral(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('the header is not a dict');
    dict = v as Record<string, PyValue>;
  } catch (e) {
    throw new DataError(file, `corrupt header: ${(e as Error).message} in ${JSON.stringify(text.trim().slice(0, 120))}`);
  }
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!(key in dict)) throw new DataError(file, `corrupt header: no '${key}' key`);
  }
  const descr = dict.descr;
  if (typeof descr !== 'string') {
    throw new DataError(file, 'unsupported dtype: structured arrays (a list descr) are not supported');
  }
  const shapeV = dict.shape;
  if (!Array.isArray(shapeV) || shapeV.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    throw new DataError(file, `corrupt header: shape ${JSON.stringify(shapeV)} is not a tuple of non-negative integers`);
  }
  const shape = shapeV as number[];
  if (shape.length < 1 || shape.length > 2) {
    throw new DataError(file, `unsupported shape (${shape.join(', ')}): only 1-D and 2-D arrays are supported`);
  }
  if (typeof dict.fortran_order !== 'boolean') throw new DataError(file, 'corrupt header: fortran_order is not True/False');
  if (dict.fortran_order && shape.filter((d) => d > 1).length > 1) {
    throw new DataError(file, `Fortran-order (column-major) data is not supported; re-save it with np.ascontiguousarray`);
  }
  const dtype = parseDescr(file, descr);
  const dataOffset = start + headerLen;
  const expected = count(shape) * ITEMSIZE[dtype];
  const available = size - dataOffset;
  const shapeText = `(${shape.join(', ')})`;
  if (available < expected) {
    throw new DataError(file, `truncated data: the header declares shape ${shapeText} of ${descr} = ${expected} bytes, but only ${available} bytes follow the header`);
  }
  if (available > expected) {
    throw new DataError(file, `${available - expected} unexpected bytes after the data declared by the header (shape ${shapeText} of ${descr} = ${expected} bytes)`);
  }
  return { dtype, descr, shape, dataOffset, version: `${major}.${minor}` };
}

function parseDescr(file: string, descr: string): NpyDtype {
  const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  if (!m) throw new DataError(file, `unsupported dtype '${descr}'`);
  const [, order, kind, bytes] = m;
  const size = Number(bytes);
  if (order === '>' && size > 1) {
    throw new DataError(file, `big-endian data ('${descr}') is not supported; convert it with arr.astype(arr.dtype.newbyteorder('<'))`);
  }
  if (kind === 'f' && size === 4) return 'float32';
  if (kind === 'f' && size === 8) return 'float64';
  if (kind === 'i' && size === 4) return 'int32';
  if (kind === 'i' && size === 8) return 'int64';
  throw new DataError(file, `unsupported dtype '${descr}' (supported: float32, float64, int32, int64)`);
}

/** Fills `target` from the file at `offset`. */
function readExact(fd: number, file: string, target: Uint8Array, offset: number): void {
  let done = 0;
  while (done < target.length) {
    const n = fs.readSync(fd, target, done, Math.min(CHUNK_BYTES, target.length - done), offset + done);
    if (n <= 0) throw new DataError(file, `truncated data: file ended after ${done} of ${target.length} data bytes`);
    done += n;
  }
}

/** Reads `n` items of `itemsize` bytes in chunks, handing each aligned chunk to `sink`. */
function convertChunks(fd: number, file: string, offset: number, n: number, itemsize: number,
  sink: (bytes: Uint8Array, start: number, len: number) => void): void {
  const per = Math.max(1, Math.floor(CHUNK_BYTES / itemsize));
  const buf = new Uint8Array(Math.min(per, Math.max(n, 1)) * itemsize);
  for (let start = 0; start < n; start += per) {
    const len = Math.min(per, n - start);
    readExact(fd, file, buf.subarray(0, len * itemsize), offset + start * itemsize);
    sink(buf, start, len);
  }
}

// A tiny parser for the Python literal in an .npy header: a dict of str keys with str, bool, int
// and tuple values (Python 2 numpy wrote ints with an L suffix, e.g. (7050L, 4096L)).
type PyValue = string | number | boolean | null | PyValue[] | { [k: string]: PyValue };

function parsePyLiteral(text: string): PyValue {
  let i = 0;
  const ws = () => { while (i < text.length && /\s/.test(text[i])) i++; };
  const fail = (what: string): never => { throw new Error(`${what} at character ${i}`); };
  const value = (): PyValue => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, PyValue> = {};
      for (;;) {
        ws();
        if (text[i] === '}') { i++; return out; }
        const k = value();
        if (typeof k !== 'string') fail('a dict key is not a string');
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        out[k as string] = value();
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return out; }
        fail("expected ',' or '}'");
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const out: PyValue[] = [];
      for (;;) {
        ws();
        if (text[i] === close) { i++; return out; }
        out.push(value());
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === close) { i++; return out; }
        fail(`expected ',' or '${close}'`);
      }
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const m = /^(True|False|None|-?\d+L?)/.exec(text.slice(i));
    if (!m) return fail('unexpected token');
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0].replace('L', ''));
  };
  const v = value();
  ws();
  if (i !== text.length) fail('unexpected text after the dict');
  return v;
}
