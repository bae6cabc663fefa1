/**
 * Every training method by its CLI name, with its options (name, kind, default, help) so that
 * the CLI can list, parse and check them:
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
import { BCE_FORMS, SD_LOSSES } from './ckd/losses';
import { CKD_DEFAULTS, CkdMethod, CkdOptions } from './ckd/method';
import { REWEIGHTS } from './ckd/reweight';
import { GB_DEFAULTS, GbOptions, GradientBlendingMethod } from './gb/method';
import { OGM_DEFAULTS, OGM_SCORES, OgmGeMethod, OgmOptions } from './ogm';
import { TeacherPair } from './teacher';

export type MethodName = 'plain' | 'ckd' | 'gb' | 'ogm';
export const METHOD_NAMES: readonly MethodName[] = ['plain', 'ckd', 'gb', 'ogm'];

export type OptionValue = number | string | boolean;
export type MethodOptions = Record<string, OptionValue>;

export interface MethodOptionSpec {
  /** camelCase name (the CLI may spell it kebab-case: lambda-kd). */
  name: string;
  kind: 'number' | 'int' | 'boolean' | 'choice';
  choices?: readonly string[];
  default: OptionValue;
  /**
   * What the option sets. For a boolean, the feature it switches, as a noun phrase ('generic
   * distillation'): the CLI renders it as "turn ... off" for --no-NAME (default true) or
   * "turn ... on" for --NAME (default false).
   */
  help: string;
  /** Booleans only: what switching away from the default amounts to (e.g. an ablation's name). */
  switchNote?: string;
}

export interface MethodEntry {
  name: MethodName;
  summary: string;
  /** True when createMethod needs teachers (CKD). */
  needsTeachers: boolean;
  options: MethodOptionSpec[];
  create(model: Backbone, data: Dataset, options: MethodOptions, teachers?: TeacherPair): TrainingMethod;
}

const num = (name: string, def: number, help: string): MethodOptionSpec => ({ name, kind: 'number', default: def, help });
const int = (name: string, def: number, help: string): MethodOptionSpec => ({ name, kind: 'int', default: def, help });
const bool = (name: string, def: boolean, help: string, switchNote?: string): MethodOptionSpec =>
  ({ name, kind: 'boolean', default: def, help, ...(switchNote ? { switchNote } : {}) });
const choice = (name: string, choices: readonly string[], def: string, help: string): MethodOptionSpec => ({ name, kind: 'choice', choices, default: def, help });

export const METHODS: Record<MethodName, MethodEntry> = {
  plain: {
    name: 'plain',
    summary: 'the backbone alone: BPR plus its own L2',
    needsTeachers: false,
    options: [],
    create: () => plainMethod,
  },
  ckd: {
    name: 'ckd',
    summary: 'Counterfactual Knowledge Distillation from uni-modal teachers (the paper)',
    needsTeachers: true,
    options: [
      num('lambdaKd', CKD_DEFAULTS.lambdaKd, 'weight of the distillation loss (lambda_kd)'),
      num('lambdaG', CKD_DEFAULTS.lambdaG, 'weight of the generic loss (lambda_g)'),
      num('tau', CKD_DEFAULTS.tau, 'temperature of the generic (and KL) loss'),
      int('universalCount', CKD_DEFAULTS.universalCount, 'universal triples per step for the generic loss'),
      choice('reweight', REWEIGHTS, CKD_DEFAULTS.reweight, 'counterfactual re-weighting: paper (Eqs. 15-18), reference-code, none (ablation)'),
      bool('generic', CKD_DEFAULTS.generic, 'generic distillation', 'Table 3\'s w/o Gen. ablation'),
      choice('sdLoss', SD_LOSSES, CKD_DEFAULTS.sdLoss, 'specific distillation loss: hinge (paper), kl or mse (ablations)'),
      choice('bce', BCE_FORMS, CKD_DEFAULTS.bce, 'generic BCE: exact (Eq. 12) or the authors\' 1e-8 form'),
      num('rhoFloor', CKD_DEFAULTS.rhoFloor, 'floor of rho in the paper\'s re-weighting'),
    ],
    create: (model, data, o, teachers) => new CkdMethod(model, data, teachers, o as Partial<CkdOptions>),
  },
  gb: {
    name: 'gb',
    summary: 'Gradient Blending: branch losses weighted by their overfitting-to-generalisation ratio',
    needsTeachers: false,
    options: [
      int('window', GB_DEFAULTS.window, 'super-epoch length (epochs between weight estimations)'),
      int('estimateEpochs', GB_DEFAULTS.estimateEpochs, 'epochs each branch trains per estimation'),
      num('holdout', GB_DEFAULTS.holdout, 'fraction of train interactions held out for the OGR'),
      int('evalTriples', GB_DEFAULTS.evalTriples, 'fixed triples for the train and held-out losses (at most)'),
      int('seed', GB_DEFAULTS.seed, 'seed of the held-out split and the fixed triples'),
      num('eps', GB_DEFAULTS.eps, 'floor of dO^2'),
    ],
    create: (model, data, o) => new GradientBlendingMethod(model, data, o as Partial<GbOptions>),
  },
  ogm: {
    name: 'ogm',
    summary: 'OGM-GE: damp the dominant modality\'s gradients, add Gaussian noise',
    needsTeachers: false,
    options: [
      num('alpha', OGM_DEFAULTS.alpha, 'modulation strength (k = 1 - tanh(alpha * rho))'),
      int('windowStart', OGM_DEFAULTS.windowStart, 'first epoch of modulation (1-based)'),
      int('windowEnd', OGM_DEFAULTS.windowEnd, 'last epoch of modulation (inclusive)'),
      bool('ge', OGM_DEFAULTS.ge, 'the generalisation enhancement noise', 'plain OGM, without GE'),
      choice('score', OGM_SCORES, OGM_DEFAULTS.score, 'margin per modality: contribution (ds - ds with m ablated) or branch (ablated branch)'),
    ],
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
    out[key] = coerce(entry.name, spec, value);
  }
  return out;
}

/** Parses option values given as strings (from the command line) and checks them. */
export function parseMethodOptions(name: string, raw: Record<string, string>): MethodOptions {
  return checkMethodOptions(name, raw);
}

function coerce(method: string, spec: MethodOptionSpec, value: unknown): OptionValue {
  const bad = (what: string) => new CkdError(`method '${method}': option ${spec.name} ${what} (got ${JSON.stringify(value)})`);
  switch (spec.kind) {
    case 'number':
    case 'int': {
      const v = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('must be a number');
      if (spec.kind === 'int' && !Number.isInteger(v)) throw bad('must be an integer');
      return v;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === '1' || value === 'yes' || value === 'on') return true;
      if (value === 'false' || value === '0' || value === 'no' || value === 'off') return false;
      throw bad('must be true or false');
    case 'choice':
      if (typeof value !== 'string' || !spec.choices!.includes(value)) throw bad(`must be one of ${spec.choices!.join(', ')}`);
      return value;
  }
}

/** Builds a method; options are checked (createMethod('ckd', model, data, { lambdaKd: 0.1 }, teachers)). */
export function createMethod(name: string, model: Backbone, data: Dataset, options: Record<string, unknown> = {}, teachers?: TeacherPair): TrainingMethod {
  const entry = methodEntry(name);
  const checked = checkMethodOptions(entry.name, options);
  if (entry.needsTeachers && !teachers) {
    throw new CkdError(`method '${entry.name}' needs a teacher per modality (train them first, e.g. trainTeachers, or load them with loadTeachers)`);
  }
  return entry.create(model, data, checked, teachers);
}
