/**
 * A finished results folder read as the report reads it, without its data set at hand (the
 * README's headline, notebook 07, tests): the data set's name and fingerprint come from the
 * records' provenance.
 */
import * as path from 'path';
import { CkdError } from '../errors';
import { Provenance } from './provenance';
import { ReproductionView } from './reproduce';
import { ReproducePreset } from './reproduce-plan';
import { openResultsStore } from './results-folder';

/** `dir` (store.jsonl and any shard files) under `preset`; a CkdError naming it when it holds no finished cell. */
export function recordedView(dir: string, preset: ReproducePreset): ReproductionView {
  const store = openResultsStore(dir);
  const first = store.records()[0];
  if (!first) throw new CkdError(`${dir}: no finished cell recorded (store.jsonl is missing or empty)`);
  const dataset = (first.meta as { provenance?: Provenance } | undefined)?.provenance?.dataset;
  return { preset, store, dataset: { name: dataset?.name ?? path.basename(dir).replace(`${preset.name}-`, ''), fingerprint: first.config.dataset } };
}
