/**
 * Seconds per training epoch and per validation pass of every backbone, at a preset's scale
 * (default: baby-scale, Amazon Baby's sizes with 4,096-d visual and 1,024-d text features).
 *   node dist/bench/epoch.js [--preset baby-scale] [--models a,b] [--steps N] [--out FILE]
 * A full epoch at Baby scale takes minutes for the GCN backbones, so this times `--steps` training
 * steps (after one warm-up step) and scales to the epoch's step count (the CKD sampler draws
 * n_train // batch + 1 batches); the validation pass (all three masks, 19,445 users) is timed whole.
 * Both are plain training (no CKD), batch 1024, on the backend initEngine picks.
 */
import { initEngine } from '../lib/engine/backend';
import { MASKS } from '../lib/models/backbone';
import { BACKBONES, backboneEntry } from '../lib/models/registry';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { plainMethod } from '../lib/train/method';
import { evaluateBackbone } from '../lib/train/validate';
import { writeBenchRecord } from './record';
import { epochBatches, timeSteps } from './steps';

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

async function main(): Promise<void> {
  const preset = arg('preset', 'baby-scale');
  const models = arg('models', Object.keys(BACKBONES).join(',')).split(',');
  const steps = Number(arg('steps', '5'));
  const backend = await initEngine();
  let t = Date.now();
  const data = synthesizeDataset(preset, 1);
  console.log(`${preset}: ${data.numUsers} users, ${data.numItems} items, ${data.train.items.length} train interactions (generated in ${((Date.now() - t) / 1000).toFixed(1)} s); backend ${backend}`);
  const { batches, stepsPerEpoch: perEpoch } = epochBatches(data, 1024, steps + 1, 2);
  const rows: Record<string, number | string>[] = [];
  for (const name of models) {
    t = Date.now();
    const model = backboneEntry(name).factory(data, { seed: 1 });
    const buildSeconds = (Date.now() - t) / 1000;
    const timing = await timeSteps(model, data, plainMethod, batches, steps, { lr: 1e-3 });
    const stepSeconds = timing.secondsPerStep;
    t = Date.now();
    await evaluateBackbone(model, data, 'val', MASKS, [20]);
    const validationSeconds = (Date.now() - t) / 1000;
    model.dispose();
    const row = {
      model: name, stepSeconds: +stepSeconds.toFixed(3), cpuSecondsPerStep: +timing.cpuSecondsPerStep.toFixed(3),
      stepsPerEpoch: perEpoch, epochSeconds: +(stepSeconds * perEpoch).toFixed(1),
      validationSecondsThreeMasks: +validationSeconds.toFixed(2), buildSeconds: +buildSeconds.toFixed(1),
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
  console.table(rows);
  writeBenchRecord('epoch', { preset, steps, batchSize: 1024, backend, users: data.numUsers, items: data.numItems }, rows);
}

main().catch(e => { console.error(e); process.exit(1); });
