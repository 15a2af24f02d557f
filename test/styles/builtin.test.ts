import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { BUILTIN_STYLES, BUILTIN_STYLE_NAMES, findBuiltinStyle, readBuiltinStyle } from '../../src/styles/builtin.ts';
import { validateStyleName } from '../../src/styles/style-names.ts';

const DIR = path.resolve(import.meta.dirname, '../../src/styles/builtin');

describe('built-in styles', () => {
  it('ships the four credited paintings under their short names', () => {
    expect(BUILTIN_STYLE_NAMES).toEqual(['starry-night', 'scream', 'shipwreck', 'woman-with-hat']);
    for (const name of BUILTIN_STYLE_NAMES) expect(validateStyleName(name)).toBe(name);
  });

  it('has a JPEG of at most 1024 px per style, 2 MB in all, and no stray file', async () => {
    let total = 0;
    for (const s of BUILTIN_STYLES) {
      const meta = await sharp(s.file).metadata();
      expect(meta.format, s.name).toBe('jpeg');
      expect(Math.max(meta.width, meta.height), s.name).toBeLessThanOrEqual(1024);
      expect(Math.max(meta.width, meta.height), s.name).toBeGreaterThanOrEqual(512);
      total += statSync(s.file).size;
    }
    expect(total).toBeLessThanOrEqual(2 * 1024 * 1024);
    const files = readdirSync(DIR).filter((f) => f !== 'README.md').sort();
    expect(files).toEqual(BUILTIN_STYLES.map((s) => `${s.name}.jpg`).sort());
  });

  it('credits every style in the README, as public domain', () => {
    const readme = readFileSync(path.join(DIR, 'README.md'), 'utf8');
    for (const s of BUILTIN_STYLES) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${s.name}\` |`));
      expect(row, s.name).toBeDefined();
      expect(row).toContain(s.title);
      expect(row).toContain(s.artist);
      expect(row).toContain(String(s.year));
      expect(row).toContain('public domain');
      expect(s.credit).toBe(`${s.artist}, ${s.title}, ${s.year} (public domain)`);
    }
  });

  it('reads a style by name; an unknown name is undefined', async () => {
    expect(findBuiltinStyle('scream')?.title).toBe('The Scream');
    const bytes = await readBuiltinStyle('scream');
    expect(bytes?.equals(readFileSync(path.join(DIR, 'scream.jpg')))).toBe(true);
    expect(await readBuiltinStyle('mona-lisa')).toBeUndefined();
    expect(findBuiltinStyle('Scream')).toBeUndefined();
  });
});
