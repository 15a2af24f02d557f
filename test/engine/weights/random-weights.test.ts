import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVggWeights } from '../../../src/engine/weights/vgg-weights.ts';
import { RANDOM_WEIGHTS_CACHE_DIR, firstDifference, formulaVggWeights, randomVggWeights, writeRandomWeightsFile } from '../../../scripts/lib/random-weights.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stylize-rw-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('randomVggWeights', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = randomVggWeights(1);
    const b = randomVggWeights(1);
    const c = randomVggWeights(2);
    a.forEach((conv, k) => expect(firstDifference(conv.weight, b[k].weight)).toBe(-1));
    expect(firstDifference(a[0].weight, c[0].weight)).toBe(0);
    expect(firstDifference(a[15].bias, c[15].bias)).toBe(0);
  });

  it('is He-scaled uniform: within ±√(6/fan_in), spread over the range, mean ≈ 0', () => {
    for (const conv of randomVggWeights(3)) {
      const bound = Math.sqrt(6 / (conv.cin * 9));
      let max = 0;
      let sum = 0;
      let sumSq = 0;
      for (const v of conv.weight) {
        max = Math.max(max, Math.abs(v));
        sum += v;
        sumSq += v * v;
      }
      const n = conv.weight.length;
      expect(max).toBeLessThanOrEqual(bound);
      expect(max).toBeGreaterThan(0.99 * bound);
      expect(Math.abs(sum / n)).toBeLessThan(0.05 * bound);
      // Uniform on ±b has variance b²/3 = 2/fan_in.
      expect(sumSq / n).toBeCloseTo((bound * bound) / 3, 2);
      expect(conv.bias.every((v) => Math.abs(v) <= 0.05)).toBe(true);
    }
  });

  it('writes a loadable file, cached in the temp dir for the next call', async () => {
    const seed = 4242;
    const path = await writeRandomWeightsFile(join(dir, 'a.safetensors'), seed);
    const cached = (await readdir(RANDOM_WEIGHTS_CACHE_DIR)).filter((f) => f.endsWith('.safetensors'));
    expect(cached.length).toBeGreaterThan(0);
    const again = await writeRandomWeightsFile(join(dir, 'b.safetensors'), seed);
    expect(Buffer.compare(await readFile(path), await readFile(again))).toBe(0);
    const loaded = await loadVggWeights(again);
    const reference = randomVggWeights(seed);
    loaded.forEach((c, k) => expect(firstDifference(c.weight, reference[k].weight)).toBe(-1));
  });
});

describe('formulaVggWeights', () => {
  it('matches its documented closed formula', () => {
    const w = formulaVggWeights();
    const M = 4194301;
    w.forEach((conv, l) => {
      const bound = Math.sqrt(6 / (conv.cin * 9));
      for (const i of [0, 1, 2, 1000, conv.weight.length - 1]) {
        const u = ((i + 1) * 2592223 + (l + 1) * 7919) % M;
        expect(conv.weight[i]).toBe(Math.fround(((2 * u) / M - 1) * bound));
      }
      for (const j of [0, conv.cout - 1]) {
        const u = ((j + 1) * 2592223 + (l + 1) * 7919) % M;
        expect(conv.bias[j]).toBe(Math.fround((u / M) * 0.1 - 0.05));
      }
    });
  });
});
