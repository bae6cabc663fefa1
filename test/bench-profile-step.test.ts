import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const SCRIPT = path.join(__dirname, '..', 'bench', 'profile-step.js');

describe('bench/profile-step.js (tiny preset, child process)', function () {
  this.timeout(60000);

  it('counts one CKD step\'s kernels by name, the project graph kernels among them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-step-'));
    try {
      const out = path.join(dir, 'p.json');
      const r = spawnSync(process.execPath, [SCRIPT, '--preset', 'tiny', '--model', 'egogcn', '--steps', '1', '--out', out], {
        encoding: 'utf8', env: { ...process.env, CKD_BACKEND: 'wasm' }, timeout: 55000,
      });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /egogcn ckd on 'wasm' \(tiny\): [\d.]+ s per step, \d+ kernel launches per step/);
      const p = JSON.parse(fs.readFileSync(out, 'utf8'));
      assert.ok(p.secondsPerStep > 0 && p.secondsPerLaunch > 0);
      const names = new Set(p.kernels.map((k: { name: string }) => k.name));
      for (const k of ['CkdSpmmWeighted', 'CkdSddmm', 'CkdSegmentSoftmax', 'CkdSegmentSoftmaxGrad']) assert.ok(names.has(k), k);
      assert.equal(p.kernelLaunchesPerStep, p.kernels.reduce((s: number, k: { count: number }) => s + k.count, 0));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown method with one line and exit 2', () => {
    const r = spawnSync(process.execPath, [SCRIPT, '--method', 'gb'], { encoding: 'utf8', env: { ...process.env, CKD_BACKEND: 'wasm' } });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim(), 'profile-step: --method must be plain or ckd (got gb)');
  });
});
