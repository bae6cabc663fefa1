/**
 * Declared options: each option of a method (CKD's lambdaKd, ...) or hyper-parameter of a
 * backbone (VBPR's reg, ...) is declared once, as a named spec with its kind, default, range and
 * help. Everything else is derived from that one declaration:
 *   - the options' type (ValuesOf<typeof SPECS>), so an interface cannot drift from its spec;
 *   - the defaults (defaultsOf);
 *   - checking typed values (resolveOptions: defaults filled in, kinds and ranges checked) and
 *     strings from a command line or a JSON file (coerceOption);
 *   - the command-line flags and help of lib/cli/method-flags.ts and lib/cli/params.ts, the
 *     generated docs/cli.md, and the search spaces of `ckd tune` (lib/tune/space.ts).
 * A range is a closed or open bound on each side: { min: 0 } is ">= 0", { min: 0, minOpen: true }
 * is "> 0", { min: 0, max: 1, minOpen: true, maxOpen: true } is "in (0, 1)".
 */
import { CkdError } from '../errors';

export interface Range {
  min?: number;
  max?: number;
  /** The bound itself is excluded. */
  minOpen?: boolean;
  maxOpen?: boolean;
}

/**
 * What a backbone hyper-parameter is, where it is one of the paper's tuned kinds: the named
 * search spaces (paper-l2, paper-dropout) find a model's parameter by its role.
 */
export type ParamRole = 'l2' | 'dropout';

interface SpecBase {
  /**
   * What the option sets. For a boolean, the feature it switches, as a noun phrase ('generic
   * distillation'): the CLI renders it as "turn ... off" for --no-NAME (default true) or
   * "turn ... on" for --NAME (default false).
   */
  help: string;
  role?: ParamRole;
}
export interface NumberSpec extends SpecBase, Range { kind: 'number'; default: number }
export interface IntSpec extends SpecBase, Range { kind: 'int'; default: number }
export interface BoolSpec extends SpecBase {
  kind: 'boolean';
  default: boolean;
  /** What switching away from the default amounts to (e.g. an ablation's name). */
  switchNote?: string;
}
export interface ChoiceSpec<C extends string = string> extends SpecBase { kind: 'choice'; choices: readonly C[]; default: C }

export type OptionSpec = NumberSpec | IntSpec | BoolSpec | ChoiceSpec;
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;
export type OptionValue = number | string | boolean;

/** The values an option set takes: numbers, booleans, or the union of a choice's names. */
export type ValuesOf<S extends OptionSpecs> = {
  -readonly [K in keyof S]: S[K] extends ChoiceSpec<infer C> ? C : S[K] extends BoolSpec ? boolean : number;
};

/** A real-valued option (finite), optionally bounded. */
export function num(def: number, help: string, range: Range & { role?: ParamRole } = {}): NumberSpec {
  return { kind: 'number', default: def, help, ...range };
}

/** An integer option, optionally bounded. */
export function int(def: number, help: string, range: Range & { role?: ParamRole } = {}): IntSpec {
  return { kind: 'int', default: def, help, ...range };
}

export function bool(def: boolean, help: string, switchNote?: string): BoolSpec {
  return { kind: 'boolean', default: def, help, ...(switchNote ? { switchNote } : {}) };
}

export function choice<C extends string>(choices: readonly C[], def: C, help: string): ChoiceSpec<C> {
  return { kind: 'choice', choices, default: def, help };
}

/** The defaults of an option set. */
export function defaultsOf<S extends OptionSpecs>(specs: S): ValuesOf<S> {
  const out: Record<string, OptionValue> = {};
  for (const [name, spec] of Object.entries(specs)) out[name] = spec.default;
  return out as ValuesOf<S>;
}

/** The range as words: '>= 0', '> 0', 'in (0, 1)', 'in [1, 10]', or '' when unbounded. */
export function rangeText(r: Range): string {
  const lo = r.min !== undefined;
  const hi = r.max !== undefined;
  if (lo && hi) return `in ${r.minOpen ? '(' : '['}${r.min}, ${r.max}${r.maxOpen ? ')' : ']'}`;
  if (lo) return `${r.minOpen ? '>' : '>='} ${r.min}`;
  if (hi) return `${r.maxOpen ? '<' : '<='} ${r.max}`;
  return '';
}

function inRange(v: number, r: Range): boolean {
  if (r.min !== undefined && (r.minOpen ? !(v > r.min) : !(v >= r.min))) return false;
  if (r.max !== undefined && (r.maxOpen ? !(v < r.max) : !(v <= r.max))) return false;
  return true;
}

/**
 * Checks one value against its spec and returns it typed; strings (from a command line) are
 * parsed: numbers, and true/false, 1/0, yes/no, on/off for booleans. `where` starts the error
 * ("method 'ckd': option", "CKD option", "vbpr: parameter").
 */
export function coerceOption(where: string, name: string, spec: OptionSpec, value: unknown): OptionValue {
  const bad = (what: string) => new CkdError(`${where} ${name} ${what} (got ${JSON.stringify(value)})`);
  switch (spec.kind) {
    case 'number':
    case 'int': {
      const v = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('must be a number');
      if (spec.kind === 'int' && !Number.isInteger(v)) throw bad('must be an integer');
      if (!inRange(v, spec)) throw bad(`must be ${spec.kind === 'int' ? 'an integer ' : ''}${rangeText(spec)}`);
      return v;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === '1' || value === 'yes' || value === 'on') return true;
      if (value === 'false' || value === '0' || value === 'no' || value === 'off') return false;
      throw bad('must be true or false');
    case 'choice':
      if (typeof value !== 'string' || !spec.choices.includes(value)) throw bad(`must be one of ${spec.choices.join(', ')}`);
      return value;
  }
}

/**
 * Typed options with the defaults filled in and every given value checked (kind and range);
 * an option left undefined takes its default, an unknown name is an error.
 */
export function resolveOptions<S extends OptionSpecs>(where: string, specs: S, given: Partial<ValuesOf<S>> | Record<string, unknown> = {}): ValuesOf<S> {
  const out = defaultsOf(specs) as Record<string, OptionValue>;
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const spec = specs[name];
    if (!spec) throw new CkdError(`${where} ${name} does not exist (known: ${Object.keys(specs).join(', ') || 'none'})`);
    out[name] = coerceOption(where, name, spec, value);
  }
  return out as ValuesOf<S>;
}

/** The given values that differ from their defaults (what a result store's key should hold). */
export function withoutDefaults(specs: OptionSpecs, values: Readonly<Record<string, OptionValue>>): Record<string, OptionValue> {
  const out: Record<string, OptionValue> = {};
  for (const [name, v] of Object.entries(values)) if (specs[name]?.default !== v) out[name] = v;
  return out;
}

/** The help line of an option with its range, e.g. 'weight of the distillation loss (lambda_kd); >= 0'. */
export function helpWithRange(spec: OptionSpec): string {
  const r = spec.kind === 'number' || spec.kind === 'int' ? rangeText(spec) : '';
  return r ? `${spec.help}; ${r}` : spec.help;
}
