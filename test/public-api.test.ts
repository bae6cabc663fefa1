/**
 * The package's public API (lib/index.ts) is what package.json's "main" names: it loads, and a
 * user can go from data to a trained, evaluated model with nothing else.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');

describe('public API (lib/index.ts)', () => {
  it("package.json's main and types name files the build produces", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.ok(fs.existsSync(path.join(ROOT, pkg.main)), `${pkg.main} missing`);
    assert.ok(fs.existsSync(path.join(ROOT, pkg.types)), `${pkg.types} missing`);
  });

  it('trains and evaluates a backbone through the exported names only', async function () {
    this.timeout(120000);
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const api = require(path.join(ROOT, JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).main)) as typeof import('../lib/index');
    await api.initEngine({ quiet: true });
    const data = api.synthesizeDataset('tiny', 1);
    assert.strictEqual(api.datasetFingerprint(data), api.datasetFingerprint(api.synthesizeDataset('tiny', 1)));
    const model = api.backboneEntry('vbpr').factory(data, { seed: 1 });
    const method = api.createMethod('plain', model, data);
    try {
      const r = await api.trainModel(model, data, { mode: 'multimodal', seed: 1, epochs: 2, lr: 1e-3, batchSize: 256, evalEvery: 1, patience: 5, method });
      for (const m of api.MASKS) assert.ok(r.test[m].recall[20] >= 0 && r.test[m].recall[20] <= 1);
    } finally {
      method.dispose?.();
      model.dispose();
    }
    assert.deepStrictEqual([...api.METHOD_NAMES], ['plain', 'ckd', 'gb', 'ogm']);
  });
});
