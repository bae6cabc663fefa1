/**
 * The repository stands on its own: no tracked text file points at notes that live outside it,
 * the README stays a front page, and the relative links of the README and docs/ lead somewhere.
 *
 * The forbidden names are assembled from pieces below so that this file does not match itself.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const README_MAX_BYTES = 12000;

/** Case-sensitive strings no tracked text file may contain. */
const FORBIDDEN: string[] = [
  ['..', 'shared'].join('/'),
  ['shared', 'spec'].join('/'),
  ...['METHOD', 'BACKBONES', 'ARCHITECTURE'].map(name => `${name}.${'md'}`),
];

/** Tracked files (relative paths), or null where git or the repository is not available. */
function trackedFiles(): string[] | null {
  try {
    const out = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return out.split('\0').filter(f => f.length > 0);
  } catch {
    return null;
  }
}

/** The file's text, or null for a binary (a NUL byte near the start), a link or a missing file. */
function readText(file: string): string | null {
  const full = path.join(ROOT, file);
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(full);
  } catch {
    return null;
  }
  if (!stat.isFile()) return null;
  const buf = fs.readFileSync(full);
  if (buf.subarray(0, 8000).includes(0)) return null;
  return buf.toString('utf8');
}

/** GitHub's anchor for a heading: inline markup dropped, lower case, punctuation removed, spaces as hyphens. */
export function headingSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors a markdown file offers, duplicates numbered as GitHub does (-1, -2, ...). */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of withoutFences(markdown).split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = headingSlug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Markdown with fenced code blocks blanked (a line starting with # there is no heading). */
function withoutFences(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, block => block.replace(/[^\n]/g, ' '));
}

/** Markdown with fenced blocks and inline code spans blanked (links there are not links). */
function withoutCode(markdown: string): string {
  return withoutFences(markdown).replace(/`[^`\n]*`/g, span => ' '.repeat(span.length));
}

/** Relative link targets of a markdown text (inline links and images). */
export function relativeLinks(markdown: string): string[] {
  const out: string[] = [];
  const re = /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
  for (const m of withoutCode(markdown).matchAll(re)) {
    const target = m[1];
    if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(target) || target.startsWith('//')) continue;
    out.push(target);
  }
  return out;
}

/** Problems with one link of `file` (relative to the repository root), or none. */
function checkLink(file: string, target: string): string | null {
  const hash = target.indexOf('#');
  const pathPart = decodeURIComponent(hash >= 0 ? target.slice(0, hash) : target);
  const anchor = hash >= 0 ? target.slice(hash + 1) : '';
  const resolved = pathPart === '' ? path.join(ROOT, file) : path.resolve(path.dirname(path.join(ROOT, file)), pathPart);
  if (!resolved.startsWith(ROOT + path.sep) && resolved !== ROOT) return `${file}: ${target} leaves the repository`;
  if (!fs.existsSync(resolved)) return `${file}: ${target} does not exist`;
  if (anchor && resolved.endsWith('.md') && fs.statSync(resolved).isFile()) {
    if (!anchorsOf(fs.readFileSync(resolved, 'utf8')).has(decodeURIComponent(anchor))) {
      return `${file}: ${target} names no heading of ${path.relative(ROOT, resolved)}`;
    }
  }
  return null;
}

describe('repository references', () => {
  it('no tracked text file refers to notes outside the repository', function () {
    const files = trackedFiles();
    if (!files) this.skip();
    const hits: string[] = [];
    for (const file of files!) {
      const text = readText(file);
      if (text === null) continue;
      const lines = text.split('\n');
      lines.forEach((line, k) => {
        for (const s of FORBIDDEN) if (line.includes(s)) hits.push(`${file}:${k + 1}: ${s}`);
      });
    }
    assert.deepStrictEqual(hits, [], `point these into docs/method.md or docs/backbones.md instead:\n${hits.join('\n')}`);
  });

  it(`README.md is a front page of at most ${README_MAX_BYTES} bytes`, () => {
    const size = fs.statSync(path.join(ROOT, 'README.md')).size;
    assert.ok(size <= README_MAX_BYTES, `README.md is ${size} bytes; move detail into docs/`);
  });

  it('every relative link in README.md and docs/*.md points to an existing file (and heading)', () => {
    const files = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter(f => f.endsWith('.md')).map(f => `docs/${f}`)];
    const problems: string[] = [];
    let links = 0;
    for (const file of files) {
      for (const target of relativeLinks(fs.readFileSync(path.join(ROOT, file), 'utf8'))) {
        links++;
        const p = checkLink(file, target);
        if (p) problems.push(p);
      }
    }
    assert.ok(links > 0, 'no links found: the link pattern is broken');
    assert.deepStrictEqual(problems, []);
  });

  it('the checks themselves: slugs, links outside code, and the forbidden names assembled', () => {
    assert.strictEqual(headingSlug('The full preset on `default`: 3 seeds, short protocol'), 'the-full-preset-on-default-3-seeds-short-protocol');
    assert.strictEqual(headingSlug('Where the authors\' code differs'), 'where-the-authors-code-differs');
    assert.deepStrictEqual(relativeLinks('[a](x.md) `[b](y.md)` [c](https://e.org) ![d](img/p.png#s)\n```\n[e](z.md)\n```\n'), ['x.md', 'img/p.png#s']);
    assert.deepStrictEqual([...anchorsOf('## The `x`: y\n```\n# not a heading\n```\n## A\n## A\n')], ['the-x-y', 'a', 'a-1']);
    assert.strictEqual(FORBIDDEN.length, 5);
    assert.ok(FORBIDDEN.every(s => s.length > 8));
  });
});
