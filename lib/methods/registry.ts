/**
 * Every training method by its CLI name, with its options as each method declares them (kind,
 * default, range, help; lib/options/spec.ts), so that the CLI, the result store and `ckd tune`
 * can list, parse and check them:
 *   plain  the backbone alone (BPR + its own L2)
 *   ckd    Counterfactual Knowledge Distillation (needs a teacher per modality)
 *   gb     Gradient Blending
 *   ogm    OGM-GE
 * createMethod(name, model, data, options, teachers?) builds one. Methods never own the
 * teachers: the caller disposes them after training.
 */
import { Dataset } from '../data/dataset';
import { CkdError } from '../errors';
import { Backbone } from '../models/backbone';
import { TrainingMethod, plainMethod } from '../train/method';
import { OptionSpec, OptionSpecs, OptionValue, coerceOption, withoutDefaults } from '../options/spec';
import { CKD_OPTION_SPECS, CkdMethod, CkdOptions } from './ckd/method';
import { GB_OPTION_SPECS, GbOptions, GradientBlendingMethod } from './gb/method';
import { OGM_OPTION_SPECS, OgmGeMethod, OgmOptions } from './ogm';
import { TeacherPair } from './teacher';

export type MethodName = 'plain' | 'ckd' | 'gb' | 'ogm';
export const METHOD_NAMES: readonly MethodName[] = ['plain', 'ckd', 'gb', 'ogm'];

export type { OptionValue };
export type MethodOptions = Record<string, OptionValue>;

/** One declared option of a method, with its name (lib/options/spec.ts). */
export type MethodOptionSpec = OptionSpec & {
  /** camelCase name (the CLI may spell it kebab-case: lambda-kd). */
  name: string;
};

export interface MethodEntry {
  name: MethodName;
  summary: string;
  /** True when createMethod needs teachers (CKD). */
  needsTeachers: boolean;
  /** The method's declared options, in declaration order. */
  options: MethodOptionSpec[];
  /** The same, by name. */
  specs: OptionSpecs;
  create(model: Backbone, data: Dataset, options: MethodOptions, teachers?: TeacherPair): TrainingMethod;
}

const listed = (specs: OptionSpecs): MethodOptionSpec[] => Object.entries(specs).map(([name, spec]) => ({ name, ...spec }));

export const METHODS: Record<MethodName, MethodEntry> = {
  plain: {
    name: 'plain',
    summary: 'the backbone alone: BPR plus its own L2',
    needsTeachers: false,
    options: [],
    specs: {},
    create: () => plainMethod,
  },
  ckd: {
    name: 'ckd',
    summary: 'Counterfactual Knowledge Distillation from uni-modal teachers (the paper)',
    needsTeachers: true,
    options: listed(CKD_OPTION_SPECS),
    specs: CKD_OPTION_SPECS,
    create: (model, data, o, teachers) => new CkdMethod(model, data, teachers, o as Partial<CkdOptions>),
  },
  gb: {
    name: 'gb',
    summary: 'Gradient Blending: branch losses weighted by their overfitting-to-generalisation ratio',
    needsTeachers: false,
    options: listed(GB_OPTION_SPECS),
    specs: GB_OPTION_SPECS,
    create: (model, data, o) => new GradientBlendingMethod(model, data, o as Partial<GbOptions>),
  },
  ogm: {
    name: 'ogm',
    summary: 'OGM-GE: damp the dominant modality\'s gradients, add Gaussian noise',
    needsTeachers: false,
    options: listed(OGM_OPTION_SPECS),
    specs: OGM_OPTION_SPECS,
    create: (model, data, o) => new OgmGeMethod(model, data, o as Partial<OgmOptions>),
  },
};

export function methodEntry(name: string): MethodEntry {
  const e = METHODS[name.toLowerCase() as MethodName];
  if (!e) throw new CkdError(`unknown method '${name}' (expected one of: ${METHOD_NAMES.join(', ')})`);
  return e;
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Checks typed options against the method's specs (unknown names, kinds, choices). Names may be
 * camelCase or kebab-case; the result is camelCase.
 */
export function checkMethodOptions(name: string, options: Record<string, unknown>): MethodOptions {
  const entry = methodEntry(name);
  const out: MethodOptions = {};
  for (const [raw, value] of Object.entries(options)) {
    const key = camel(raw);
    const spec = entry.options.find(s => s.name === key);
    if (!spec) {
      const known = entry.options.map(s => s.name).join(', ') || 'none';
      throw new CkdError(`method '${entry.name}' has no option '${raw}' (options: ${known})`);
    }
    out[key] = coerceOption(`method '${entry.name}': option`, key, spec, value);
  }
  return out;
}

/** Parses option values given as strings (from the command line) and checks them. */
export function parseMethodOptions(name: string, raw: Record<string, string>): MethodOptions {
  return checkMethodOptions(name, raw);
}

/** Builds a method; options are checked (createMethod('ckd', model, data, { lambdaKd: 0.1 }, teachers)). */
export function createMethod(name: string, model: Backbone, data: Dataset, options: Record<string, unknown> = {}, teachers?: TeacherPair): TrainingMethod {
  const entry = methodEntry(name);
  const checked = checkMethodOptions(entry.name, options);
  if (entry.needsTeachers && !teachers) {
    throw new CkdError(`method '${entry.name}' needs a teacher per modality (the cell runner trains or loads them: lib/experiments/run-cell.ts; or load them with loadTeacher)`);
  }
  return entry.create(model, data, checked, teachers);
}

/** Checked options without those equal to their defaults: what a run cell's key holds. */
export function nonDefaultMethodOptions(name: string, options: Record<string, unknown>): MethodOptions {
  return withoutDefaults(methodEntry(name).specs, checkMethodOptions(name, options));
}
