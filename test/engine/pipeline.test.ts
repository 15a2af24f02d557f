import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/options.ts';
import type { OptionsInput } from '../../src/options.ts';
import { selectBackend } from '../../src/engine/tfjs/tfjs-backend.ts';
import { decodeImage } from '../../src/engine/image.ts';
import { runPipeline } from '../../src/engine/pipeline.ts';
import type { PipelineInput } from '../../src/engine/pipeline.ts';
import { CancelledError, EngineError } from '../../src/engine/types.ts';
import type { Progress, RGBImage } from '../../src/engine/types.ts';
import { createVgg, type Vgg } from '../../src/engine/tfjs/vgg.ts';
import { tfjsEngine } from '../../src/engine/tfjs/tfjs-engine.ts';
import { randomVggWeights } from '../../scripts/lib/random-weights.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const images = path.resolve(repoRoot, '../shared/images');
const tubingen = path.join(images, 'tubingen.jpg'); // 1024×768
const starry = path.join(images, 'starry_night.jpg'); // 1024×640
const scream = path.join(images, 'the_scream.jpg'); // 1200×1528

let vgg: Vgg;
beforeAll(async () => {
  await selectBackend('wasm');
  vgg = createVgg(randomVggWeights(1));
});
afterAll(() => vgg?.dispose());

/** Tiny and fast: conv1 layers only (the "seed" preset), 32 px, 2 Adam steps. */
function opts(extra: OptionsInput = {}) {
  return resolveOptions({ preset: 'seed', size: 32, steps: 2, optimizer: 'adam', printEvery: 0, ...extra });
}

function run(input: Partial<PipelineInput> & { options: PipelineInput['options'] }) {
  return runPipeline({ styles: [], engine: tfjsEngine(vgg), ...input });
}

async function pngSize(png: Buffer): Promise<[string | undefined, number | undefined, number | undefined]> {
  const m = await sharp(png).metadata();
  return [m.format, m.width, m.height];
}

function yuv(img: RGBImage, p: number): [number, number, number] {
  const [r, g, b] = img.data.subarray(p * 3, p * 3 + 3);
  return [0.299 * r + 0.587 * g + 0.114 * b, -0.14713 * r - 0.28886 * g + 0.436 * b, 0.615 * r - 0.51499 * g - 0.10001 * b];
}

describe('runPipeline', () => {
  it('transfers a style at the requested size, keeping the aspect ratio', async () => {
    const progress: Progress[] = [];
    const r = await run({
      content: tubingen,
      styles: [readFileSync(starry)],
      options: opts(),
      onProgress: (p) => progress.push(p),
    });
    expect(await pngSize(r.png)).toEqual(['png', 32, 24]);
    expect([r.width, r.height, r.iterations]).toEqual([32, 24, 2]);
    expect(progress.map((p) => p.iteration)).toEqual([0, 1, 2]);
    expect(Number.isFinite(r.losses.total)).toBe(true);
    expect(r.losses.content).toBeGreaterThan(0);
    expect(r.losses.style).toBeGreaterThan(0);
    expect(r.runtimeMs).toBeGreaterThan(0);
  });

  it('sizes a portrait content by its longer side', async () => {
    const r = await run({ content: scream, styles: [starry], options: opts({ steps: 1 }) });
    expect(await pngSize(r.png)).toEqual(['png', 25, 32]);
  });

  it('synthesises a texture without content, in the first style’s aspect ratio', async () => {
    const r = await run({ styles: [starry], options: opts({ mode: 'texture', steps: 1 }) });
    expect(await pngSize(r.png)).toEqual(['png', 32, 20]);
    expect(r.losses.content).toBe(0);
    // The style is decoded at size × styleScale, the output still at size.
    const scaled = await run({ styles: [scream], options: opts({ mode: 'texture', steps: 1, styleScale: 0.5 }) });
    expect(await pngSize(scaled.png)).toEqual(['png', 25, 32]);
  });

  it('ignores content in texture mode unless it initialises the image', async () => {
    const r = await run({ content: Buffer.from('not decoded'), styles: [starry], options: opts({ mode: 'texture', steps: 1 }) });
    expect([r.width, r.height]).toEqual([32, 20]);
  });

  it('posts a PNG preview every saveEvery iterations, in order, before it resolves', async () => {
    const previews: { iteration: number; png: Buffer }[] = [];
    const r = await run({
      content: tubingen,
      styles: [starry],
      options: opts({ steps: 4, saveEvery: 2 }),
      onPreview: (iteration, png) => previews.push({ iteration, png }),
    });
    expect(r.iterations).toBe(4);
    expect(previews.map((p) => p.iteration)).toEqual([2, 4]);
    for (const p of previews) expect(await pngSize(p.png)).toEqual(['png', 32, 24]);
  });

  it('applies original colours to previews too, and survives a failing preview consumer', async () => {
    const previews: Buffer[] = [];
    const r = await run({
      content: tubingen,
      styles: [starry],
      options: opts({ steps: 3, saveEvery: 1, init: 'noise', originalColors: true }),
      onPreview: (iteration, png) => {
        if (iteration === 1) throw new Error('chat upload failed');
        previews.push(png);
      },
    });
    expect(previews).toHaveLength(2);
    // The last preview shows the same image as the result, so with the same colour handling it is the same PNG.
    expect(previews[1].equals(r.png)).toBe(true);
  });

  it('starts from the given init image', async () => {
    // A flat teal init image, unlike either input; with 0 steps the output is the init image itself.
    const init = await sharp({ create: { width: 50, height: 10, channels: 3, background: { r: 32, g: 160, b: 192 } } }).png().toBuffer();
    const r = await run({ content: tubingen, styles: [starry], initImage: init, options: opts({ init: 'image', steps: 0 }) });
    expect([r.width, r.height]).toEqual([32, 24]);
    const out = await decodeImage(r.png, {});
    for (let p = 0; p < 32 * 24; p++) {
      expect(Array.from(out.data.subarray(p * 3, p * 3 + 3))).toEqual([32, 160, 192].map((v) => Math.fround(v / 255)));
    }
    // A photo as init image, resampled to the output size.
    const photo = await run({ content: tubingen, styles: [starry], initImage: scream, options: opts({ init: 'image', steps: 0 }) });
    const want = await decodeImage(scream, { width: 32, height: 24 });
    const got = await decodeImage(photo.png, {});
    for (let i = 0; i < want.data.length; i++) expect(Math.abs(got.data[i] - want.data[i])).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
  });

  it("keeps the content's colours with originalColors", async () => {
    const content = await decodeImage(tubingen, { longSide: 32 });
    const plain = await decodeImage((await run({ content: tubingen, styles: [starry], options: opts({ init: 'noise' }) })).png, {});
    const kept = await decodeImage(
      (await run({ content: tubingen, styles: [starry], options: opts({ init: 'noise', originalColors: true }) })).png,
      {},
    );
    const chromaError = (img: RGBImage) => {
      let s = 0;
      for (let p = 0; p < 32 * 24; p++) {
        const [, u, v] = yuv(img, p);
        const [, cu, cv] = yuv(content, p);
        s += Math.abs(u - cu) + Math.abs(v - cv);
      }
      return s / (32 * 24);
    };
    // Noise init has random chroma; with original colours only clamping and 8-bit rounding remain.
    expect(chromaError(plain)).toBeGreaterThan(0.05);
    expect(chromaError(kept)).toBeLessThan(0.01);
    // Luminance stays the optimised image's, not the content's.
    let lumaDiff = 0;
    for (let p = 0; p < 32 * 24; p++) lumaDiff += Math.abs(yuv(kept, p)[0] - yuv(plain, p)[0]);
    expect(lumaDiff / (32 * 24)).toBeLessThan(0.02);
  });

  it('refuses what the mode cannot use, with clear messages', async () => {
    const cases: [Partial<PipelineInput>, OptionsInput, string][] = [
      [{ styles: [starry] }, {}, 'transfer mode needs a content image'],
      [{ content: tubingen }, {}, 'transfer mode needs at least one style image'],
      [{ content: tubingen }, { mode: 'texture' }, 'texture mode needs at least one style image'],
      [{ styles: [starry] }, { mode: 'reconstruct' }, 'reconstruct mode needs a content image'],
      [{ styles: [starry] }, { mode: 'texture', init: 'content' }, 'init=content needs a content image'],
      [{ content: tubingen }, { mode: 'reconstruct', init: 'style' }, 'init=style needs a style image'],
      [{ content: tubingen, styles: [starry] }, { init: 'image' }, 'init=image needs an initial image'],
      [{ content: tubingen, styles: [starry] }, { styleBlend: '1,2' }, 'style-blend has 2 weights but there is 1 style image'],
      [{ content: tubingen, styles: [starry, scream] }, { styleBlend: '1' }, 'style-blend has 1 weight but there are 2 style images'],
    ];
    for (const [input, o, message] of cases) {
      const err = await run({ ...input, options: opts(o) }).catch((e: unknown) => e);
      expect(err, message).toBeInstanceOf(EngineError);
      expect((err as Error).message).toContain(message);
    }
  });

  it('names the input that is not an image', async () => {
    await expect(run({ content: Buffer.from('nope'), styles: [starry], options: opts() })).rejects.toThrow(
      'content image: not an image (unrecognised data)',
    );
    await expect(run({ content: tubingen, styles: [starry, Buffer.from('nope')], options: opts() })).rejects.toThrow(
      'style image 2: not an image',
    );
    await expect(run({ content: tubingen, styles: [starry], options: opts(), maxInputPixels: 100_000 })).rejects.toThrow(
      'content image: image too large: 1024×768 pixels, limit 100,000 pixels',
    );
    await expect(
      run({ content: tubingen, styles: [starry], initImage: Buffer.from('x'), options: opts({ init: 'image' }) }),
    ).rejects.toThrow('init image: not an image');
  });

  it('stops on abort', async () => {
    const aborted = new AbortController();
    aborted.abort();
    await expect(run({ content: tubingen, styles: [starry], options: opts(), signal: aborted.signal })).rejects.toBeInstanceOf(
      CancelledError,
    );
    const midway = new AbortController();
    const seen: number[] = [];
    const err = await run({
      content: tubingen,
      styles: [starry],
      options: opts({ steps: 50 }),
      signal: midway.signal,
      onProgress: (p) => {
        seen.push(p.iteration);
        if (p.iteration === 1) midway.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect(Math.max(...seen)).toBeLessThan(5);
  });
});
