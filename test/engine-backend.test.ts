import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import * as backendModule from '../lib/engine/backend';
import { CkdError } from '../lib/errors';

/** A fresh copy of lib/engine/backend (its "initialised" state starts empty). */
function freshBackendModule(): typeof backendModule {
  const file = require.resolve('../lib/engine/backend');
  delete require.cache[file];
  try { return require(file); } finally { delete require.cache[file]; }
}

function captureStderr<T>(f: () => Promise<T>): Promise<{ value: T; text: string }> {
  const write = process.stderr.write;
  let text = '';
  process.stderr.write = ((chunk: string | Uint8Array) => { text += String(chunk); return true; }) as typeof process.stderr.write;
  return f().then(
    (value) => { process.stderr.write = write; return { value, text }; },
    (e) => { process.stderr.write = write; throw e; },
  );
}

// danfojs-node's override installs plain @tensorflow/tfjs under the name @tensorflow/tfjs-node:
// only a package that is what its name says is the native backend.
const nativeInstalled = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'].some((p) => {
  try { return require(`${p}/package.json`).name === p; } catch { return false; }
});

describe('engine backend selection', () => {
  const saved = process.env.CKD_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.CKD_BACKEND; else process.env.CKD_BACKEND = saved;
  });
  after(async () => { await tf.setBackend('wasm'); });

  it('picks a backend by itself, says which on one stderr line, and is idempotent', async () => {
    delete process.env.CKD_BACKEND;
    const engine = freshBackendModule();
    assert.throws(() => engine.currentBackend(), CkdError);
    const { value, text } = await captureStderr(() => engine.initEngine());
    assert.strictEqual(value, nativeInstalled ? 'tensorflow' : 'wasm');
    assert.strictEqual(engine.currentBackend(), value);
    assert.strictEqual(tf.getBackend(), value);
    assert.match(text, new RegExp(`^ckd engine: tfjs backend '${value}'[^\\n]*\\n$`));
    const again = await captureStderr(() => engine.initEngine());
    assert.strictEqual(again.value, value);
    assert.strictEqual(again.text, '');
  });

  it('honours CKD_BACKEND', async () => {
    process.env.CKD_BACKEND = 'cpu';
    const engine = freshBackendModule();
    const { value, text } = await captureStderr(() => engine.initEngine({ quiet: true }));
    assert.strictEqual(value, 'cpu');
    assert.strictEqual(engine.currentBackend(), 'cpu');
    assert.strictEqual(text, '');
  });

  it('lets opts.backend override CKD_BACKEND', async () => {
    process.env.CKD_BACKEND = 'cpu';
    const engine = freshBackendModule();
    assert.strictEqual(await engine.initEngine({ backend: 'wasm', quiet: true }), 'wasm');
    assert.strictEqual(engine.currentBackend(), 'wasm');
  });

  it('rejects an unknown CKD_BACKEND with a one-line CkdError', async () => {
    process.env.CKD_BACKEND = 'gpu';
    const engine = freshBackendModule();
    await assert.rejects(engine.initEngine({ quiet: true }), (e: unknown) => {
      assert.ok(e instanceof CkdError);
      assert.match(e.message, /^CKD_BACKEND='gpu' is not a backend: use one of tensorflow, wasm, cpu/);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  });

  it('rejects an unknown opts.backend', async () => {
    const engine = freshBackendModule();
    await assert.rejects(engine.initEngine({ backend: 'webgl' as never, quiet: true }), /unknown backend 'webgl'/);
  });

  it('explains a requested but unavailable tensorflow backend in one line', async function () {
    if (nativeInstalled) this.skip();
    process.env.CKD_BACKEND = 'tensorflow';
    const engine = freshBackendModule();
    await assert.rejects(engine.initEngine({ quiet: true }), (e: unknown) => {
      assert.ok(e instanceof CkdError);
      assert.match(e.message, /^backend 'tensorflow' requested by CKD_BACKEND but unavailable: @tensorflow\/tfjs-node-gpu not installed; @tensorflow\/tfjs-node not installed$/);
      return true;
    });
  });
});

describe('engine: Identity shares the buffer on wasm', () => {
  it('tf.clone and saved tensors share the input buffer; each stays valid until its own dispose', async () => {
    await backendModule.initEngine({ backend: 'wasm', quiet: true });
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const ids = backend.numDataIds();
    const y = tf.clone(x);
    assert.strictEqual(backend.numDataIds(), ids, 'no new buffer');
    x.dispose();
    assert.deepStrictEqual(Array.from(y.dataSync()), [1, 2, 3, 4]);
    y.dispose();
    assert.strictEqual(backend.numDataIds(), ids - 1, 'the buffer is freed with the last reference');
    const s = tf.tensor1d(['a', 'b'], 'string');
    assert.deepStrictEqual(tf.clone(s).dataSync(), ['a', 'b']);
    s.dispose();
  });
});
