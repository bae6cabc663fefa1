/**
 * `--param NAME=X` (repeatable; several as NAME=X,NAME=Y): backbone hyper-parameters on the
 * command line, for every command that trains (train, teachers, reproduce, tune). Each model
 * declares its parameters (lib/models/params.ts, listed by the model registry and in
 * docs/cli.md); a value is checked against that declaration before anything trains.
 * `MODEL.NAME=X` sets a parameter of one model only (ckd reproduce runs several); a plain
 * `NAME=X` applies to every model the command runs, and each of them must have it.
 */
import { CkdError } from '../errors';
import { coerceOption, helpWithRange, withoutDefaults } from '../options/spec';
import { BACKBONES, backboneEntry } from '../models/registry';
import { OptionSpec, ParsedArgs } from './args';

export const PARAM_OPTION: OptionSpec = {
  name: 'param', value: 'NAME=X', repeatable: true,
  help: 'a backbone hyper-parameter (MODEL.NAME=X: of that model only); the parameters of each model, with defaults and ranges, are listed at the end of this reference (docs/cli.md)',
};

/** One --param setting as given. */
export interface ParamSetting {
  /** The model it is restricted to (MODEL.NAME=X), or undefined for every model. */
  model?: string;
  name: string;
  value: string;
}

/** Parses the --param values (each NAME=X or MODEL.NAME=X, several separated by commas). */
export function parseParamSettings(values: readonly string[]): ParamSetting[] {
  const out: ParamSetting[] = [];
  for (const part of values.flatMap(v => v.split(',')).map(s => s.trim()).filter(Boolean)) {
    const m = /^(?:([A-Za-z0-9-]+)\.)?([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(part);
    if (!m || m[3].trim() === '') throw new CkdError(`--param: '${part}' is not NAME=X or MODEL.NAME=X`);
    const model = m[1]?.toLowerCase();
    if (model !== undefined) backboneEntry(model);
    out.push({ ...(model !== undefined ? { model } : {}), name: m[2], value: m[3].trim() });
  }
  return out;
}

/** The --param settings of the command line. */
export function paramSettingsFromArgs(a: ParsedArgs): ParamSetting[] {
  return parseParamSettings(a.lists.param ?? []);
}

/**
 * The parameters of `model` from the settings, checked against its declaration, without those
 * equal to their defaults (so that setting a default changes no result key). An unknown name
 * for the model is an error naming the model and its parameters; `several` (the command runs
 * several models) adds how to restrict a setting to one.
 */
export function paramsForModel(model: string, settings: readonly ParamSetting[], several = false): Record<string, number> {
  const name = model.toLowerCase();
  const specs = backboneEntry(name).params;
  const out: Record<string, number> = {};
  for (const s of settings) {
    if (s.model !== undefined && s.model !== name) continue;
    const spec = specs[s.name];
    if (!spec) {
      const known = Object.keys(specs).join(', ') || 'none';
      throw new CkdError(`--param ${s.model ? `${s.model}.` : ''}${s.name}: model ${name} has no parameter '${s.name}' (its parameters: ${known})` +
        (s.model === undefined && several ? `; write MODEL.${s.name}=X to set it for one model only` : ''));
    }
    out[s.name] = coerceOption(`--param ${name}: parameter`, `'${s.name}'`, spec, s.value) as number;
  }
  return withoutDefaults(specs, out) as Record<string, number>;
}

/** Refuses settings restricted to a model the command does not run (a typo would do nothing). */
export function checkParamModels(settings: readonly ParamSetting[], models: readonly string[]): void {
  for (const s of settings) {
    if (s.model !== undefined && !models.includes(s.model)) {
      throw new CkdError(`--param ${s.model}.${s.name}: this run does not train ${s.model} (it trains ${models.join(', ')})`);
    }
  }
}

/** Every model's declared parameters, for docs/cli.md. */
export function paramsReference(): string[] {
  const lines = ['## Backbone parameters (`--param`)', '',
    'Declared by each model (lib/models/*.ts, `*_PARAMS`); `ckd train`, `ckd teachers`, `ckd reproduce` and `ckd tune` take them as `--param NAME=X`.',
    'A result-store cell holds the parameters that differ from their defaults, so cells run with the defaults keep their keys.',
    'No backbone here applies dropout (their reference code does not, or keeps it at 0: docs/backbones.md).', '',
    '| model | parameter | default | range | what it sets |', '|---|---|---:|---|---|'];
  for (const [model, e] of Object.entries(BACKBONES)) {
    for (const [name, spec] of Object.entries(e.params)) {
      const help = helpWithRange(spec);
      const range = help.slice(spec.help.length).replace(/^; /, '');
      lines.push(`| ${model} | ${name} | ${spec.default} | ${range} | ${spec.help.replace(/\|/g, '\\|')}${spec.role ? ` (the ${spec.role === 'l2' ? 'L2 weight' : 'dropout'} of the paper's grid)` : ''} |`);
    }
  }
  lines.push('');
  return lines;
}
