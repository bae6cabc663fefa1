import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'ckd.js');

/** Whether Dawn's Node binding (the optional npm package 'webgpu') is installed here. */
function dawnInstalled(): boolean {
  try {
    require.resolve('webgpu');
    return true;
  } catch {
    return false;
  }
}

/** `ckd train` on the tiny preset in a child process (the backend is chosen once per process). */
function train(backend: string, args: string[], out: string): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, [BIN, 'train', '--preset', 'tiny', '--quiet', '--out', out, ...args], {
    encoding: 'utf8', env: { ...process.env, CKD_BACKEND: backend }, timeout: 110000,
  });
}

describe('webgpu backend (the GPU path, opt-in)', function () {
  this.timeout(240000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-webgpu-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('without Dawn\'s binding installed, asking for it is one clear line, not a stack trace', function () {
    if (dawnInstalled()) this.skip();
    const r = train('webgpu', ['--model', 'vbpr', '--epochs', '1'], path.join(dir, 'none.json'));
    assert.notEqual(r.status, 0);
    assert.match(String(r.stderr), /backend 'webgpu' requested by CKD_BACKEND but unavailable: Dawn's Node binding is not installed \(npm install --no-save webgpu\)/);
    assert.doesNotMatch(String(r.stderr), /\n\s+at /);
    assert.ok(!fs.existsSync(path.join(dir, 'none.json')));
  });

  // VBPR runs the dense path; EgoGCN and GRCN the WGSL graph kernels (spmm both ways, SDDMM, segment
  // softmax) and their gradients; CKD and OGM-GE read margins before the tape, GB estimates asynchronously.
  for (const [model, method] of [['vbpr', 'ckd'], ['egogcn', 'ckd'], ['grcn', 'gb'], ['grcn', 'ogm']]) {
    it(`where a WebGPU adapter exists, ${model} trains with ${method} there and agrees with wasm to float rounding`, function () {
      if (!dawnInstalled()) this.skip();
      const args = ['--model', model, '--method', method, '--epochs', '2', '--eval-every', '1', '--seed', '4'];
      const gpu = train('webgpu', args, path.join(dir, `${model}-${method}-webgpu.json`));
      if (gpu.status !== 0 && /backend 'webgpu' requested by CKD_BACKEND but unavailable/.test(String(gpu.stderr))) this.skip(); // no adapter here
      assert.equal(gpu.status, 0, String(gpu.stderr));
      const cpu = train('wasm', args, path.join(dir, `${model}-${method}-wasm.json`));
      assert.equal(cpu.status, 0, String(cpu.stderr));
      agree(...(['webgpu', 'wasm'].map(b => JSON.parse(fs.readFileSync(path.join(dir, `${model}-${method}-${b}.json`), 'utf8'))) as [Run, Run]));
    });
  }
});

interface Run {
  provenance: { backend: string };
  result: { history: { loss: Record<string, number>; diagnostics?: Record<string, number> }[] };
}

/** Two epochs' losses within 1e-4 (relative), and the methods' own coefficients within 1e-4. */
function agree(g: Run, c: Run): void {
  assert.equal(g.provenance.backend, 'webgpu');
  for (let e = 0; e < 2; e++) {
    for (const k of Object.keys(c.result.history[e].loss)) {
      const [x, y] = [g.result.history[e].loss[k], c.result.history[e].loss[k]];
      assert.ok(Math.abs(x - y) <= 1e-4 * Math.max(1, Math.abs(y)), `epoch ${e + 1} ${k}: webgpu ${x}, wasm ${y}`);
    }
    // CKD's lambdas and OGM-GE's coefficients (GB's weights are ratios of small differences: looser).
    for (const k of ['lambda_visual', 'lambda_text', 'k_visual', 'k_text']) {
      const [x, y] = [g.result.history[e].diagnostics?.[k], c.result.history[e].diagnostics?.[k]];
      if (y !== undefined) assert.ok(Math.abs(x! - y) < 1e-4, `epoch ${e + 1} ${k}: webgpu ${x}, wasm ${y}`);
    }
  }
}
