// Time-lapse frames from the pipeline and the animated file made of them: animated, looping, first
// frame = the initial image, last = the result (both downscaled), and shrunk to fit a byte limit.
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/engine/tfjs/tfjs-backend.ts';
import { runPipeline } from '../../../src/engine/pipeline.ts';
import { tfjsEngine } from '../../../src/engine/tfjs/tfjs-engine.ts';
import { createVgg, type Vgg } from '../../../src/engine/tfjs/vgg.ts';
import { FRAME_MAX_SIDE, FRAME_TARGET, FrameRecorder, frameInterval, type Frame } from '../../../src/engine/visuals/frames.ts';
import { encodeTimelapse, TimelapseTooLargeError } from '../../../src/engine/visuals/timelapse.ts';
import { resolveOptions, type OptionsInput } from '../../../src/options.ts';
import { randomVggWeights } from '../../../scripts/lib/random-weights.ts';

const images = path.resolve(import.meta.dirname, '../../../../shared/images');
const tubingen = path.join(images, 'tubingen.jpg'); // 1024×768
const starry = path.join(images, 'starry_night.jpg');

let vgg: Vgg;
beforeAll(async () => {
  await selectBackend('wasm');
  vgg = createVgg(randomVggWeights(3));
});
afterAll(() => vgg?.dispose());

function opts(extra: OptionsInput = {}) {
  // From the content image, so the first frame can be compared with it.
  return resolveOptions({ preset: 'seed', init: 'content', size: 40, steps: 12, optimizer: 'adam', lr: 0.2, printEvery: 0, ...extra });
}

async function rawPage(file: Buffer, page: number): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(file, { page }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

async function rawOf(png: Buffer | string, width: number, height: number): Promise<Buffer> {
  return sharp(png).removeAlpha().resize(width, height, { fit: 'fill' }).raw().toBuffer();
}

function meanAbsDiff(a: Buffer, b: Buffer): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

async function recordRun(extra: OptionsInput = {}) {
  const frames: Frame[] = [];
  const recorder = new FrameRecorder();
  const result = await runPipeline({
    content: tubingen,
    styles: [starry],
    options: opts(extra),
    engine: tfjsEngine(vgg),
    onFrame: (f) => {
      frames.push(f);
      recorder.add(f);
    },
  });
  return { result, frames, pngs: (await recorder.frames()).map((f) => f.png) };
}

describe('frames', () => {
  it('spreads about FRAME_TARGET frames over any run length', () => {
    expect(frameInterval(12)).toBe(1);
    expect(frameInterval(300)).toBe(Math.ceil(300 / FRAME_TARGET));
    expect(Math.floor(1000 / frameInterval(1000)) + 2).toBeLessThanOrEqual(60);
  });

  it('the pipeline reports the initial image, every iteration of a short run and the result, previews unchanged', async () => {
    const previews: number[] = [];
    const frames: Frame[] = [];
    await runPipeline({
      content: tubingen,
      styles: [starry],
      options: opts({ saveEvery: 5 }),
      engine: tfjsEngine(vgg),
      onFrame: (f) => frames.push(f),
      onPreview: (i) => previews.push(i),
    });
    expect(previews).toEqual([5, 10]);
    expect(frames.map((f) => f.iteration)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12]);
    expect(frames.every((f) => f.image.width === 40 && f.image.height === 30)).toBe(true);
  });

  it('a coarse-to-fine run has frames of every scale, numbered across the run', async () => {
    const { frames, pngs } = await recordRun({ scales: '24,40', steps: 6 });
    expect(new Set(frames.map((f) => f.scale))).toEqual(new Set([1, 2]));
    expect(frames.find((f) => f.scale === 1)!.image.width).toBe(24);
    expect(frames.at(-1)!.iteration).toBe(12);
    const film = await encodeTimelapse(pngs, { format: 'gif' });
    // Every frame upsampled to the final size.
    expect([film.width, film.height, film.frames]).toEqual([40, 30, pngs.length]);
    const meta = await sharp(film.data, { animated: true }).metadata();
    expect(meta.pages).toBe(pngs.length);
    expect(meta.pageHeight).toBe(30);
  });
});

describe('encodeTimelapse', () => {
  it('GIF and WebP: animated, looping, the last frame held, first ≈ initial image and last ≈ result', async () => {
    const { result, pngs } = await recordRun();
    expect(pngs.length).toBeGreaterThan(5);
    for (const format of ['gif', 'webp'] as const) {
      const film = await encodeTimelapse(pngs, { format, frameDelayMs: 80, holdLastMs: 1500 });
      const meta = await sharp(film.data, { animated: true }).metadata();
      expect(meta.format).toBe(format);
      expect(meta.pages).toBe(pngs.length);
      expect(meta.loop).toBe(0);
      expect(meta.delay?.at(-1)).toBe(1500);
      expect(meta.delay?.[0]).toBe(80);
      const first = await rawPage(film.data, 0);
      const last = await rawPage(film.data, pngs.length - 1);
      const initial = await rawOf(tubingen, first.width, first.height);
      const final = await rawOf(result.png, last.width, last.height);
      // Palette (GIF) and lossy (WebP) coding leave a small error; the run itself moves far more.
      expect(meanAbsDiff(first.data, initial)).toBeLessThan(8);
      expect(meanAbsDiff(last.data, final)).toBeLessThan(8);
      expect(meanAbsDiff(first.data, last.data)).toBeGreaterThan(8);
    }
  });

  it('frames are at most FRAME_MAX_SIDE px on the longer side', async () => {
    const recorder = new FrameRecorder();
    recorder.add({ iteration: 0, scale: 1, image: { width: 600, height: 300, data: new Float32Array(600 * 300 * 3).fill(0.5) } });
    const [frame] = await recorder.frames();
    const meta = await sharp(frame.png).metadata();
    expect([meta.width, meta.height]).toEqual([FRAME_MAX_SIDE, FRAME_MAX_SIDE / 2]);
  });

  it('shrinks frames and their count to fit a byte limit, keeping the first and the last', async () => {
    // Noisy frames: large as a GIF.
    const noisy = (seed: number) => {
      const data = Buffer.alloc(128 * 96 * 3);
      let s = seed;
      for (let i = 0; i < data.length; i++) data[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
      return sharp(data, { raw: { width: 128, height: 96, channels: 3 } }).png().toBuffer();
    };
    const frames = await Promise.all(Array.from({ length: 16 }, (_, i) => noisy(i + 1)));
    const full = await encodeTimelapse(frames, { format: 'gif' });
    const limit = Math.floor(full.data.length / 5);
    const fitted = await encodeTimelapse(frames, { format: 'gif', maxBytes: limit });
    expect(fitted.data.length).toBeLessThanOrEqual(limit);
    expect(fitted.frames).toBeLessThan(16);
    const meta = await sharp(fitted.data, { animated: true }).metadata();
    expect(meta.pages).toBe(fitted.frames);
    expect(meta.pages).toBeGreaterThan(1);
    // The last page is the last frame (its own noise), not a neighbour's.
    const last = await rawPage(fitted.data, fitted.frames - 1);
    const lastFrame = await rawOf(frames[15], last.width, last.height);
    const other = await rawOf(frames[14], last.width, last.height);
    expect(meanAbsDiff(last.data, lastFrame)).toBeLessThan(meanAbsDiff(last.data, other));
    await expect(encodeTimelapse(frames, { format: 'gif', maxBytes: 100 })).rejects.toBeInstanceOf(TimelapseTooLargeError);
  });
});
