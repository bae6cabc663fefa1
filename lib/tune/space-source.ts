/**
 * Where `--space` comes from: a named space (named-spaces.ts) or a JSON file (space.ts says what
 * it holds). Errors name the space or the file and the problem, in one line.
 */
import * as fs from 'fs';
import { CkdError } from '../errors';
import { NAMED_SPACES, NAMED_SPACE_NAMES } from './named-spaces';
import { SearchSpace, checkSpace } from './space';

export function loadSpace(arg: string, model: string, method: string): SearchSpace {
  const named = NAMED_SPACES[arg];
  if (named) return { ...checkSpace(named.resolve(model, method), model, method, `--space ${arg}`), name: arg };
  let text: string;
  try {
    text = fs.readFileSync(arg, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CkdError(`--space ${arg}: no such file, and not a named space (${NAMED_SPACE_NAMES.join(', ')})`);
    throw new CkdError(`--space ${arg}: cannot read the file (${code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CkdError(`--space ${arg}: not valid JSON (${(e as Error).message})`);
  }
  return { ...checkSpace(raw, model, method, `--space ${arg}`), name: arg };
}
