import * as assert from 'assert';
import { CkdError } from '../lib/errors';
import { historyFigure, linesFigure } from '../lib/experiments/series-figure';
import { EpochRecord } from '../lib/train/trainer';

describe('experiments: line figures', () => {
  it('linesFigure draws each line with points, x as given, and names its axes', () => {
    const spec = linesFigure([
      { name: 'bpr', x: [1, 2, 3], y: [0.7, 0.6, 0.5], color: '#222222' },
      { name: 'empty', x: [], y: [] },
      { name: 'kd', x: [1, 2, 3], y: [0.1, 0.1, 0.09], dash: 'dash' },
    ], { title: 'loss per step', xTitle: 'step', yTitle: 'loss' });
    assert.deepStrictEqual(spec.data.map(t => t.name), ['bpr', 'kd']);
    assert.deepStrictEqual(spec.data[0].x, [1, 2, 3]);
    assert.deepStrictEqual(spec.data[1].y, [0.1, 0.1, 0.09]);
    assert.strictEqual(spec.data[1].line?.dash, 'dash');
    assert.strictEqual(spec.data[0].line?.dash, 'solid');
    const layout = spec.layout as { xaxis: { title: { text: string } }; yaxis: { title: { text: string }; type?: string } };
    assert.strictEqual(layout.xaxis.title.text, 'step');
    assert.strictEqual(layout.yaxis.title.text, 'loss');
    assert.strictEqual(layout.yaxis.type, undefined);
    assert.strictEqual((linesFigure([{ name: 'a', x: [1], y: [1] }], { title: 't', xTitle: 'x', yTitle: 'y', logY: true })
      .layout as { yaxis: { type?: string } }).yaxis.type, 'log');
  });

  it('linesFigure refuses lines of unequal lengths and a figure without points', () => {
    assert.throws(() => linesFigure([{ name: 'a', x: [1, 2], y: [1] }], { title: 't', xTitle: 'x', yTitle: 'y' }), CkdError);
    assert.throws(() => linesFigure([{ name: 'a', x: [], y: [] }], { title: 't', xTitle: 'x', yTitle: 'y' }), CkdError);
  });

  it('historyFigure plots a history field over epochs and skips epochs without it', () => {
    const history: EpochRecord[] = [1, 2, 3].map(epoch => ({
      epoch, loss: { total: 1 / epoch }, seconds: 0.1, ...(epoch === 2 ? {} : { diagnostics: { lambda_text: 0.5 + epoch / 10 } }),
    }));
    const spec = historyFigure([{ name: 'lambda text', history, field: 'diagnostics', key: 'lambda_text' }], { title: 'w', yTitle: 'lambda' });
    assert.deepStrictEqual(spec.data[0].x, [1, 3]);
    assert.deepStrictEqual(spec.data[0].y, [0.6, 0.8]);
    assert.strictEqual((spec.layout as { xaxis: { title: { text: string } } }).xaxis.title.text, 'epoch');
    assert.throws(() => historyFigure([{ name: 'x', history, field: 'probe', key: 'nope' }], { title: 'w', yTitle: 'y' }), /none of the histories has probe\.nope/);
  });
});
