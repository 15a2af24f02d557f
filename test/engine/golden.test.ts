// The engine's losses against values computed by an independent PyTorch implementation of the
// pinned definitions (/work/shared/golden, beside the repository clone).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/options.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { stylize } from '../../src/engine/stylize.ts';
import type { Losses, RGBImage } from '../../src/engine/types.ts';
import { ENGINE_KINDS, testEngine } from '../helpers/engines.ts';
import { goldenHash, goldenVggWeights } from '../helpers/formula-weights.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const goldenDir = path.join(path.resolve(repoRoot, '../shared'), 'golden');
const present = existsSync(path.join(goldenDir, 'expected.json'));

interface GoldenRun {
  name: string;
  mode: 'transfer' | 'texture' | 'reconstruct';
  content_layers: string;
  style_layers: string;
  content_weight: number;
  style_weight: number;
  tv_weight: number;
  optimizer: 'adam';
  lr: number;
  steps: number;
  log: ({ iter: number } & Losses)[];
}

interface Golden {
  weights_probe: Record<string, number[]>;
  runs: GoldenRun[];
}

async function loadPng(file: string): Promise<RGBImage> {
  const { data, info } = await sharp(path.join(goldenDir, file)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${file}: ${info.channels} channels`);
  return { width: info.width, height: info.height, data: Float32Array.from(data, (v) => v / 255) };
}

function expectClose(actual: number, expected: number, rel: number, what: string): void {
  if (expected === 0) {
    expect(actual, what).toBe(0);
    return;
  }
  const err = Math.abs(actual - expected) / Math.abs(expected);
  expect(err, `${what}: got ${actual}, expected ${expected}`).toBeLessThanOrEqual(rel);
}

if (!present) {
  // A failure, not a skip: every engine must match the reference, and a skip would hide that it was
  // never checked (the sample images other tests read live beside it in shared/ too).
  describe('golden losses', () => {
    it('has the reference values to compare with', () => {
      expect.fail(`no golden values at ${goldenDir}: shared/ (with golden/expected.json) must sit beside the checkout`);
    });
  });
} else {
  const golden = JSON.parse(readFileSync(path.join(goldenDir, 'expected.json'), 'utf8')) as Golden;

  describe.each(ENGINE_KINDS)('golden losses (formula VGG-19 weights, %s)', (kind) => {
    let engine: Engine;
    let content: RGBImage;
    let style: RGBImage;
    let init: RGBImage;

    beforeAll(async () => {
      engine = await testEngine(kind, goldenVggWeights());
      [content, style, init] = await Promise.all(['content.png', 'style.png', 'init.png'].map(loadPng));
    });
    afterAll(async () => engine?.dispose());

    it('generates the README weights (weights_probe)', () => {
      const weights = goldenVggWeights();
      const probe = golden.weights_probe;
      const at = (t: Float32Array) => [0, 1, 63].map((i) => t[i]);
      expect(at(weights[0].weight)).toEqual(probe['features.0.weight']);
      expect(at(weights[0].bias)).toEqual(probe['features.0.bias']);
      expect(at(weights[15].weight)).toEqual(probe['features.34.weight']);
      expect(goldenHash(0, 0)).toBe(0);
    });

    for (const run of golden.runs) {
      it(`${run.name}: every logged iteration matches`, async () => {
        const options = resolveOptions({
          mode: run.mode,
          contentLayers: run.content_layers,
          styleLayers: run.style_layers,
          contentWeight: run.content_weight,
          styleWeight: run.style_weight,
          tvWeight: run.tv_weight,
          init: 'image',
          optimizer: run.optimizer,
          lr: run.lr,
          steps: run.steps,
        });
        const log: ({ iter: number } & Losses)[] = [];
        const result = await stylize(engine, {
          options,
          content,
          styles: [style],
          initImage: init,
          onProgress: (p) => log.push({ iter: p.iteration, ...p.losses }),
        });
        expect(log.map((l) => l.iter)).toEqual(run.log.map((l) => l.iter));
        run.log.forEach((expected, k) => {
          const rel = expected.iter === 0 ? 5e-4 : 2e-3;
          for (const key of ['content', 'style', 'tv', 'total'] as const) {
            expectClose(log[k][key], expected[key], rel, `${run.name} iter ${expected.iter} ${key}`);
          }
        });
        expect(result.iterations).toBe(run.steps);
        const { iter: _iter, ...lastLosses } = log[log.length - 1];
        expect(result.losses).toEqual(lastLosses);
      });
    }
  });
}
