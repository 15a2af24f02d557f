// Coarse-to-fine from the command line, in-process (the flags, the output file, the JSON log and the
// progress lines), on the wasm backend with stand-in weights.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';
import { fakeIo } from './fake-io.ts';
import { readLog, type MultiresLogLine } from './read-log.ts';
import { IMAGES } from './spawn-cli.ts';

const CONTENT = join(IMAGES, 'tubingen.jpg'); // 1024×768
const STYLE = join(IMAGES, 'starry_night.jpg');

let dir: string;
let weights: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stylize-cli-multires-'));
  weights = await writeRandomWeightsFile(join(dir, 'vgg19-random.safetensors'), 7);
});

/** Tests keep the engine on one wasm thread, as the brief asks of every test process. */
const io = () => fakeIo({ STYLIZE_WASM_THREADS: '1' });

async function stylize(name: string, extra: string[]) {
  const out = join(dir, `${name}.png`);
  const log = join(dir, `${name}.jsonl`);
  const cli = io();
  const args = ['--content', CONTENT, '--style', STYLE, '--preset', 'seed', '--weights', weights, '--backend', 'wasm'];
  const code = await runCli([...args, '-o', out, '--log-json', log, '--print-every', '1', ...extra], cli);
  expect({ code, err: cli.err() }).toEqual({ code: 0, err: '' });
  const lines = readLog<MultiresLogLine>(log);
  const meta = await sharp(out).metadata();
  return { out: cli.out(), lines, size: [meta.width, meta.height] };
}

describe('stylize --scales / --multires', () => {
  it('--scales 32,64 --steps 2,1: a 64 px output, each scale’s iterations in the log and on screen', async () => {
    const r = await stylize('scales', ['--scales', '32,64', '--steps', '2,1']);
    expect(r.size).toEqual([64, 48]);
    expect(r.lines.map((l) => [l.scale, l.iter])).toEqual([[1, 0], [1, 1], [1, 2], [2, 0], [2, 1]]);
    for (const l of r.lines) {
      // The plain run's fields first and unchanged, then the scale's.
      expect(Object.keys(l)).toEqual(['iter', 'content', 'style', 'tv', 'total', 'ms', 'scale', 'rss_mb']);
      expect(Number.isInteger(l.rss_mb)).toBe(true);
      expect(l.rss_mb).toBeGreaterThan(50);
    }
    // A high-water mark: never lower on a later line.
    for (let i = 1; i < r.lines.length; i++) expect(r.lines[i].rss_mb).toBeGreaterThanOrEqual(r.lines[i - 1].rss_mb);
    expect(r.out.match(/^scale \d\/2 {2}iter \d\/\d/gm)).toEqual([
      'scale 1/2  iter 0/2', 'scale 1/2  iter 1/2', 'scale 1/2  iter 2/2', 'scale 2/2  iter 0/1', 'scale 2/2  iter 1/1',
    ]);
  });

  it('--multires 2 --size 64: scales 32 then 64', async () => {
    const r = await stylize('multires', ['--multires', '2', '--size', '64', '--steps', '1']);
    expect(r.size).toEqual([64, 48]);
    expect(r.lines.map((l) => [l.scale, l.iter])).toEqual([[1, 0], [1, 1], [2, 0], [2, 1]]);
  });

  it.each([
    [['--multires', '4', '--size', '64'], '--multires: 4 scales ending at size 64 would start at 8 px, but every scale must be at least 16 px (at most 3 at this size)'],
    [['--scales', '32,64', '--steps', '1,2,3'], '--steps: 3 per-scale counts for 2 scales (32, 64 px)'],
    [['--scales', '8,64'], '--scales: 8 px is too small, every scale must be at least 16 px'],
    [['--steps', '3,x'], '--steps: got "3,x", expected a whole number, or one per scale such as 300,150,75'],
    [['--scales', '64,32'], '--scales: got "64,32", expected increasing sizes, from the coarsest to the output size'],
    [['--scales', '32,64', '--size', '128'], '--scales: the last (64) is the output size, but size is 128; give one of them'],
  ])('refuses %j before loading anything (exit 2)', async (extra, message) => {
    const cli = io();
    // The weights file does not exist: the plan is checked first.
    const code = await runCli(['--content', CONTENT, '--style', STYLE, '--weights', join(dir, 'none.safetensors'), ...extra], cli);
    expect({ code, err: cli.err() }).toEqual({ code: 2, err: `stylize: ${message}\nTry 'stylize --help'.\n` });
  });
});
