import { CkdError } from '../errors';

/** One option of a command: its name (without --), whether it takes a value, and its help line. */
export interface OptionSpec {
  name: string;
  value?: string; // placeholder shown in help, e.g. 'N'; absent = boolean flag
  help: string;
  default?: string;
  /** May be given several times (--param a=1 --param b=2): every value is kept, in order (ParsedArgs.lists). */
  repeatable?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: OptionSpec[];
  /** Number of positional arguments accepted. */
  positionals?: number;
}

export interface ParsedArgs {
  /** Each option's value (a repeatable option's last one); true for a flag. */
  options: Record<string, string | true>;
  /** Every value of each repeatable option given, in order. */
  lists: Record<string, string[]>;
  positionals: string[];
}

/** Parses `--name value`, `--name=value` and `--flag`; unknown options are an error. */
export function parseArgs(spec: CommandSpec, argv: string[]): ParsedArgs {
  const byName = new Map(spec.options.map(o => [o.name, o]));
  const options: Record<string, string | true> = {};
  const lists: Record<string, string[]> = {};
  const positionals: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k];
    if (!arg.startsWith('--')) { positionals.push(arg); continue; }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq >= 0 ? eq : undefined);
    const opt = byName.get(name);
    if (!opt) throw new CkdError(`unknown option --${name} for 'ckd ${spec.name}' (see ckd ${spec.name} --help)`);
    if (!opt.value) {
      if (eq >= 0) throw new CkdError(`--${name} takes no value`);
      options[name] = true;
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++k];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new CkdError(`--${name} needs a value (${opt.value})`);
    options[name] = value;
    if (opt.repeatable) (lists[name] ??= []).push(value);
  }
  if (positionals.length > (spec.positionals ?? 0)) {
    throw new CkdError(`unexpected argument '${positionals[spec.positionals ?? 0]}' for 'ckd ${spec.name}'`);
  }
  return { options, lists, positionals };
}

export function stringOpt(a: ParsedArgs, name: string, fallback?: string): string | undefined {
  const v = a.options[name];
  return typeof v === 'string' ? v : fallback;
}

export function requireOpt(a: ParsedArgs, name: string): string {
  const v = stringOpt(a, name);
  if (v === undefined) throw new CkdError(`--${name} is required`);
  return v;
}

export function numberOpt(a: ParsedArgs, name: string, fallback: number, kind: 'int' | 'float' = 'float'): number {
  const v = stringOpt(a, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n))) {
    throw new CkdError(`--${name} must be ${kind === 'int' ? 'an integer' : 'a number'} (got '${v}')`);
  }
  if (kind === 'int' && !Number.isSafeInteger(n)) {
    throw new CkdError(`--${name} is out of range (got '${v}'; integers must be at most ${Number.MAX_SAFE_INTEGER} in magnitude)`);
  }
  return n;
}

export function choiceOpt<T extends string>(a: ParsedArgs, name: string, choices: readonly T[], fallback: T): T {
  const v = stringOpt(a, name, fallback)!;
  if (!(choices as readonly string[]).includes(v)) {
    throw new CkdError(`--${name} must be one of ${choices.join(', ')} (got '${v}')`);
  }
  return v as T;
}

export function formatHelp(spec: CommandSpec): string {
  const lines = [`usage: ${spec.usage}`, '', spec.summary, ''];
  if (spec.options.length) {
    lines.push('options:');
    const left = spec.options.map(o => `  --${o.name}${o.value ? ` ${o.value}` : ''}`);
    const width = Math.max(...left.map(l => l.length)) + 2;
    spec.options.forEach((o, k) => {
      lines.push(`${left[k].padEnd(width)}${o.help}${o.default !== undefined ? ` (default: ${o.default})` : ''}${o.repeatable ? ' (repeatable)' : ''}`);
    });
  }
  return lines.join('\n');
}
