/**
 * Compares a results folder's cells with a reference record of the same preset and data (e.g. the
 * committed results/quick-default/store.jsonl): cell by cell by config key, every stored metric of
 * test and val under every mask, bestEpoch and epochsRun; cells missing on either side. Wall
 * times, history and provenance are not compared.
 *
 * Two records made on the same backend must agree bit for bit (training is deterministic there);
 * when a cell's two records name different backends (meta.provenance.backend), its metrics are
 * compared within CROSS_BACKEND_TOLERANCE instead, and bestEpoch and epochsRun must still match.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CkdError } from '../errors';
import { ResultStore, configKey } from './result-store';
import { openResultsStore, storeFiles } from './results-folder';
import { RunCell, RunCellResult, RunRecord, cellLabel, cellNumbers } from './run-cell';

/** Absolute tolerance on every metric when the two records of a cell come from different backends. */
export const CROSS_BACKEND_TOLERANCE = 0.002;

/** One compared number that differs (beyond the tolerance); undefined where a side lacks it. */
export interface NumberDiff { what: string; ours?: number; reference?: number }

export interface CellDiff { key: string; label: string; diffs: NumberDiff[] }

export interface ReferenceCheck {
  /** Cells compared (the plan's, or the union of both stores'). */
  cells: number;
  identical: number;
  differing: CellDiff[];
  /** Labels of cells the reference has and ours lacks, and the other way round. */
  missingHere: string[];
  missingInReference: string[];
  /** Reference cells outside the compared set (not compared). */
  outside: number;
  /** Backends named by the compared records' provenance, sorted ('?' where none is named). */
  backends: { ours: string[]; reference: string[] };
  /** Cells present on both sides whose records name different backends (compared with the tolerance). */
  crossBackend: number;
  /** Largest |ours - reference| over the metrics of cells present on both sides. */
  maxAbsDiff: number;
}

function backendOf(r: RunRecord): string {
  const b = (r.meta as { provenance?: { backend?: unknown } } | undefined)?.provenance?.backend;
  return typeof b === 'string' ? b : '?';
}

const isCount = (what: string) => what === 'bestEpoch' || what === 'epochsRun';

/**
 * Compares `ours` with `reference`, over the cells of `plan` when given (e.g. a preset's planned
 * cells), else over every cell of either side.
 */
export function checkAgainstReference(ours: RunRecord[], reference: RunRecord[], plan?: RunCell[]): ReferenceCheck {
  const a = new Map(ours.map(r => [r.key, r]));
  const b = new Map(reference.map(r => [r.key, r]));
  const labels = new Map([...reference, ...ours].map(r => [r.key, cellLabel(r.config)]));
  for (const cell of plan ?? []) labels.set(configKey(cell), cellLabel(cell));
  const compared = plan ? plan.map(cell => configKey(cell)) : [...new Set([...b.keys(), ...a.keys()])];
  const inSet = new Set(compared);
  const check: ReferenceCheck = {
    cells: compared.length, identical: 0, differing: [], missingHere: [], missingInReference: [],
    outside: reference.filter(r => !inSet.has(r.key)).length,
    backends: { ours: [], reference: [] }, crossBackend: 0, maxAbsDiff: 0,
  };
  const backends = { ours: new Set<string>(), reference: new Set<string>() };
  for (const key of compared) {
    const x = a.get(key);
    const y = b.get(key);
    if (x) backends.ours.add(backendOf(x));
    if (y) backends.reference.add(backendOf(y));
    if (!x) check.missingHere.push(labels.get(key)!);
    if (!y) check.missingInReference.push(labels.get(key)!);
    if (!x || !y) continue;
    const cross = backendOf(x) !== backendOf(y);
    if (cross) check.crossBackend++;
    const nx = cellNumbers(x.result);
    const ny = cellNumbers(y.result);
    const diffs: NumberDiff[] = [];
    for (const what of new Set([...nx.keys(), ...ny.keys()])) {
      const u = nx.get(what);
      const v = ny.get(what);
      if (typeof u === 'number' && typeof v === 'number') {
        const d = Math.abs(u - v);
        if (!isCount(what) && d > check.maxAbsDiff) check.maxAbsDiff = d;
        if (cross && !isCount(what) ? d <= CROSS_BACKEND_TOLERANCE : u === v) continue;
      }
      diffs.push({ what, ours: u, reference: v });
    }
    if (diffs.length) check.differing.push({ key, label: labels.get(key)!, diffs });
    else check.identical++;
  }
  check.backends = { ours: [...backends.ours].sort(), reference: [...backends.reference].sort() };
  return check;
}

export function referenceMatches(c: ReferenceCheck): boolean {
  return c.differing.length === 0 && c.missingHere.length === 0 && c.missingInReference.length === 0;
}

/** Two numbers with enough decimals to tell them apart (at least 4). */
function pair(u: number | undefined, v: number | undefined): string {
  if (u === undefined || v === undefined) return `${u ?? 'absent'} vs ${v ?? 'absent'}`;
  let d = 4;
  while (d < 20 && u.toFixed(d) === v.toFixed(d)) d++;
  const digits = Number.isInteger(u) && Number.isInteger(v) ? 0 : d;
  const delta = u - v;
  return `${u.toFixed(digits)} vs ${v.toFixed(digits)} (${delta >= 0 ? '+' : ''}${Number(delta.toPrecision(2))})`;
}

const size = (n: NumberDiff) => (n.ours === undefined || n.reference === undefined ? Infinity : Math.abs(n.ours - n.reference));

/** One line per differing cell, every differing number (ours vs the reference). */
export function referenceDetails(c: ReferenceCheck): string[] {
  return c.differing.map(d => `${d.label}: ${d.diffs.map(n => `${n.what} ${pair(n.ours, n.reference)}`).join(', ')}`);
}

function listed(labels: string[], max: number): string {
  return labels.length <= max ? labels.join(', ') : `${labels.slice(0, max).join(', ')} and ${labels.length - max} more`;
}

/** What was compared, and how: bit for bit on one backend, or within the tolerance across two. */
function how(c: ReferenceCheck): string {
  const o = c.backends.ours.join('+') || '?';
  const r = c.backends.reference.join('+') || '?';
  if (c.crossBackend === 0) return `bit for bit, ${o === r ? `${o} on both sides` : `this run on ${o}, the reference on ${r}`}`;
  return `the reference is from ${r} and this run from ${o}, another backend, so metrics are compared within ±${CROSS_BACKEND_TOLERANCE} instead of bit for bit (largest difference ${Number(c.maxAbsDiff.toPrecision(2))}) and bestEpoch and epochsRun exactly`;
}

/**
 * The verdict in one line. `tables` is how tables.md compared ('identical', a description of the
 * first difference, or undefined when it was not compared).
 */
export function referenceLine(c: ReferenceCheck, referenceName: string, tables?: string): string {
  const what = 'every test and val metric under every mask, bestEpoch and epochsRun';
  const outside = c.outside ? `; ${c.outside} reference cell${c.outside === 1 ? '' : 's'} outside this plan not compared` : '';
  const tablesOk = tables === undefined || tables === 'identical';
  if (referenceMatches(c) && tablesOk) {
    const t = tables === 'identical' ? ', and tables.md too' : '';
    const verdict = c.crossBackend ? `matches ${referenceName}` : `identical to ${referenceName}`;
    return `${verdict}: all ${c.cells} cells (${what}), ${how(c)}${t}${outside}`;
  }
  if (c.cells > 0 && c.missingInReference.length === c.cells) {
    return `differs from ${referenceName}: none of the ${c.cells} cells is there (a record of another preset, data set or configuration? re-record it)${outside}`;
  }
  const parts: string[] = [];
  const shown = 4;
  for (const d of c.differing.slice(0, shown)) {
    const top = [...d.diffs].sort((p, q) => size(q) - size(p))[0];
    const more = d.diffs.length - 1;
    parts.push(`${d.label} ${top.what} ${pair(top.ours, top.reference)}${more ? ` and ${more} more number${more === 1 ? '' : 's'}` : ''}`);
  }
  if (c.differing.length > shown) parts.push(`${c.differing.length - shown} more cells (listed above)`);
  if (c.missingHere.length) parts.push(`missing here: ${listed(c.missingHere, 4)}`);
  if (c.missingInReference.length) parts.push(`missing in the reference: ${listed(c.missingInReference, 4)}`);
  const n = c.cells - c.identical;
  if (n === 0) return `differs from ${referenceName}: all ${c.cells} cells match (${how(c)}), but tables.md ${tables}${outside}`;
  return `differs from ${referenceName} in ${n} of ${c.cells} cells (this run vs the reference; ${how(c)}): ${parts.join('; ')}${outside}`;
}

/**
 * Opens a reference results folder given to option `option` (e.g. '--reference'): it must hold a
 * store.jsonl with at least one record. Problems are one-line CkdErrors naming the option.
 */
export function openReference(dir: string, option: string, warn?: (m: string) => void): ResultStore<RunCell, RunCellResult> {
  const name = `${option} ${dir}`;
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new CkdError(`${name}: no such folder`);
  }
  if (!st.isDirectory()) throw new CkdError(`${name}: not a folder (expected a results folder holding store.jsonl)`);
  // store.jsonl and any shard files (a folder written by a Slurm array), read merged.
  if (!storeFiles(dir).some(f => fs.existsSync(f))) throw new CkdError(`${name}: no store.jsonl there (expected a results folder written by ckd reproduce)`);
  const store = openResultsStore(dir, { warn });
  if (store.size === 0) throw new CkdError(`${name}: its store.jsonl holds no finished cell`);
  return store;
}

/** How two tables.md files compare: 'identical', or where they first differ; undefined when the reference has none. */
export function compareTables(oursFile: string, referenceFile: string): string | undefined {
  if (!fs.existsSync(referenceFile)) return undefined;
  const a = fs.existsSync(oursFile) ? fs.readFileSync(oursFile, 'utf8').split('\n') : [];
  const b = fs.readFileSync(referenceFile, 'utf8').split('\n');
  for (let k = 0; k < Math.max(a.length, b.length); k++) {
    if (a[k] !== b[k]) return `differs from the reference's at line ${k + 1}: ${JSON.stringify((a[k] ?? '(end)').slice(0, 80))} vs ${JSON.stringify((b[k] ?? '(end)').slice(0, 80))}`;
  }
  return 'identical';
}
