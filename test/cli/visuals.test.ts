// --timelapse, --plot and --compare from the command line (and `sheet --plot`), in-process on the
// wasm backend with stand-in weights and tiny images.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.ts';
import { COMPARE_GAP } from '../../src/engine/visuals/compare.ts';
import { CHART_HEIGHT, CHART_WIDTH } from '../../src/engine/visuals/loss-chart.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';
import { fakeIo } from './fake-io.ts';
import { IMAGES } from './spawn-cli.ts';

const CONTENT = join(IMAGES, 'tubingen.jpg'); // 1024×768 → 32×24
const STYLE = join(IMAGES, 'starry_night.jpg'); // 1024×640

let dir: string;
let weights: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stylize-cli-visuals-'));
  weights = await writeRandomWeightsFile(join(dir, 'vgg19-random.safetensors'), 7);
});

const io = () => fakeIo({ STYLIZE_WASM_THREADS: '1' });
const base = () => ['--preset', 'seed', '--weights', weights, '--backend', 'wasm', '--size', '32', '--print-every', '0'];

describe('stylize --timelapse / --plot / --compare', () => {
  it('writes a looping animation, a loss chart and the before/after next to the result', async () => {
    const [out, gif, webp, plot, compare] = ['out.png', 'run.gif', 'run.webp', 'losses.png', 'compare.jpg'].map((n) => join(dir, n));
    const cli = io();
    const code = await runCli(
      ['--content', CONTENT, '--style', STYLE, ...base(), '--steps', '8', '-o', out, '--timelapse', gif, '--plot', plot, '--compare', compare],
      cli,
    );
    expect({ code, err: cli.err() }).toEqual({ code: 0, err: '' });
    expect(cli.out()).toMatch(/→ .*out\.png, .*run\.gif, .*losses\.png, .*compare\.jpg\n$/);
    const film = await sharp(gif, { animated: true }).metadata();
    // The initial image, 8 iterations and the result (the 8th evaluation's frame replaced by it).
    expect([film.format, film.width, film.pageHeight, film.pages, film.loop]).toEqual(['gif', 32, 24, 9, 0]);
    expect(film.delay!.at(-1)).toBeGreaterThan(film.delay![0]);
    const chart = await sharp(plot).metadata();
    expect([chart.format, chart.width, chart.height]).toEqual(['png', CHART_WIDTH, CHART_HEIGHT]);
    // Tübingen 32×24, The Starry Night at 24 px high (38×24), the result 32×24.
    const both = await sharp(compare).metadata();
    expect([both.format, both.width, both.height]).toEqual(['jpeg', 32 + 38 + 32 + 2 * COMPARE_GAP, 24]);

    const again = io();
    expect(await runCli(['--mode', 'texture', '--style', STYLE, ...base(), '--steps', '3', '-o', join(dir, 't.png'), '--timelapse', webp, '--compare', join(dir, 't-compare.png')], again)).toBe(0);
    expect((await sharp(webp, { animated: true }).metadata()).format).toBe('webp');
    // A texture shows only its style beside the result (both 32×20: the output takes the style's shape).
    const texture = await sharp(join(dir, 't-compare.png')).metadata();
    expect([texture.width, texture.height]).toEqual([32 + 32 + COMPARE_GAP, 20]);
  });

  it('refuses other formats before running anything', async () => {
    const cases: [string[], RegExp][] = [
      [['--timelapse', join(dir, 'x.mp4')], /--timelapse: cannot write "\.mp4" animations; name the file \.gif or \.webp/],
      [['--plot', join(dir, 'x.svg')], /--plot: cannot write "\.svg" charts; name the file \.png/],
      [['--compare', join(dir, 'x.gif')], /--compare: cannot write "\.gif" images/],
      [['--plot', join(dir, 'missing', 'x.png')], /--plot: cannot write into/],
    ];
    for (const [flags, message] of cases) {
      const cli = io();
      expect(await runCli(['--content', CONTENT, '--style', STYLE, ...base(), '-o', join(dir, 'never.png'), ...flags], cli)).toBe(2);
      expect(cli.err()).toMatch(message);
    }
    expect(existsSync(join(dir, 'never.png'))).toBe(false);
  });
});

describe('stylize sheet --plot', () => {
  it('one curve per run; --timelapse and --compare are refused with a reason', async () => {
    const plot = join(dir, 'recon-curves.png');
    const cli = io();
    const code = await runCli(
      ['sheet', 'reconstruct', '--content', CONTENT, '--layers', 'conv_1,conv_3', ...base(), '--size', '24', '--steps', '4', '-o', join(dir, 'recon.png'), '--plot', plot],
      cli,
    );
    expect({ code, err: cli.err() }).toEqual({ code: 0, err: '' });
    expect(cli.out()).toMatch(/curves in .*recon-curves\.png/);
    const meta = await sharp(plot).metadata();
    expect([meta.width, meta.height]).toEqual([CHART_WIDTH, CHART_HEIGHT]);
    for (const flag of ['--timelapse', '--compare']) {
      const refused = io();
      expect(await runCli(['sheet', 'reconstruct', '--content', CONTENT, flag, join(dir, 'x.gif')], refused)).toBe(2);
      expect(refused.err()).toMatch(new RegExp(`${flag} is not used by \`stylize sheet reconstruct\``));
    }
  });
});
