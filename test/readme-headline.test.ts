import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CkdError } from '../lib/errors';
import { PROJECT_ROOT } from '../lib/experiments/provenance';
import { HEADLINE_END, HEADLINE_RESULTS, HEADLINE_START, readmeHeadline, withHeadline } from '../lib/experiments/readme-headline';
import { recordedView } from '../lib/experiments/recorded-view';
import { presetByName } from '../lib/experiments/reproduce-plan';

describe("the README's headline comes from the records", () => {
  const full = presetByName('full');
  const committed = path.join(PROJECT_ROOT, HEADLINE_RESULTS);

  it(`README.md's headline block is what ${HEADLINE_RESULTS} gives (npm run headline rewrites it)`, () => {
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    const block = readmeHeadline(recordedView(committed, full), HEADLINE_RESULTS);
    const start = readme.indexOf(HEADLINE_START);
    assert.ok(start >= 0, 'README.md has the headline markers');
    assert.strictEqual(readme.slice(start, readme.indexOf(HEADLINE_END) + HEADLINE_END.length), block);
  });

  it('follows the records: without EgoGCN\'s CKD cells its row is pending and fewer cells are finished', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-headline-'));
    try {
      const lines = fs.readFileSync(path.join(committed, 'store.jsonl'), 'utf8').split('\n').filter(Boolean);
      const kept = lines.filter(l => { const c = JSON.parse(l).config; return !(c.model === 'egogcn' && c.method === 'ckd'); });
      assert.ok(kept.length < lines.length, 'the committed record has EgoGCN CKD cells');
      fs.writeFileSync(path.join(dir, 'store.jsonl'), kept.join('\n') + '\n');
      const before = readmeHeadline(recordedView(committed, full), HEADLINE_RESULTS);
      const after = readmeHeadline(recordedView(dir, full), 'elsewhere');
      const row = (b: string) => b.split('\n').find(l => l.startsWith('| EgoGCN |'))!;
      assert.match(row(before), /^\| EgoGCN \| \+3\.0% to \+8\.0% \| [1-9]\d* of 5 \| 0\.\d{4} \| 0\.\d{4} \|/);
      assert.strictEqual(row(after), '| EgoGCN | +3.0% to +8.0% | 0 of 5 | - | - | - | - | - | pending |');
      const count = (b: string) => Number(/\((\d+)(?: of \d+)? cells\)/.exec(b)![1]); // "(N of M cells)" in progress, "(N cells)" complete
      assert.strictEqual(count(before) - count(after), lines.length - kept.length);
      assert.match(after, /\[records\]\(elsewhere\/store\.jsonl\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('replaces only the block between the markers, and names the file when they are missing', () => {
    const text = `intro\n${HEADLINE_START}\nold\n${HEADLINE_END}\nrest\n`;
    assert.strictEqual(withHeadline(text, `${HEADLINE_START}\nnew\n${HEADLINE_END}`, 'R.md'), `intro\n${HEADLINE_START}\nnew\n${HEADLINE_END}\nrest\n`);
    assert.throws(() => withHeadline('no markers', 'x', 'R.md'), (e: Error) => e instanceof CkdError && /^R\.md: no <!-- headline:start -->/.test(e.message));
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-headline-empty-'));
    try {
      assert.throws(() => recordedView(empty, full), (e: Error) => e instanceof CkdError && /no finished cell recorded/.test(e.message));
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
