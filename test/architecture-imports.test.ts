/**
 * The layers of lib/ (docs/layout.md) as rules on import lines, read from the TypeScript sources:
 *   - models and methods reach the engine only through lib/nn: of lib/engine they may import the
 *     seeded random stream (engine/random) and nothing else;
 *   - a model imports only tfjs, lib/nn, lib/data, lib/errors, lib/options (its parameters'
 *     declarations), engine/random and its own folder;
 *   - nothing below the experiments (data, nn, models, methods, train) imports lib/experiments or
 *     lib/cli, and lib/train, lib/nn and lib/data import no method;
 *   - no two modules of those layers import each other, directly or through others (no cycles).
 * Each rule is also checked against a made-up violation, so that a parser that saw nothing
 * would fail.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const LIB = path.join(ROOT, 'lib');

/** Every .ts file under lib/<folder>, as paths relative to lib/ without the extension. */
function modulesUnder(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(path.relative(LIB, full).slice(0, -3).split(path.sep).join('/'));
    }
  };
  walk(path.join(LIB, folder));
  return out.sort();
}

/** The module specifiers of a source text's import and export-from statements and require calls. */
export function importSpecifiers(source: string): string[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const patterns = [
    /\bimport\s+(?:type\s+)?(?:[\w*{}\s,]+?\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bexport\s+(?:type\s+)?(?:\*|\{[^}]*\})(?:\s+as\s+\w+)?\s+from\s+['"]([^'"]+)['"]/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1]);
  return out;
}

/** A specifier resolved to a module of lib/ ('engine/random'), or the package / builtin name as given. */
function resolve(from: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  const abs = path.resolve(path.dirname(path.join(LIB, from)), spec);
  const rel = path.relative(LIB, abs).split(path.sep).join('/');
  if (rel.startsWith('..')) return `../${rel}`;
  return fs.existsSync(abs + '.ts') ? rel : fs.existsSync(path.join(abs, 'index.ts')) ? `${rel}/index` : rel;
}

function importsOf(mod: string): string[] {
  const source = fs.readFileSync(path.join(LIB, mod + '.ts'), 'utf8');
  return importSpecifiers(source).map(s => resolve(mod, s));
}

const LOWER_LAYERS = ['data', 'nn', 'models', 'methods', 'train'];
const folderOf = (mod: string) => mod.split('/')[0];
const isTfjs = (dep: string) => dep.startsWith('@tensorflow/');

/** Broken rules of one module, as lines naming the module and the import. */
export function ruleViolations(mod: string, deps: string[]): string[] {
  const out: string[] = [];
  const layer = folderOf(mod);
  for (const dep of deps) {
    const target = folderOf(dep);
    if ((layer === 'models' || layer === 'methods') && target === 'engine' && dep !== 'engine/random') {
      out.push(`${mod} imports ${dep}: models and methods reach the engine through lib/nn (only engine/random is allowed)`);
    }
    if (LOWER_LAYERS.includes(layer) && (target === 'experiments' || target === 'cli')) {
      out.push(`${mod} imports ${dep}: lib/${layer} sits below lib/experiments and lib/cli`);
    }
    if (['train', 'nn', 'data'].includes(layer) && target === 'methods') {
      out.push(`${mod} imports ${dep}: lib/${layer} knows a training method only through lib/train/method.ts`);
    }
    if (layer === 'models' && !isTfjs(dep) && dep !== 'errors' && dep !== 'engine/random' && !['nn', 'data', 'models', 'options'].includes(target)) {
      out.push(`${mod} imports ${dep}: a model imports only tfjs, lib/nn, lib/data, lib/errors, lib/options, engine/random and lib/models`);
    }
  }
  return out;
}

/** Import cycles among the given modules (each as the list of modules around it). */
export function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (m: string) => {
    state.set(m, 'open');
    stack.push(m);
    for (const d of graph.get(m) ?? []) {
      if (!graph.has(d)) continue;
      if (state.get(d) === 'open') found.push(stack.slice(stack.indexOf(d)).concat(d));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(m, 'done');
  };
  for (const m of graph.keys()) if (!state.has(m)) visit(m);
  return found;
}

describe('architecture: the import rules between the layers of lib/', () => {
  const graph = new Map<string, string[]>();
  before(() => {
    for (const folder of LOWER_LAYERS) for (const mod of modulesUnder(folder)) graph.set(mod, importsOf(mod));
  });

  it('parses import, export-from, type-only and require specifiers (and not those in comments)', () => {
    const src = [
      "import * as tf from '@tensorflow/tfjs-core';",
      "import { a,\n  b } from '../engine/graph-ops';",
      "import type { C } from './c';",
      "export { d } from '../nn/d';",
      "export * from './e';",
      "const f = require('../experiments/f');",
      "// import { g } from '../cli/g';",
      "/* import { h } from '../cli/h'; */",
    ].join('\n');
    assert.deepStrictEqual(importSpecifiers(src).sort(),
      ['../engine/graph-ops', '../experiments/f', '../nn/d', './c', './e', '@tensorflow/tfjs-core'].sort());
  });

  it('every rule fires on a made-up violation', () => {
    const fires = (mod: string, dep: string, why: RegExp) =>
      assert.ok(ruleViolations(mod, [dep]).some(l => why.test(l)), `${mod} importing ${dep}`);
    fires('models/x', 'engine/graph-ops', /through lib\/nn/);
    fires('methods/ckd/x', 'engine/host-read', /through lib\/nn/);
    fires('train/x', 'experiments/provenance', /below lib\/experiments/);
    fires('nn/x', 'cli/args', /below lib\/experiments/);
    fires('models/x', 'train/trainer', /a model imports only/);
    fires('train/x', 'methods/ckd/method', /only through lib\/train\/method.ts/);
    assert.deepStrictEqual(ruleViolations('models/x', ['@tensorflow/tfjs-core', 'engine/random', 'nn/dense', 'data/dataset', 'errors', 'models/backbone']), []);
    assert.deepStrictEqual(ruleViolations('methods/x', ['engine/random', 'nn/host-values', 'train/method', 'models/backbone', 'fs']), []);
    assert.deepStrictEqual(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c', 'a']]);
  });

  it('lib/models and lib/methods import of lib/engine only engine/random, and nothing below the experiments imports them or the CLI', () => {
    assert.ok([...graph.keys()].some(m => m.startsWith('models/')) && [...graph.keys()].some(m => m.startsWith('methods/')), 'sources found');
    const broken = [...graph].flatMap(([mod, deps]) => ruleViolations(mod, deps));
    assert.deepStrictEqual(broken, []);
  });

  it('no import cycles among lib/data, nn, models, methods and train', () => {
    assert.deepStrictEqual(cycles(graph).map(c => c.join(' -> ')), []);
  });
});
