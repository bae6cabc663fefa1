import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { readNpyFloat32, readNpyHeader, readNpyInt32, writeNpy, encodeHeader } from '../lib/data/npy';
import { assertDataError, cleanupTmp, tmpDir, writeRawNpy } from './data-fixtures';

// Bytes numpy 2.4 writes for np.save(f, (np.arange(6, dtype=np.float32) / 4).reshape(2, 3)):
// header only (the 24 data bytes follow). Our writer must produce exactly these bytes.
const NUMPY_F4_2x3_HEADER =
  '934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a';

function f32bytes(a: number[]): Uint8Array { return new Uint8Array(Float32Array.from(a).buffer); }

describe('data/npy', () => {
  let dir: string;
  beforeEach(() => { dir = tmpDir(); });
  after(cleanupTmp);

  it('writes headers byte-identical to numpy', () => {
    assert.strictEqual(encodeHeader('<f4', [2, 3]).toString('hex'), NUMPY_F4_2x3_HEADER);
    const f = path.join(dir, 'a.npy');
    writeNpy(f, Float32Array.from([0, 1, 2, 3, 4, 5].map((x) => x / 4)), [2, 3]);
    const bytes = fs.readFileSync(f);
    assert.strictEqual(bytes.length, 128 + 24);
    assert.strictEqual(bytes.subarray(0, 128).toString('hex'), NUMPY_F4_2x3_HEADER);
  });

  it('round-trips float32 2-D and 1-D', () => {
    const f = path.join(dir, 'f32.npy');
    const data = Float32Array.from([1.5, -2, 3.25, 0, 1e-7, 65504]);
    writeNpy(f, data, [3, 2]);
    const r = readNpyFloat32(f);
    assert.deepStrictEqual(r.shape, [3, 2]);
    assert.strictEqual(r.dtype, 'float32');
    assert.deepStrictEqual(Array.from(r.data), Array.from(data));
    writeNpy(f, data, [6]);
    assert.deepStrictEqual(readNpyFloat32(f).shape, [6]);
    assert.strictEqual(readNpyHeader(f).dataOffset % 64, 0);
  });

  it('reads float64 into float32', () => {
    const f = path.join(dir, 'f64.npy');
    const data = Float64Array.from([0.1, -2.5, 1e300 / 1e300, 3]);
    writeNpy(f, data, [2, 2]);
    const r = readNpyFloat32(f);
    assert.strictEqual(r.dtype, 'float64');
    assert.ok(r.data instanceof Float32Array);
    assert.deepStrictEqual(Array.from(r.data), Array.from(Float32Array.from(data)));
  });

  it('round-trips int32 and reads int64 with a range check', () => {
    const f = path.join(dir, 'i.npy');
    writeNpy(f, Int32Array.from([3, -1, 2147483647]), [3]);
    assert.deepStrictEqual(Array.from(readNpyInt32(f).data), [3, -1, 2147483647]);
    const f8 = path.join(dir, 'i8.npy');
    writeRawNpy(f8, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", new Uint8Array(BigInt64Array.from([5n, 0n, -7n]).buffer));
    const r = readNpyInt32(f8);
    assert.strictEqual(r.dtype, 'int64');
    assert.deepStrictEqual(Array.from(r.data), [5, 0, -7]);
    writeRawNpy(f8, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(BigInt64Array.from([1n, 1n << 40n]).buffer));
    assertDataError(() => readNpyInt32(f8), f8, /int64 value 1099511627776 at index 1 does not fit in int32/);
  });

  it('reads format 2.0 headers, Python 2 long ints, and 1-D Fortran order', () => {
    const f = path.join(dir, 'v2.npy');
    writeRawNpy(f, "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 1L), }", f32bytes([4, 5]), 2);
    const r = readNpyFloat32(f);
    assert.deepStrictEqual(r.shape, [2, 1]);
    assert.deepStrictEqual(Array.from(r.data), [4, 5]);
    writeRawNpy(f, "{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }", f32bytes([1, 2, 3]));
    assert.deepStrictEqual(Array.from(readNpyFloat32(f).data), [1, 2, 3]);
  });

  describe('bad files are DataErrors naming the file and the problem', () => {
    const cases: [string, string, Uint8Array, RegExp][] = [
      ['big-endian', "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(8), /big-endian/],
      ['Fortran order', "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", new Uint8Array(24), /Fortran-order/],
      ['float16', "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(4), /unsupported dtype '<f2'/],
      ['complex', "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(16), /unsupported dtype '<c8'/],
      ['structured', "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", new Uint8Array(8), /structured/],
      ['3-D', "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 2), }", new Uint8Array(8), /only 1-D and 2-D/],
      ['scalar', "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", new Uint8Array(4), /only 1-D and 2-D/],
      ['truncated', "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", new Uint8Array(20), /truncated data: .*shape \(2, 3\).*24 bytes.*only 20/],
      ['trailing bytes', "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(12), /4 unexpected bytes after the data/],
      ['corrupt dict', "{'descr': '<f4', 'fortran_order': False, 'shape': (2, }", new Uint8Array(8), /corrupt header/],
      ['no shape key', "{'descr': '<f4', 'fortran_order': False, }", new Uint8Array(8), /corrupt header: no 'shape' key/],
      ['negative shape', "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", new Uint8Array(8), /corrupt header: shape/],
      ['huge shape', "{'descr': '<f8', 'fortran_order': False, 'shape': (4000000000, 4096), }", new Uint8Array(8), /truncated data: the header declares shape \(4000000000, 4096\)/],
    ];
    for (const [name, dict, body, re] of cases) {
      it(name, () => {
        const f = path.join(dir, `${name.replace(/\W/g, '_')}.npy`);
        writeRawNpy(f, dict, body);
        assertDataError(() => readNpyFloat32(f), f, re);
      });
    }

    it('a huge declared shape is rejected before allocating', () => {
      const f = path.join(dir, 'huge.npy');
      writeRawNpy(f, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000), }", new Uint8Array(16));
      const t = Date.now();
      assertDataError(() => readNpyFloat32(f), f, /truncated data/);
      assert.ok(Date.now() - t < 1000);
    });

    it('bad magic, unknown version, header longer than the file, missing file, wrong kind', () => {
      const f = path.join(dir, 'bad.npy');
      fs.writeFileSync(f, 'hello, this is not numpy');
      assertDataError(() => readNpyFloat32(f), f, /not an \.npy file/);
      fs.writeFileSync(f, Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 9, 0, 0, 0]));
      assertDataError(() => readNpyFloat32(f), f, /unsupported \.npy format version 9\.0/);
      fs.writeFileSync(f, Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0xff, 0x00, 0x7b]));
      assertDataError(() => readNpyFloat32(f), f, /corrupt header: declares 255 header bytes/);
      fs.writeFileSync(f, Buffer.from([0x93, 0x4e, 0x55]));
      assertDataError(() => readNpyFloat32(f), f, /not an \.npy file/);
      const missing = path.join(dir, 'nope.npy');
      assertDataError(() => readNpyFloat32(missing), missing, /missing file/);
      writeNpy(f, Int32Array.from([1, 2]), [2]);
      assertDataError(() => readNpyFloat32(f), f, /expected float32 or float64 data, found dtype '<i4'/);
      writeNpy(f, Float32Array.from([1, 2]), [2]);
      assertDataError(() => readNpyInt32(f), f, /expected int32 or int64 data, found dtype '<f4'/);
    });
  });
});
