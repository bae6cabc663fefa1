/**
 * Backbone hyper-parameters (BackboneOptions.params): each model declares its own once, as option
 * specs (name, default, range, help; lib/options/spec.ts), listed in the model registry so that
 * `ckd train --param`, `ckd reproduce --param` and `ckd tune` can check them before anything
 * trains. A model reads its values with readModelParams: the defaults, overridden by what was
 * given, every value checked against its range; an unknown name is an error (a typo would
 * otherwise silently do nothing).
 */
import { CkdError } from '../errors';
import { OptionSpecs, ValuesOf, coerceOption } from '../options/spec';

export function readModelParams<S extends OptionSpecs>(model: string, specs: S, given: Record<string, number> | undefined): ValuesOf<S> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) out[name] = spec.default;
  for (const [k, v] of Object.entries(given ?? {})) {
    const spec = specs[k];
    if (!spec) throw new CkdError(`${model}: unknown parameter '${k}' (known: ${Object.keys(specs).join(', ') || 'none'})`);
    out[k] = coerceOption(`${model}: parameter`, `'${k}'`, spec, v);
  }
  return out as ValuesOf<S>;
}
