import * as assert from 'assert';
import { CkdError } from '../lib/errors';
import { CKD_DEFAULTS, CKD_OPTION_SPECS, ckdOptions } from '../lib/methods/ckd/method';
import { METHODS } from '../lib/methods/registry';
import { BACKBONES } from '../lib/models/registry';
import { VBPR_PARAMS } from '../lib/models/vbpr';
import {
  ValuesOf, bool, choice, coerceOption, defaultsOf, helpWithRange, int, num, rangeText, resolveOptions, withoutDefaults,
} from '../lib/options/spec';

describe('declared options', () => {
  const SPECS = {
    weight: num(0.5, 'a weight', { min: 0, max: 1, minOpen: true }),
    count: int(3, 'a count', { min: 1 }),
    on: bool(true, 'a feature'),
    kind: choice(['a', 'b'] as const, 'a', 'a kind'),
  };

  it('derives the defaults and the values\' type from one declaration', () => {
    const d: ValuesOf<typeof SPECS> = defaultsOf(SPECS);
    assert.deepStrictEqual(d, { weight: 0.5, count: 3, on: true, kind: 'a' });
    assert.deepStrictEqual(CKD_DEFAULTS, defaultsOf(CKD_OPTION_SPECS));
    assert.strictEqual(CKD_DEFAULTS.lambdaKd, 0.01);
    assert.strictEqual(CKD_DEFAULTS.lambdaG, 5);
    assert.strictEqual(VBPR_PARAMS.reg.default, 1e-5, 'VBPR\'s L2 weight as the CKD code has it');
  });

  it('checks kinds and ranges, typed or from strings, with messages naming the option', () => {
    assert.strictEqual(rangeText(SPECS.weight), 'in (0, 1]');
    assert.strictEqual(rangeText(SPECS.count), '>= 1');
    assert.strictEqual(rangeText({ min: 0, minOpen: true }), '> 0');
    assert.strictEqual(helpWithRange(SPECS.count), 'a count; >= 1');
    assert.strictEqual(coerceOption('x', 'weight', SPECS.weight, '0.25'), 0.25);
    assert.strictEqual(coerceOption('x', 'on', SPECS.on, 'off'), false);
    assert.throws(() => coerceOption('x option', 'weight', SPECS.weight, 0), /x option weight must be in \(0, 1\] \(got 0\)/);
    assert.throws(() => coerceOption('x', 'count', SPECS.count, 2.5), /x count must be an integer \(got 2.5\)/);
    assert.throws(() => coerceOption('x', 'count', SPECS.count, 0), /must be an integer >= 1/);
    assert.throws(() => coerceOption('x', 'weight', SPECS.weight, 'NaN'), /must be a number/);
    assert.throws(() => coerceOption('x', 'kind', SPECS.kind, 'c'), /must be one of a, b/);
    assert.deepStrictEqual(resolveOptions('x', SPECS, { count: 7, on: undefined }), { weight: 0.5, count: 7, on: true, kind: 'a' });
    assert.throws(() => resolveOptions('x option', SPECS, { size: 1 }), (e: Error) => e instanceof CkdError && /x option size does not exist \(known: weight, count, on, kind\)/.test(e.message));
    assert.throws(() => ckdOptions({ lambdaKd: -1 }), /CKD option lambdaKd must be >= 0 \(got -1\)/);
    assert.deepStrictEqual(withoutDefaults(SPECS, { weight: 0.5, count: 4 }), { count: 4 });
  });

  it('every method option and backbone parameter has help, and a default inside its own range', () => {
    const all = [...Object.values(METHODS).flatMap(m => Object.entries(m.specs).map(([n, s]) => [`${m.name}.${n}`, s] as const)),
      ...Object.entries(BACKBONES).flatMap(([m, e]) => Object.entries(e.params).map(([n, s]) => [`${m}.${n}`, s] as const))];
    assert.ok(all.length > 30);
    for (const [name, spec] of all) {
      assert.ok(spec.help.length > 5, name);
      assert.strictEqual(coerceOption(name, '', spec, spec.default), spec.default, name);
    }
    for (const e of Object.values(BACKBONES)) assert.ok(Object.keys(e.params).length >= 1);
  });
});
