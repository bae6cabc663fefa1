import { CkdError } from '../errors';

/**
 * A model's hyper-parameters: its defaults overridden by BackboneOptions.params; an unknown name
 * is an error (a typo would silently do nothing), and so is a value that is not a finite number.
 */
export function readModelParams<T extends object>(model: string, defaults: Readonly<T>, given: Record<string, number> | undefined): T {
  const out = { ...defaults } as Record<string, number>;
  for (const [k, v] of Object.entries(given ?? {})) {
    if (!(k in out)) throw new CkdError(`${model}: unknown parameter '${k}' (known: ${Object.keys(out).join(', ')})`);
    if (!Number.isFinite(v)) throw new CkdError(`${model}: parameter '${k}' must be a finite number (got ${v})`);
    out[k] = v;
  }
  return out as T;
}
