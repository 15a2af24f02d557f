// Every variable the code reads is documented in .env.example, and nothing documented is dead.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const NAME = /\b((?:STYLIZE|DISCORD|SLACK)_[A-Z0-9_]+|PORT)\b/g;

describe('.env.example', () => {
  const documented = new Set([...readFileSync(path.join(root, '.env.example'), 'utf8').matchAll(/^#?\s*([A-Z0-9_]+)=/gm)].map((m) => m[1]));
  const code = [...sources(path.join(root, 'src')), ...sources(path.join(root, 'commands'))].map((f) => readFileSync(f, 'utf8')).join('\n');
  // Read from env in code: env.X, env['X'], or a 'X' string handed to an env reader.
  const used = new Set([...code.matchAll(NAME)].map((m) => m[1]).filter((n) => new RegExp(`(env\\.${n}\\b|['"\`]${n}['"\`])`).test(code)));

  it('documents every variable the code reads', () => {
    expect([...used].filter((n) => !documented.has(n))).toEqual([]);
  });

  it('documents nothing the code ignores', () => {
    expect([...documented].filter((n) => !used.has(n))).toEqual([]);
  });
});
