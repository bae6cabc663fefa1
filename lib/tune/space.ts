/**
 * A search space of `ckd tune`: named dimensions, each a list of values, over
 *   lr              the student's learning rate
 *   method options  of the method tuned (CKD's lambdaKd, ...; lib/methods/registry.ts)
 *   backbone params of the model tuned (VBPR's reg, ...; lib/models/params.ts)
 * written as a JSON object, e.g. {"lambdaKd": [0.001, 0.01], "lambdaG": [1, 5]}. A key names a
 * method option or a backbone parameter by its name (camelCase or kebab-case); `method.NAME` and
 * `param.NAME` say which where both have the name (MGCN's tau and CKD's tau). Every value is
 * checked against its declaration (kind and range) before anything trains.
 *
 * The configurations of a space are its grid, the Cartesian product of the dimensions in the
 * order written (the first dimension varies slowest); `--budget N` draws N distinct ones of them
 * uniformly, without replacement, from a seeded stream (sampleConfigurations).
 */
import { CkdError } from '../errors';
import { Rng } from '../engine/random';
import { methodEntry } from '../methods/registry';
import { backboneEntry } from '../models/registry';
import { OptionSpec, OptionValue, coerceOption } from '../options/spec';

export type DimensionKind = 'lr' | 'method' | 'param';

export interface SpaceDimension {
  kind: DimensionKind;
  /** The option's or parameter's name ('lr' for the learning rate). */
  name: string;
  values: OptionValue[];
}

export interface SearchSpace {
  /** The named space's name, or the file's path. */
  name: string;
  dimensions: SpaceDimension[];
}

/** One point of a space: what it sets, beside the defaults of everything else. */
export interface TuneConfig {
  lr?: number;
  methodOptions: Record<string, OptionValue>;
  params: Record<string, number>;
}

/** The learning rate's range, as the trainer checks it (lib/train/trainer.ts). */
const LR_SPEC: OptionSpec = { kind: 'number', default: 1e-3, min: 0, max: 1, minOpen: true, maxOpen: true, help: 'learning rate' };

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Checks a space given as a plain object (parsed JSON) for a model and method; `where` names it
 * in errors (a file's path, or "space paper-l2").
 */
export function checkSpace(raw: unknown, model: string, method: string, where: string): SearchSpace {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new CkdError(`${where}: a search space is a JSON object of lists, e.g. {"lambdaKd": [0.001, 0.01]}`);
  const options = methodEntry(method).specs;
  const params = backboneEntry(model).params;
  const dimensions: SpaceDimension[] = [];
  const seen = new Set<string>();
  for (const [key, list] of Object.entries(raw as Record<string, unknown>)) {
    const dim = dimensionOf(key, options, params, model, method, where);
    const id = `${dim.kind}.${dim.name}`;
    if (seen.has(id)) throw new CkdError(`${where}: '${key}' names ${id} a second time`);
    seen.add(id);
    if (!Array.isArray(list) || list.length === 0) throw new CkdError(`${where}: '${key}' must be a non-empty list of values`);
    const spec = dim.kind === 'lr' ? LR_SPEC : dim.kind === 'method' ? options[dim.name] : params[dim.name];
    const label = dim.kind === 'lr' ? `${where}:` : dim.kind === 'method' ? `${where}: ${method} option` : `${where}: ${model} parameter`;
    const values = list.map(v => coerceOption(label, dim.name, spec, v));
    if (new Set(values).size !== values.length) throw new CkdError(`${where}: '${key}' lists a value twice`);
    dimensions.push({ ...dim, values });
  }
  if (dimensions.length === 0) throw new CkdError(`${where}: the space has no dimension`);
  return { name: where, dimensions };
}

function dimensionOf(key: string, options: Record<string, OptionSpec>, params: Record<string, OptionSpec>, model: string, method: string, where: string): Omit<SpaceDimension, 'values'> {
  if (key === 'lr') return { kind: 'lr', name: 'lr' };
  const m = /^(method|param)\.(.+)$/.exec(key);
  const name = camel(m ? m[2] : key);
  const isOption = name in options;
  const isParam = name in params;
  const known = `options of ${method}: ${Object.keys(options).join(', ') || 'none'}; parameters of ${model}: ${Object.keys(params).join(', ') || 'none'}; or lr`;
  if (m?.[1] === 'method') {
    if (!isOption) throw new CkdError(`${where}: method ${method} has no option '${m[2]}' (${known})`);
    return { kind: 'method', name };
  }
  if (m?.[1] === 'param') {
    if (!isParam) throw new CkdError(`${where}: model ${model} has no parameter '${m[2]}' (${known})`);
    return { kind: 'param', name };
  }
  if (isOption && isParam) throw new CkdError(`${where}: '${key}' is both an option of ${method} and a parameter of ${model}: write method.${name} or param.${name}`);
  if (isOption) return { kind: 'method', name };
  if (isParam) return { kind: 'param', name };
  throw new CkdError(`${where}: unknown option '${key}' (${known})`);
}

/** Every configuration of the space's grid, the first dimension varying slowest. */
export function gridConfigurations(space: SearchSpace): TuneConfig[] {
  let out: TuneConfig[] = [{ methodOptions: {}, params: {} }];
  for (const d of space.dimensions) {
    out = out.flatMap(c => d.values.map(v => withValue(c, d, v)));
  }
  return out;
}

function withValue(c: TuneConfig, d: SpaceDimension, v: OptionValue): TuneConfig {
  const next: TuneConfig = { ...(c.lr !== undefined ? { lr: c.lr } : {}), methodOptions: { ...c.methodOptions }, params: { ...c.params } };
  if (d.kind === 'lr') next.lr = v as number;
  else if (d.kind === 'method') next.methodOptions[d.name] = v;
  else next.params[d.name] = v as number;
  return next;
}

/** The size of the space's grid. */
export function gridSize(space: SearchSpace): number {
  return space.dimensions.reduce((n, d) => n * d.values.length, 1);
}

/**
 * `budget` distinct configurations drawn uniformly from the grid, without replacement, in the
 * order drawn: a shuffle of the grid's indices by the stream `seed` (the whole grid, shuffled,
 * when the budget covers it). The same seed always draws the same configurations.
 */
export function sampleConfigurations(space: SearchSpace, budget: number, seed: number): TuneConfig[] {
  if (!(Number.isInteger(budget) && budget >= 1)) throw new CkdError(`--budget must be a positive integer (got ${budget})`);
  const grid = gridConfigurations(space);
  const order = new Rng(seed).fork('tune:random-search').shuffle(Array.from(grid, (_, k) => k));
  return order.slice(0, Math.min(budget, grid.length)).map(k => grid[k]);
}

/** A configuration in words, in the space's order: "lambdaKd=0.001, lambdaG=0.1" ('default' when it sets nothing). */
export function configLabel(c: TuneConfig, space?: SearchSpace): string {
  const parts: string[] = [];
  const dims = space?.dimensions ?? [
    ...(c.lr !== undefined ? [{ kind: 'lr' as const, name: 'lr' }] : []),
    ...Object.keys(c.methodOptions).map(name => ({ kind: 'method' as const, name })),
    ...Object.keys(c.params).map(name => ({ kind: 'param' as const, name })),
  ];
  for (const d of dims) {
    const v = d.kind === 'lr' ? c.lr : d.kind === 'method' ? c.methodOptions[d.name] : c.params[d.name];
    if (v !== undefined) parts.push(`${d.name}=${v}`);
  }
  return parts.length ? parts.join(', ') : 'default';
}
