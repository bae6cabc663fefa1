import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { defaultJupyterDataDir, kernelSpec, kernelSpecProblems } from '../scripts/notebooks/kernel';

const ROOT = path.resolve(__dirname, '..', '..');
const OPEN = path.join(ROOT, 'dist', 'scripts', 'notebooks', 'open.js');

describe('notebooks: the tslab kernel spec (npm run notebooks)', () => {
  let tmp: string;
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-kernel-')); });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  // The bug this guards: `tslab install` writes argv[0] = 'tslab', which a notebook server looks up
  // on its PATH, where a project-local install is not ("Kernel error", FileNotFoundError: 'tslab').
  it('the documented install writes kernel.json whose argv[0] is an absolute path that exists', () => {
    const dataDir = path.join(tmp, 'jupyter-data');
    // Without node_modules/.bin on PATH (as a notebook server started from a shell has it).
    const PATH = (process.env.PATH ?? '').split(path.delimiter).filter(d => !/node_modules[\\/]\.bin$/.test(d)).join(path.delimiter);
    const r = spawnSync(process.execPath, [OPEN, '--install-only'], { encoding: 'utf8', env: { ...process.env, PATH, JUPYTER_DATA_DIR: dataDir } });
    assert.strictEqual(r.status, 0, r.stderr + r.stdout);
    const file = path.join(dataDir, 'kernels', 'tslab', 'kernel.json');
    assert.ok(fs.existsSync(file), `no ${file}; output: ${r.stdout}`);
    const spec = JSON.parse(fs.readFileSync(file, 'utf8'));
    const argv: string[] = spec.argv;
    assert.ok(path.isAbsolute(argv[0]), `argv[0] '${argv[0]}' is not absolute`);
    assert.ok(fs.existsSync(argv[0]), `argv[0] ${argv[0]} does not exist`);
    assert.ok(fs.existsSync(argv[1]), `argv[1] ${argv[1]} does not exist`);
    assert.strictEqual(fs.realpathSync(argv[1]), fs.realpathSync(path.join(ROOT, 'node_modules', '.bin', 'tslab')));
    assert.deepStrictEqual(argv.slice(2), ['kernel', '--config-path', '{connection_file}']);
    assert.strictEqual(spec.language, 'typescript');
    const js = JSON.parse(fs.readFileSync(path.join(dataDir, 'kernels', 'jslab', 'kernel.json'), 'utf8'));
    assert.deepStrictEqual(js.argv, [...argv, '--js']);
    assert.deepStrictEqual(kernelSpecProblems(spec), []);
    // The kernel it names starts: tslab answers --version through that very command line.
    const v = spawnSync(argv[0], [argv[1], '--version'], { encoding: 'utf8', env: { ...process.env, PATH } });
    assert.match(v.stdout, /tslab \d/, v.stderr);
  });

  it('kernelSpecProblems names a bare command and missing files', () => {
    assert.match(kernelSpecProblems({ argv: ['tslab', 'kernel', '--config-path', '{connection_file}'] }).join(), /not an absolute path/);
    assert.match(kernelSpecProblems(kernelSpec('/nonexistent/node', '/nonexistent/tslab')).join(), /\/nonexistent\/node does not exist.*\/nonexistent\/tslab does not exist/);
    assert.match(kernelSpecProblems({}).join(), /no argv/);
    assert.deepStrictEqual(kernelSpecProblems(kernelSpec(process.execPath, path.join(ROOT, 'node_modules', 'tslab', 'bin', 'tslab'))), []);
  });

  it('defaultJupyterDataDir follows jupyter_core', () => {
    assert.strictEqual(defaultJupyterDataDir({ JUPYTER_DATA_DIR: '/x/y' }, 'linux', '/home/u'), path.resolve('/x/y'));
    assert.strictEqual(defaultJupyterDataDir({}, 'linux', '/home/u'), path.join('/home/u', '.local', 'share', 'jupyter'));
    assert.strictEqual(defaultJupyterDataDir({ XDG_DATA_HOME: '/xdg' }, 'linux', '/home/u'), path.join('/xdg', 'jupyter'));
    assert.strictEqual(defaultJupyterDataDir({}, 'darwin', '/Users/u'), path.join('/Users/u', 'Library', 'Jupyter'));
  });
});
