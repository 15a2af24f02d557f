// The CLI with the style library, spawned: built-in styles by name, blended with an attached file,
// and colors palette end to end. Inputs are the built-in paintings themselves (in the repository),
// Matisse standing in for the photo; tiny sizes and stand-in weights keep each run to seconds.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/engine/image.ts';
import { colorStats } from '../../src/engine/palette.ts';
import { findBuiltinStyle } from '../../src/styles/builtin.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';
import { spawnCli } from './spawn-cli.ts';

const CONTENT = findBuiltinStyle('woman-with-hat')!.file; // 591×800 → 24×32
const SHIPWRECK = findBuiltinStyle('shipwreck')!.file;

let dir: string;
let weights: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stylize-style-library-'));
  weights = await writeRandomWeightsFile(join(dir, 'vgg19-random.safetensors'), 7);
});

function maxAbs(a: readonly number[], b: readonly number[]): number {
  return Math.max(...a.map((v, i) => Math.abs(v - b[i])));
}

describe('stylize --style-name / --colors (spawned)', () => {
  it("colors palette: a run that starts from the named style and takes no step ends with the photo's colour statistics", async () => {
    // With --init style and --steps 0 the output is the style image as the run saw it: recoloured,
    // resized to the output's shape (25×32 → 24×32), clamped and written as 8-bit PNG. So mean and
    // covariance match the content's only to that error (a few 1e-3), not to 1e-3; the exact float
    // match is checked in test/engine/palette.test.ts.
    const content = colorStats(await decodeImage(CONTENT, { longSide: 32 }));
    const outputs: Record<string, ReturnType<typeof colorStats>> = {};
    for (const colors of ['palette', 'style']) {
      const out = join(dir, `${colors}.png`);
      const r = await spawnCli([
        '--content', CONTENT, '--style-name', 'scream', '--colors', colors, '--init', 'style', '--steps', '0', '--size', '32',
        '--weights', weights, '--backend', 'onnx-cpu', '--print-every', '0', '-o', out,
      ], { env: { STYLIZE_ENGINE_THREADS: '1' } });
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      const meta = await sharp(out).metadata();
      expect([meta.width, meta.height]).toEqual([24, 32]);
      outputs[colors] = colorStats(await decodeImage(out));
    }
    expect(maxAbs(outputs.palette.mean, content.mean)).toBeLessThan(0.005);
    expect(maxAbs(outputs.palette.cov, content.cov)).toBeLessThan(0.01);
    // Without it the painting's own colours stay: The Scream is far warmer and darker than the Matisse.
    expect(maxAbs(outputs.style.mean, content.mean)).toBeGreaterThan(0.1);
  });

  it('blends an attached --style file with built-ins by name, with colors palette', async () => {
    const out = join(dir, 'blend.jpg');
    const r = await spawnCli([
      '--content', CONTENT, '--style', SHIPWRECK, '--style-name', 'starry-night:3 scream', '--colors', 'palette', '--steps', '2',
      '--size', '32', '--preset', 'seed', '--weights', weights, '--backend', 'onnx-cpu', '--print-every', '1', '-o', out,
    ], { env: { STYLIZE_ENGINE_THREADS: '1' } });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^iter 2\/2 /m);
    const meta = await sharp(out).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 24, 32]);
  });

  it('refuses an unknown name with the list of built-ins, before loading anything', async () => {
    const r = await spawnCli(['--content', CONTENT, '--style-name', 'starry-nite', '-o', join(dir, 'never.png')]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      'stylize: --style-name: no built-in style "starry-nite" (did you mean "starry-night"?); available: starry-night, scream, shipwreck, woman-with-hat (the CLI has the built-ins only)',
    );
  });
});
