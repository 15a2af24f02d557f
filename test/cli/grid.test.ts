// `stylize grid`, `stylize --grid` and `stylize upscale` in-process with stand-in weights, tiny sizes.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.ts';
import type { GridFile } from '../../src/cli/grid.ts';
import { GRID_REFUSALS } from '../../src/options.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';
import { fakeIo } from './fake-io.ts';

const IMAGES = join(import.meta.dirname, '../../../shared/images');
const TUBINGEN = join(IMAGES, 'tubingen.jpg'); // 1024×768
const STARRY = join(IMAGES, 'starry_night.jpg');

let dir: string;
let weights: string;
const tiny = ['--preset', 'seed', '--optimizer', 'adam', '--size', '64', '--grid-size', '32', '--grid-steps', '2', '--print-every', '0', '--backend', 'onnx-cpu'];
const env = { STYLIZE_ENGINE_THREADS: '1' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stylize-grid-cli-'));
  weights = await writeRandomWeightsFile(join(dir, 'w.safetensors'), 1);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function size(file: string): Promise<[number | undefined, number | undefined]> {
  const m = await sharp(file).metadata();
  return [m.width, m.height];
}

describe('stylize grid', () => {
  it('writes the 2×2 grid, the four candidates and grid.json; upscale and --vary continue from it', async () => {
    const io = fakeIo(env);
    const out = join(dir, 'g.png');
    const code = await runCli(['grid', '--content', TUBINGEN, '--style', STARRY, '-o', out, '--weights', weights, ...tiny], io);
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    for (let i = 1; i <= 4; i++) expect(await size(join(dir, `g_${i}.png`))).toEqual([32, 24]);
    const [w, h] = await size(out);
    expect(w).toBeGreaterThan(2 * 96);
    expect(h).toBeGreaterThan(2 * 72);
    const json = JSON.parse(readFileSync(join(dir, 'g.json'), 'utf8')) as GridFile;
    expect(json.candidates.map((c) => c.styleWeight)).toEqual([2.5e5, 1e6, 4e6, 1.6e7]);
    expect(io.out()).toContain('2: strength 1000000, style scale 1');

    const up = fakeIo(env);
    const upOut = join(dir, 'up.png');
    expect(await runCli(['upscale', '--from-grid', join(dir, 'g.json'), '--pick', '3', '-o', upOut, '--weights', weights, ...tiny, '--steps', '1'], up)).toBe(0);
    expect(await size(upOut)).toEqual([64, 48]);

    const vary = fakeIo(env);
    const varyOut = join(dir, 'v.png');
    expect(await runCli(['grid', '--from-grid', join(dir, 'g.json'), '--vary', '3', '-o', varyOut, '--weights', weights, ...tiny], vary)).toBe(0);
    const v = JSON.parse(readFileSync(join(dir, 'v.json'), 'utf8')) as GridFile;
    expect(v.spec.kind).toBe('vary');
    expect(v.candidates.map((c) => [c.styleWeight, c.styleScale])).toEqual([[2e6, 1], [8e6, 1], [4e6, 0.7], [4e6, 1.4]]);
  });

  it('--grid on the ordinary command makes a grid too', async () => {
    const io = fakeIo(env);
    const out = join(dir, 'flag.png');
    expect(await runCli(['--grid', '--content', TUBINGEN, '--style', STARRY, '-o', out, '--weights', weights, ...tiny, '--grid-steps', '1'], io)).toBe(0);
    expect(existsSync(join(dir, 'flag_4.png'))).toBe(true);
  });

  it('grid --help and upscale --help print the usage', async () => {
    for (const word of ['grid', 'upscale']) {
      const io = fakeIo(env);
      expect(await runCli([word, '--help'], io)).toBe(0);
      expect(io.out()).toContain('stylize upscale --from-grid grid.json --pick N');
    }
  });

  it.each([
    [['grid', '--style', STARRY, '--mode', 'texture'], `--${GRID_REFUSALS.texture}`],
    [['--grid', '--content', TUBINGEN, '--mode', 'reconstruct'], `--${GRID_REFUSALS.reconstruct}`],
    [['grid', '--content', TUBINGEN, '--style', STARRY, '--vary', '2'], '--vary needs --from-grid FILE (the grid.json of the grid to vary)'],
    [['upscale', '--from-grid', join(tmpdir(), 'no-such-grid.json'), '--pick', '1'], '--from-grid: cannot read'],
    [['upscale', '--from-grid', 'x.json', '--pick', '5'], '--pick: got "5", expected a candidate from 1 to 4'],
  ])('refuses %j', async (argv, message) => {
    const io = fakeIo(env);
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err()).toContain(message);
  });
});
