import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.ts';
import { SUBCOMMANDS } from '../../src/cli/subcommands.ts';
import { usageText } from '../../src/cli/usage.ts';
import { fakeIo } from './fake-io.ts';

const IMAGES = resolve(import.meta.dirname, '../../../shared/images');
const CONTENT = join(IMAGES, 'tubingen.jpg');
const STYLE = join(IMAGES, 'starry_night.jpg');

describe('runCli (in-process)', () => {
  afterEach(() => {
    delete SUBCOMMANDS.echo;
  });

  it('prints the help generated from the specs and exits 0', async () => {
    const io = fakeIo();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.out()).toBe(usageText());
    expect(io.err()).toBe('');
  });

  it('reports a bad flag as one line plus the hint, exit 2', async () => {
    const io = fakeIo();
    expect(await runCli(['--content', CONTENT, '--style', STYLE, '--steps', '-1'], io)).toBe(2);
    expect(io.err()).toBe(`stylize: --steps: write a value starting with "-" as --steps=-1\nTry 'stylize --help'.\n`);
    expect(io.out()).toBe('');
  });

  it.each([
    [['--content', 'missing.jpg', '--style', STYLE], '--content: cannot read "missing.jpg" (no such file)'],
    [['--content', CONTENT, '--style', `${STYLE},nope.png`], '--style: cannot read "nope.png" (no such file)'],
    [['--content', CONTENT, '--style', IMAGES], `--style: cannot read "${IMAGES}" (is a directory)`],
    [['--content', CONTENT, '--style', STYLE, '--init-image', 'gone.png'], '--init-image: cannot read "gone.png" (no such file)'],
    [['--content', CONTENT, '--style', STYLE, '-o', '/nonexistent-dir/out.png'], '--output: cannot write into "/nonexistent-dir" (no such file)'],
    [['--content', CONTENT, '--style', STYLE, '--log-json', '/nonexistent-dir/l.jsonl'], '--log-json: cannot write into "/nonexistent-dir" (no such file)'],
  ])('checks the files before loading anything: %j', async (argv, message) => {
    const io = fakeIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err()).toBe(`stylize: ${message}\nTry 'stylize --help'.\n`);
  });

  it('refuses an output path that is a directory', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'stylize-cli-')), 'x.png');
    mkdirSync(out);
    const io = fakeIo();
    expect(await runCli(['--content', CONTENT, '--style', STYLE, '-o', out], io)).toBe(2);
    expect(io.err()).toBe(`stylize: --output: "${out}" is a directory\nTry 'stylize --help'.\n`);
  });

  it('dispatches a first word to its subcommand with the rest of argv', async () => {
    const calls: string[][] = [];
    SUBCOMMANDS.echo = { summary: 'test command', load: async () => ({ run: async (argv) => (calls.push(argv), 7) }) };
    const io = fakeIo();
    expect(await runCli(['echo', '--steps', 'x', 'y'], io)).toBe(7);
    expect(calls).toEqual([['--steps', 'x', 'y']]);
    expect(usageText()).toMatch(/^ {2}echo {2,}test command$/m);
    // Not a subcommand: still a usage error.
    expect(await runCli(['ech'], io)).toBe(2);
  });
});
