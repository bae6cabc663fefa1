import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CkdError } from '../lib/errors';
import { NAMED_SPACES } from '../lib/tune/named-spaces';
import { checkSpace, configLabel, gridConfigurations, gridSize, sampleConfigurations } from '../lib/tune/space';
import { loadSpace } from '../lib/tune/space-source';

describe('tune search spaces', () => {
  it('checks a space against the method\'s options and the model\'s parameters, and spans its grid', () => {
    const s = checkSpace({ 'lambda-kd': [0.001, '0.01'], reg: [1e-5, 1e-3], lr: [1e-3] }, 'vbpr', 'ckd', 'f.json');
    assert.deepStrictEqual(s.dimensions.map(d => [d.kind, d.name, d.values]),
      [['method', 'lambdaKd', [0.001, 0.01]], ['param', 'reg', [1e-5, 1e-3]], ['lr', 'lr', [1e-3]]]);
    const grid = gridConfigurations(s);
    assert.strictEqual(grid.length, gridSize(s));
    assert.deepStrictEqual(grid.map(c => configLabel(c, s)), [
      'lambdaKd=0.001, reg=0.00001, lr=0.001', 'lambdaKd=0.001, reg=0.001, lr=0.001', 'lambdaKd=0.01, reg=0.00001, lr=0.001', 'lambdaKd=0.01, reg=0.001, lr=0.001',
    ]);
    assert.deepStrictEqual(grid[1], { lr: 1e-3, methodOptions: { lambdaKd: 0.001 }, params: { reg: 1e-3 } });
  });

  it('refuses unknown names, ambiguous names, values of the wrong kind or range, and empty or repeated lists, naming the source', () => {
    const bad = (raw: unknown, re: RegExp, model = 'vbpr', method = 'ckd') =>
      assert.throws(() => checkSpace(raw, model, method, 'f.json'), (e: Error) => e instanceof CkdError && re.test(e.message));
    bad({ lambdaK: [1] }, /^f\.json: unknown option 'lambdaK' \(options of ckd: lambdaKd, .*; parameters of vbpr: reg; or lr\)/);
    bad({ dropout: [0.1] }, /unknown option 'dropout'/);
    bad({ tau: [0.1] }, /'tau' is both an option of ckd and a parameter of mgcn: write method\.tau or param\.tau/, 'mgcn');
    assert.strictEqual(checkSpace({ 'param.tau': [0.1] }, 'mgcn', 'ckd', 'f').dimensions[0].kind, 'param');
    bad({ 'method.reg': [1] }, /method ckd has no option 'reg'/);
    bad({ lambdaKd: [-1] }, /f\.json: ckd option lambdaKd must be >= 0 \(got -1\)/);
    bad({ reweight: ['sometimes'] }, /must be one of paper, reference-code, none/);
    bad({ lr: [2] }, /f\.json: lr must be in \(0, 1\)/);
    bad({ lambdaKd: [] }, /'lambdaKd' must be a non-empty list/);
    bad({ lambdaKd: 0.1 }, /'lambdaKd' must be a non-empty list/);
    bad({ lambdaKd: [0.1, 0.1] }, /lists a value twice/);
    bad([1, 2], /a search space is a JSON object of lists/);
    bad({}, /has no dimension/);
    bad({ lambdaKd: [0.1] }, /method plain has no option|unknown option 'lambdaKd' \(options of plain: none/, 'vbpr', 'plain');
  });

  it('draws a random search from a seeded stream: distinct grid points, the same for the same seed', () => {
    const s = checkSpace({ lambdaKd: [1e-3, 1e-2, 1e-1, 0.5], lambdaG: [0.1, 0.5, 1, 5] }, 'vbpr', 'ckd', 'f');
    const a = sampleConfigurations(s, 5, 1).map(c => configLabel(c, s));
    assert.strictEqual(a.length, 5);
    assert.strictEqual(new Set(a).size, 5);
    const all = new Set(gridConfigurations(s).map(c => configLabel(c, s)));
    assert.ok(a.every(x => all.has(x)));
    assert.deepStrictEqual(sampleConfigurations(s, 5, 1).map(c => configLabel(c, s)), a);
    assert.notDeepStrictEqual(sampleConfigurations(s, 5, 2).map(c => configLabel(c, s)), a);
    assert.strictEqual(sampleConfigurations(s, 99, 1).length, 16, 'a budget beyond the grid is the grid');
    assert.throws(() => sampleConfigurations(s, 0, 1), /--budget must be a positive integer/);
  });

  it('ships the paper\'s grids as named spaces, resolved per model and method', () => {
    const lambdas = loadSpace('paper-ckd-lambdas', 'vbpr', 'ckd');
    assert.strictEqual(gridSize(lambdas), 16);
    assert.deepStrictEqual(lambdas.dimensions.map(d => [d.name, d.values]), [['lambdaKd', [1e-3, 1e-2, 1e-1, 5e-1]], ['lambdaG', [0.1, 0.5, 1, 5]]]);
    assert.deepStrictEqual(loadSpace('paper-l2', 'vbpr', 'plain').dimensions.map(d => [d.kind, d.name]), [['param', 'reg']]);
    assert.deepStrictEqual(loadSpace('paper-l2', 'mmgcn', 'ckd').dimensions.map(d => d.name), ['l2']);
    assert.deepStrictEqual(loadSpace('paper-l2', 'egogcn', 'ckd').dimensions.map(d => d.name), ['lambda']);
    assert.deepStrictEqual(loadSpace('paper-lr', 'vbpr', 'gb').dimensions[0].values, [1e-4, 5e-4, 1e-3, 5e-3]);
    assert.throws(() => loadSpace('paper-dropout', 'vbpr', 'ckd'), /--space paper-dropout: model vbpr has no dropout parameter/);
    assert.throws(() => loadSpace('paper-ckd-lambdas', 'vbpr', 'plain'), /use it with --method ckd/);
    const doc = fs.readFileSync(path.resolve(__dirname, '..', '..', 'docs', 'tune.md'), 'utf8');
    for (const n of Object.keys(NAMED_SPACES)) {
      assert.ok(NAMED_SPACES[n].summary.length > 10, n);
      assert.ok(doc.includes(`| \`${n}\` |`), `docs/tune.md lists ${n}`);
    }
  });

  it('reads a space file, with one clear error for a missing file or bad JSON', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-space-'));
    try {
      const f = path.join(dir, 's.json');
      fs.writeFileSync(f, '{"lambdaG": [1, 5]}');
      assert.strictEqual(loadSpace(f, 'vbpr', 'ckd').name, f);
      fs.writeFileSync(f, '{"lambdaG": [1, 5]');
      assert.throws(() => loadSpace(f, 'vbpr', 'ckd'), /--space .*s\.json: not valid JSON/);
      assert.throws(() => loadSpace(path.join(dir, 'none.json'), 'vbpr', 'ckd'), /no such file, and not a named space \(paper-lr, /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
