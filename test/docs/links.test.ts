// Every relative link in the Markdown pages (README.md, docs/, models/, scripts/) must point at a file
// that exists, and a link with an anchor into a Markdown page at one of its headings: pages move
// and get split, and a dead link is the first thing a newcomer meets.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'data', 'coverage']);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return SKIP_DIRS.has(e.name) ? [] : markdownFiles(path.join(dir, e.name));
    return e.name.endsWith('.md') ? [path.join(dir, e.name)] : [];
  });
}

/** The page without fenced code blocks, where a `#` line is no heading. */
function withoutCodeBlocks(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** The page without code blocks and inline code, where brackets are not links. */
function prose(text: string): string {
  return withoutCodeBlocks(text).replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of withoutCodeBlocks(text).split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** `file: target (why)` for every relative link of these pages that leads nowhere. */
function brokenLinks(root: string, files: string[]): string[] {
  const broken: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    // [text](target) and [text](target "title"); images too. Reference-style links are not used here.
    for (const m of prose(text).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
      const [rawPath, anchor] = target.split('#', 2);
      const resolved = rawPath === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(rawPath));
      const where = `${path.relative(root, file)}: ${target}`;
      if (!resolved.startsWith(root + path.sep) && resolved !== root) {
        broken.push(`${where} (outside the repository)`);
      } else if (!existsSync(resolved)) {
        broken.push(`${where} (no such file)`);
      } else if (anchor && resolved.endsWith('.md') && statSync(resolved).isFile()) {
        if (!anchors(readFileSync(resolved, 'utf8')).has(anchor)) broken.push(`${where} (no heading #${anchor})`);
      }
    }
  }
  return broken;
}

describe('Markdown links', () => {
  it('every relative link in README.md, docs/ and the other pages points at something that exists', () => {
    const files = markdownFiles(ROOT);
    expect(files).toContain(path.join(ROOT, 'README.md'));
    expect(files.filter((f) => f.startsWith(path.join(ROOT, 'docs') + path.sep)).length).toBeGreaterThan(5);
    expect(brokenLinks(ROOT, files)).toEqual([]);
  });

  it('README.md stays a front door of at most 250 lines (the manual is in docs/)', () => {
    const lines = readFileSync(path.join(ROOT, 'README.md'), 'utf8').trimEnd().split('\n').length;
    expect(lines).toBeLessThanOrEqual(250);
  });

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'stylize-links-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('reports a missing file, a missing heading and a link out of the repository, and passes good ones', () => {
    writeFileSync(
      path.join(tmp, 'a.md'),
      [
        '# Page A',
        '## Jobs and the queue',
        'See [b](b.md), [b\'s part](b.md#the-part), [speed](b.md#speed-npm-run-benchx), [here](#jobs-and-the-queue), [web](https://example.com).',
        'Broken: [gone](missing.md), [bad anchor](b.md#nowhere), [up](../../etc/passwd), [self](#nope).',
        '`[not a link](in-code.md)`',
        '```',
        '[nor this](in-a-block.md)',
        '```',
      ].join('\n'),
    );
    writeFileSync(path.join(tmp, 'b.md'), '# B\n\n## The part\n\n## Speed (`npm run bench:x`)\n');
    expect(brokenLinks(tmp, [path.join(tmp, 'a.md')])).toEqual([
      'a.md: missing.md (no such file)',
      'a.md: b.md#nowhere (no heading #nowhere)',
      'a.md: ../../etc/passwd (outside the repository)',
      'a.md: #nope (no heading #nope)',
    ]);
  });
});
