/**
 * `ckd backbones`: the pilot grid's cells are ordinary run cells, trained once through the shared
 * cell runner (a second run trains nothing), its uni-modal cells frozen as teachers that a CKD
 * cell with the same settings uses without training them again, and the table read from the store.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initEngine } from '../lib/engine/backend';
import { backbonesGridCells, backbonesTableMarkdown } from '../lib/experiments/backbones-grid';
import { provenance } from '../lib/experiments/provenance';
import { ResultStore, configKey } from '../lib/experiments/result-store';
import { RunCell, RunCellResult, makeRunCell, runOrReuseCell } from '../lib/experiments/run-cell';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { assertUserError, ckd } from './cli-process';

describe('ckd backbones', function () {
  this.timeout(600000);
  let tmp: string;
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-backbones-')); });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('trains each backbone in each mode once, into run cells with teachers, and resumes', async () => {
    const out = path.join(tmp, 'grid');
    const args = ['backbones', '--preset', 'tiny', '--seed', '1', '--models', 'vbpr', '--epochs', '2', '--eval-every', '1', '--batch-size', '256', '--quiet', '--out', out];
    const first = ckd(...args);
    assert.strictEqual(first.code, 0, first.stderr);
    const lines = fs.readFileSync(path.join(out, 'store.jsonl'), 'utf8').trim().split('\n');
    assert.strictEqual(lines.length, 3);
    const table = fs.readFileSync(path.join(out, 'table.md'), 'utf8');
    for (const mode of ['multimodal', 'text-only', 'visual-only']) assert.match(table, new RegExp(`\\| vbpr \\| ${mode} \\| 0\\.\\d{4} \\|`));
    assert.ok(first.stdout.includes(table.slice(table.indexOf('| backbone'))), 'the table is printed too');

    const second = ckd(...args);
    assert.strictEqual(second.code, 0, second.stderr);
    assert.strictEqual(fs.readFileSync(path.join(out, 'store.jsonl'), 'utf8').trim().split('\n').length, 3, 'nothing trained twice');
    assert.match(second.stderr + second.stdout, /vbpr text-only: done earlier, skipped/);

    // The records are run cells with the registry's learning rate, and a CKD cell with the same
    // settings finds its teachers among them instead of training them again.
    await initEngine({ quiet: true });
    const data = synthesizeDataset('tiny', 1);
    const prov = provenance(data, 'wasm');
    const train = { seed: 1, epochs: 2, batchSize: 256, evalEvery: 1, patience: 10, ndcg: 'standard' as const };
    const store = new ResultStore<RunCell, RunCellResult>(path.join(out, 'store.jsonl'));
    const cells = backbonesGridCells(['vbpr'], prov.dataset.fingerprint, train);
    assert.deepStrictEqual(cells.map(c => store.has(configKey(c))), [true, true, true]);
    assert.strictEqual(backbonesTableMarkdown(store, cells), table.slice(table.indexOf('| backbone')));
    const ckdCell = makeRunCell({ ...cells[0], method: 'ckd', methodOptions: {} });
    const rec = await runOrReuseCell(data, ckdCell, { store, teachersDir: path.join(out, 'teachers'), provenance: prov });
    assert.strictEqual(rec.config.method, 'ckd');
    store.reload();
    assert.strictEqual(store.size, 4, 'only the CKD cell was added: its teachers were the grid\'s');
  });

  it('refuses an unknown backbone in one line', () => {
    assertUserError(ckd('backbones', '--preset', 'tiny', '--models', 'vbpr,nope', '--out', path.join(tmp, 'x')), /nope/);
  });
});
