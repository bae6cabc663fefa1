import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initEngine } from '../lib/engine/backend';
import { ModesCellConfig, ModesCellResult, modesTableMarkdown, runModesGrid } from '../lib/experiments/modes-grid';
import { provenance } from '../lib/experiments/provenance';
import { ResultStore } from '../lib/experiments/result-store';
import { synthesizeDataset } from '../lib/synth/synthesize';

describe('backbones x modes grid', () => {
  it('runs each cell once, resumes from its store, and renders the table', async () => {
    await initEngine({ quiet: true });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-grid-'));
    try {
      const data = synthesizeDataset('tiny', 1);
      const prov = provenance(data, 'wasm');
      const file = path.join(dir, 'store.jsonl');
      const train = { seed: 1, epochs: 2, batchSize: 256, evalEvery: 1, patience: 5, lr: 1e-3 };
      const opts = (lines: string[]) => ({
        models: ['vbpr'], modes: ['multimodal', 'text-only'] as const, dataset: prov.dataset.fingerprint, train,
        store: new ResultStore<ModesCellConfig, ModesCellResult>(file), provenance: prov, log: (l: string) => lines.push(l),
      });
      const first: string[] = [];
      await runModesGrid(data, opts(first));
      assert.strictEqual(first.filter(l => /test recall@20/.test(l)).length, 2);
      const second: string[] = [];
      const o2 = opts(second);
      await runModesGrid(data, o2);
      assert.deepStrictEqual(second, ['vbpr multimodal: done earlier, skipped', 'vbpr text-only: done earlier, skipped']);
      const table = modesTableMarkdown(o2.store, ['vbpr'], prov.dataset.fingerprint, train);
      assert.match(table, /\| vbpr \| multimodal \| 0\.\d{4} \|/);
      assert.match(table, /\| vbpr \| visual-only \| \(not run\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
