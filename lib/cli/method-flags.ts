import { CkdError } from '../errors';
import { METHODS, METHOD_NAMES, MethodName, MethodOptionSpec, MethodOptions, checkMethodOptions } from '../methods/registry';
import { helpWithRange } from '../options/spec';
import { OptionSpec, ParsedArgs } from './args';

/** Flags every command that takes method options already uses for something else. */
const TAKEN = new Set(['seed', 'data', 'model', 'mode', 'epochs', 'lr', 'out', 'help']);

const kebab = (s: string) => s.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`);

interface MethodFlag {
  method: MethodName;
  spec: MethodOptionSpec;
  flag: string;
}

/**
 * Each method option as a command-line flag: kebab-case (lambdaKd -> --lambda-kd), prefixed with
 * the method where the plain name is taken (gb's seed -> --gb-seed); a boolean that defaults to
 * true is switched off with --no-NAME (--no-generic), one that defaults to false on with --NAME.
 */
export const METHOD_FLAGS: MethodFlag[] = METHOD_NAMES.flatMap(method => METHODS[method].options.map(spec => {
  const base = TAKEN.has(kebab(spec.name)) ? `${method}-${kebab(spec.name)}` : kebab(spec.name);
  const flag = spec.kind === 'boolean' && spec.default === true ? `no-${base}` : base;
  return { method, spec, flag };
}));

/**
 * The help line of a method option's flag, from the method's declaration (lib/options/spec.ts).
 * A boolean flag flips its default, so its help says what the flag does ("turn generic
 * distillation off (Table 3's w/o Gen. ablation)"); other options say what they set and their
 * range (the default follows in the help's own column).
 */
export function methodFlagHelp(spec: MethodOptionSpec): string {
  if (spec.kind !== 'boolean') return helpWithRange(spec);
  const action = `turn ${spec.help} ${spec.default === true ? 'off' : 'on'}`;
  return spec.switchNote ? `${action} (${spec.switchNote})` : action;
}

/** The value placeholder of a method option's flag: none for a boolean, N for an integer, X for a number. */
function placeholder(spec: MethodOptionSpec): string | undefined {
  switch (spec.kind) {
    case 'boolean': return undefined;
    case 'choice': return spec.choices!.join('|');
    case 'int': return 'N';
    case 'number': return 'X';
  }
}

export function methodOptionSpecs(): OptionSpec[] {
  return METHOD_FLAGS.map(({ method, spec, flag }) => ({
    name: flag,
    value: placeholder(spec),
    help: `[${method}] ${methodFlagHelp(spec)}`,
    default: spec.kind === 'boolean' ? undefined : String(spec.default),
  }));
}

/** The options of `method` given on the command line; a flag of another method is an error. */
export function methodOptionsFromArgs(a: ParsedArgs, method: MethodName): MethodOptions {
  const raw: Record<string, unknown> = {};
  for (const { method: owner, spec, flag } of METHOD_FLAGS) {
    const v = a.options[flag];
    if (v === undefined) continue;
    if (owner !== method) throw new CkdError(`--${flag} is an option of --method ${owner}, not of ${method}`);
    raw[spec.name] = spec.kind === 'boolean' ? !(spec.default === true) : v;
  }
  return checkMethodOptions(method, raw);
}
