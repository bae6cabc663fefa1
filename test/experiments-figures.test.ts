import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EvaluationResult } from '../lib/eval/evaluate';
import {
  FIGURE1_TRACES, bandBetween, figure1, figureHtmlFragment, findChromium, plotlyBundle, valCurve, writeFigureHtml,
  writeFigurePng,
} from '../lib/experiments/figures';
import { reportHtml, writeReport } from '../lib/experiments/report';
import { table1 } from '../lib/experiments/tables';
import { ModalityMask } from '../lib/models/backbone';
import { EpochRecord } from '../lib/train/trainer';

function ev(recall: number): EvaluationResult {
  return { ks: [10, 20], ndcgVariant: 'standard', users: 10, recall: { 10: recall / 2, 20: recall }, ndcg: { 10: 0, 20: recall / 3 }, precision: { 10: 0, 20: 0 } };
}

/** A hand-made history: validation every 5 epochs, Recall@20 per mask from the given functions. */
function history(epochs: number, r: Partial<Record<ModalityMask, (e: number) => number>>): EpochRecord[] {
  const out: EpochRecord[] = [];
  for (let e = 1; e <= epochs; e++) {
    const rec: EpochRecord = { epoch: e, loss: { total: 1 / e }, seconds: 0.1 };
    if (e % 5 === 0) {
      rec.val = {} as Record<ModalityMask, EvaluationResult>;
      for (const m of ['all', 'text', 'visual'] as const) rec.val[m] = ev(r[m] ? r[m]!(e) : 0);
    }
    out.push(rec);
  }
  return out;
}

const multimodal = history(20, { all: e => 0.05 + e / 1000, text: e => 0.03 + e / 2000, visual: e => 0.02 + e / 4000 });
const textOnly = history(15, { text: e => 0.04 + e / 1000 });
const visualOnly = history(20, { visual: e => 0.03 + e / 1000 });

describe('experiments: Figure 1 spec', () => {
  it('reads validation curves from a history', () => {
    const c = valCurve(multimodal, 'text');
    assert.deepStrictEqual(c.x, [5, 10, 15, 20]);
    assert.ok(Math.abs(c.y[1] - 0.035) < 1e-12);
    assert.deepStrictEqual(valCurve({ history: textOnly } as never, 'text').x, [5, 10, 15], 'a TrainResult works too');
    assert.throws(() => valCurve(multimodal, 'all', 'recall', 50), /no validation recall@50/);
  });

  it('has the five curves, channels dashed, and the two shaded gaps under them', () => {
    const spec = figure1({ multimodal, textOnly, visualOnly });
    const names = spec.data.map(t => t.name);
    const T = FIGURE1_TRACES;
    assert.deepStrictEqual(names, [T.gapText, T.gapVisual, T.all, T.textChannel, T.visualChannel, T.textOnly, T.visualOnly]);
    const byName = (n: string) => spec.data.find(t => t.name === n)!;
    assert.strictEqual(byName(T.textChannel).line?.dash, 'dash');
    assert.strictEqual(byName(T.visualChannel).line?.dash, 'dash');
    assert.strictEqual(byName(T.all).line?.dash, 'solid');
    assert.strictEqual(byName(T.textOnly).line?.color, byName(T.textChannel).line?.color, 'a channel and its uni-modal model share a colour');
    assert.deepStrictEqual(byName(T.textOnly).x, [5, 10, 15]);

    // The text gap: a closed polygon over the epochs both curves have (5, 10, 15).
    const gap = byName(T.gapText);
    assert.strictEqual(gap.fill, 'toself');
    assert.ok(gap.fillcolor && /rgba\(.*0\.\d+\)/.test(gap.fillcolor));
    assert.deepStrictEqual(gap.x, [5, 10, 15, 15, 10, 5]);
    const expectY = [0.045, 0.05, 0.055, 0.03 + 15 / 2000, 0.03 + 10 / 2000, 0.03 + 5 / 2000];
    gap.y.forEach((v, i) => assert.ok(Math.abs(v - expectY[i]) < 1e-12, `gap y[${i}]`));
    assert.deepStrictEqual(byName(T.gapVisual).x, [5, 10, 15, 20, 20, 15, 10, 5]);

    const layout = spec.layout as { yaxis: { title: { text: string } }; xaxis: { title: { text: string } } };
    assert.strictEqual(layout.yaxis.title.text, 'validation Recall@20');
    assert.strictEqual(layout.xaxis.title.text, 'epoch');
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(spec)), 'plain JSON');
  });

  it('works without the uni-modal models, and refuses an unvalidated history', () => {
    const spec = figure1({ multimodal });
    assert.deepStrictEqual(spec.data.map(t => t.name), [FIGURE1_TRACES.all, FIGURE1_TRACES.textChannel, FIGURE1_TRACES.visualChannel]);
    assert.throws(() => figure1({ multimodal: history(4, {}) }), /no validation epochs/);
  });

  it('bandBetween pairs epochs by value, not position', () => {
    const band = bandBetween({ x: [1, 2, 3], y: [1, 2, 3] }, { x: [2, 3, 4], y: [0, 0, 0] }, 'b', 'rgba(0,0,0,0.1)');
    assert.deepStrictEqual(band.x, [2, 3, 3, 2]);
    assert.deepStrictEqual(band.y, [2, 3, 0, 0]);
  });
});

describe('experiments: figure and report files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-figures-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const spec = figure1({ multimodal, textOnly, visualOnly });

  it('writes a standalone HTML page with the plotly bundle inlined', () => {
    const file = writeFigureHtml(spec, path.join(dir, 'sub', 'figure1.html'));
    const html = fs.readFileSync(file, 'utf8');
    const b = plotlyBundle();
    assert.ok(html.startsWith('<!DOCTYPE html>'));
    assert.ok(html.includes(`plotly.js-dist ${b.version}, inlined`));
    assert.ok(html.includes(b.source.slice(0, 2000)), 'the bundle itself');
    assert.ok(html.length > b.source.length);
    assert.ok(!/<script[^>]+src=/.test(html), 'no external scripts (no CDN)');
    assert.ok(html.includes('Plotly.newPlot'));
    assert.ok(html.includes(JSON.stringify(FIGURE1_TRACES.gapText)));
    assert.strictEqual(html.match(/<\/script>/g)!.length, 3, 'the static-mode switch, the bundle and the drawing script');
  });

  it('fragments for notebooks escape the spec and can carry the bundle', () => {
    const tricky = figure1({ multimodal, title: '</script><b>x</b>' });
    const f = figureHtmlFragment(tricky, { id: 'f1' });
    assert.ok(!f.includes('</script><b>'), 'title cannot close the script');
    assert.ok(f.includes('<div id="f1"'));
    assert.ok(f.length < 20000, 'no bundle by default');
    assert.ok(figureHtmlFragment(spec, { includeBundle: true }).length > plotlyBundle().source.length);
  });

  it('writes one HTML report with tables and figures, plotly inlined once', () => {
    const file = writeReport(path.join(dir, 'report.html'), {
      title: 'Report <test>',
      blocks: [
        { kind: 'heading', text: 'Table 1' },
        { kind: 'table', table: table1([], { paperDataset: 'baby', models: ['VBPR'] }) },
        { kind: 'figure', figure: spec, caption: 'Figure 1' },
        { kind: 'figure', figure: figure1({ multimodal }) },
        { kind: 'text', text: 'one paragraph\n\nanother' },
      ],
    });
    const html = fs.readFileSync(file, 'utf8');
    assert.ok(html.includes('<title>Report &lt;test&gt;</title>'));
    assert.ok(html.includes('<td class="num">0.0462</td>'));
    assert.strictEqual(html.split('plotly.js-dist ').length - 1, 1, 'the bundle once');
    assert.ok(html.includes('id="report-figure-0"') && html.includes('id="report-figure-1"'));
    assert.ok(html.includes('<p>another</p>'));
    assert.ok(!reportHtml({ title: 't', blocks: [{ kind: 'text', text: 'x' }] }).includes('plotly.js-dist '), 'no figure, no bundle');
  });

  it('screenshots the HTML to a PNG with headless Chromium, or says why not', async function () {
    const html = writeFigureHtml(spec, path.join(dir, 'png.html'));
    const png = path.join(dir, 'figure1.png');
    const saved = process.env.CKD_CHROMIUM;
    process.env.CKD_CHROMIUM = path.join(dir, 'no-such-chromium');
    try {
      const skipped = await writeFigurePng(html, png);
      assert.strictEqual(skipped.written, false);
      assert.strictEqual(skipped.file, undefined);
      assert.match(skipped.skipped!, /PNG skipped: no headless Chromium found .*apt-get install chromium/);
    } finally {
      if (saved === undefined) delete process.env.CKD_CHROMIUM; else process.env.CKD_CHROMIUM = saved;
    }
    if (!findChromium()) {
      this.skip();
      return;
    }
    const r = await writeFigurePng(html, png);
    assert.ok(r.written);
    const head = fs.readFileSync(png).subarray(0, 24);
    assert.strictEqual(head.subarray(1, 4).toString('ascii'), 'PNG');
    assert.strictEqual(head.readUInt32BE(16), 960, 'width');
    assert.strictEqual(head.readUInt32BE(20), 600, 'height: the figure\'s own, recorded in the page');
  });
});
