import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions, type OptionsInput } from '../../src/options.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { resizeRGB } from '../../src/engine/init-image.ts';
import { mulberry32, noiseImage } from '../../src/engine/prng.ts';
import { stylize } from '../../src/engine/stylize.ts';
import { CancelledError, EngineError, type Progress, type StylizeRequest } from '../../src/engine/types.ts';
import { ENGINE_KINDS, testEngine } from '../helpers/engines.ts';
import { randomImage, tinyVggWeights } from '../helpers/tiny-vgg.ts';

const content = randomImage(16, 16, 21);
const style = randomImage(20, 16, 22);

function request(options: OptionsInput, extra: Partial<StylizeRequest> = {}): StylizeRequest {
  return { options: resolveOptions({ styleWeight: 1e3, tvWeight: 0.1, ...options }), content, styles: [style], ...extra };
}

async function run(engine: Engine, options: OptionsInput, extra: Partial<StylizeRequest> = {}) {
  const log: Progress[] = [];
  const result = await stylize(engine, request(options, { onProgress: (p) => log.push(p), ...extra }));
  return { result, log };
}

describe('prng', () => {
  it('mulberry32: same seed, same stream; different seeds differ; values in [0,1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const sa = Array.from({ length: 1000 }, () => a());
    const sb = Array.from({ length: 1000 }, () => b());
    const sc = Array.from({ length: 1000 }, () => c());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
    expect(Math.min(...sa)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...sa)).toBeLessThan(1);
    const mean = sa.reduce((s, v) => s + v, 0) / sa.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
  });

  it('noiseImage is an HWC image of the seed', () => {
    expect(noiseImage(4, 3, 7)).toEqual(noiseImage(4, 3, 7));
    expect(noiseImage(4, 3, 7)).toHaveLength(36);
    expect(noiseImage(4, 3, 7)).not.toEqual(noiseImage(4, 3, 8));
  });
});

describe.each(ENGINE_KINDS)('stylize on %s', (kind) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await testEngine(kind, tinyVggWeights(5));
  });
  afterAll(async () => engine?.dispose());

  it('transfer with Adam: logs iterations 0..steps, lowers the loss, returns a clamped image and frees every tensor', async () => {
    const before = tf.memory().numTensors;
    const { result, log } = await run(engine, { optimizer: 'adam', steps: 8, lr: 0.05 });
    expect(log.map((p) => p.iteration)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // init=content (the gatys preset): the content term starts at exactly 0.
    expect(log[0].losses.content).toBe(0);
    expect(log.slice(1).every((p) => p.steps === 8 && p.losses.content > 0 && p.losses.style > 0 && p.losses.tv > 0)).toBe(true);
    expect(log[8].losses.total).toBeLessThan(log[0].losses.total);
    expect(log[8].etaMs).toBe(0);
    expect(log.every((p) => p.iterationMs >= 0 && p.elapsedMs >= p.iterationMs)).toBe(true);
    expect(result.iterations).toBe(8);
    expect(result.losses).toEqual(log[8].losses);
    expect(result.image.width).toBe(16);
    expect(result.image.height).toBe(16);
    expect(result.image.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(Array.from(result.image.data)).not.toEqual(Array.from(content.data));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('transfer with L-BFGS: counts evaluations and returns the best point', async () => {
    const { result, log } = await run(engine, { optimizer: 'lbfgs', steps: 6 });
    expect(log[0].iteration).toBe(0);
    expect(log.length).toBeLessThanOrEqual(7);
    expect(log.map((p) => p.iteration)).toEqual(log.map((_, i) => i));
    const best = Math.min(...log.map((p) => p.losses.total));
    expect(result.losses.total).toBe(best);
    expect(best).toBeLessThan(log[0].losses.total);
  });

  it('texture mode: content is 0 everywhere and the output takes the style size', async () => {
    const { result, log } = await run(engine, { mode: 'texture', optimizer: 'adam', steps: 2, init: 'noise' }, { content: undefined });
    expect(log.every((p) => p.losses.content === 0 && p.losses.style > 0)).toBe(true);
    expect(log[0].losses.total).toBeCloseTo(1e3 * log[0].losses.style + 0.1 * log[0].losses.tv, 3);
    expect([result.image.width, result.image.height]).toEqual([20, 16]);
  });

  it('texture mode honours outputSize', async () => {
    const { result } = await run(engine, { mode: 'texture', steps: 0, init: 'noise' }, { content: undefined, outputSize: { width: 24, height: 17 } });
    expect([result.image.width, result.image.height]).toEqual([24, 17]);
  });

  it('reconstruct mode: style is 0 everywhere', async () => {
    const { log } = await run(engine, { mode: 'reconstruct', optimizer: 'adam', steps: 2 }, { styles: [] });
    expect(log.every((p) => p.losses.style === 0 && p.losses.content > 0)).toBe(true);
    expect(log[0].losses.total).toBeCloseTo(log[0].losses.content + 0.1 * log[0].losses.tv, 5);
  });

  it('noise init: same seed, same run; another seed, another start', async () => {
    const a = await run(engine, { init: 'noise', seed: 3, optimizer: 'adam', steps: 2 });
    const b = await run(engine, { init: 'noise', seed: 3, optimizer: 'adam', steps: 2 });
    const c = await run(engine, { init: 'noise', seed: 4, optimizer: 'adam', steps: 2 });
    expect(b.result.image.data).toEqual(a.result.image.data);
    expect(b.log.map((p) => p.losses)).toEqual(a.log.map((p) => p.losses));
    expect(c.log[0].losses.total).not.toBe(a.log[0].losses.total);
  });

  it('init=style starts from the style image resized to the output size', async () => {
    const { result } = await run(engine, { init: 'style', steps: 0, optimizer: 'adam' });
    // resizeRGB is checked against tfjs's resizeBilinear in init-image.test.ts.
    expect(Array.from(result.image.data)).toEqual(Array.from(resizeRGB(style, 16, 16)));
  });

  it('calls onPreview every saveEvery iterations with a copy of the image', async () => {
    const previews: number[] = [];
    await run(engine, { optimizer: 'adam', steps: 7, saveEvery: 3 }, {
      onPreview: (i, img) => {
        expect(img.data.length).toBe(16 * 16 * 3);
        previews.push(i);
      },
    });
    expect(previews).toEqual([3, 6]);
  });

  for (const optimizer of ['adam', 'lbfgs'] as const) {
    it(`cancellation (${optimizer}) stops within one iteration and frees every tensor`, async () => {
      const before = tf.memory().numTensors;
      const controller = new AbortController();
      const seen: number[] = [];
      const p = stylize(
        engine,
        request(
          { optimizer, steps: 50 },
          {
            signal: controller.signal,
            onProgress: (pr) => {
              seen.push(pr.iteration);
              if (pr.iteration === 2) controller.abort();
            },
          },
        ),
      );
      await expect(p).rejects.toBeInstanceOf(CancelledError);
      expect(seen).toEqual([0, 1, 2]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('an already aborted signal is refused before any work', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(stylize(engine, request({ steps: 3 }, { signal: controller.signal }))).rejects.toBeInstanceOf(CancelledError);
  });

  it('keeps the tensor count flat over 100 iterations', async () => {
    const counts = new Map<number, number>();
    const before = tf.memory().numTensors;
    await run(engine, { optimizer: 'adam', steps: 100 }, {
      onProgress: (p) => {
        if (p.iteration === 10 || p.iteration === 100) counts.set(p.iteration, tf.memory().numTensors);
      },
    });
    expect(counts.get(10)).toBeDefined();
    expect(counts.get(100)).toBe(counts.get(10));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('bad requests get one-line EngineErrors', async () => {
    await expect(stylize(engine, request({ mode: 'transfer' }, { content: undefined }))).rejects.toThrow(EngineError);
    await expect(stylize(engine, request({ mode: 'transfer' }, { styles: [] }))).rejects.toThrow(/at least one style image/);
    await expect(stylize(engine, request({}, { content: randomImage(8, 8, 1) }))).rejects.toThrow(/at least 16 px/);
    await expect(stylize(engine, request({ init: 'image' }))).rejects.toThrow(/init=image needs/);
    await expect(stylize(engine, request({ styleBlend: '1,2' }))).rejects.toThrow(/2 weights for 1 style image/);
    await expect(
      stylize(engine, request({}, { content: { width: 16, height: 16, data: new Float32Array(10) } })),
    ).rejects.toThrow(/has 10 values/);
  });
});
