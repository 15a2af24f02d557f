import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/engine/tfjs/tfjs-backend.ts';
import { fitLongSide } from '../../src/engine/image.ts';
import { WASM_HEAP_LIMIT, checkMemory, estimatePeakBytes, type Footprint, type MemoryBudget } from '../../src/engine/memory-estimate.ts';
import { createObjective } from '../../src/engine/tfjs/objective.ts';
import { runPipeline } from '../../src/engine/pipeline.ts';
import { EngineError, type Progress } from '../../src/engine/types.ts';
import { createVgg, type Vgg } from '../../src/engine/tfjs/vgg.ts';
import { tfjsEngine, tfjsMemoryBudget } from '../../src/engine/tfjs/tfjs-engine.ts';
import { createOnnxEngine } from '../../src/engine/onnx/onnx-engine.ts';
import { resolveOptions, type Preset } from '../../src/options.ts';
import { randomVggWeights } from '../../scripts/lib/random-weights.ts';
import { randomImage } from '../helpers/tiny-vgg.ts';

const images = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/images');
const tubingen = path.join(images, 'tubingen.jpg'); // 1024×768
const starry = path.join(images, 'starry_night.jpg'); // 1024×640

let vgg: Vgg;
beforeAll(async () => {
  await selectBackend('wasm');
  vgg = createVgg(randomVggWeights(1));
});
afterAll(() => vgg?.dispose());

/** A 4:3 output with a same-sized style. */
function footprint(side: number): Footprint {
  const output = fitLongSide(1024, 768, side);
  return { output, styles: [output] };
}

describe('estimatePeakBytes', () => {
  it.each<Preset>(['seed', 'gatys'])('covers the measured peak of one evaluation (%s, 64 px) without overshooting much', async (preset) => {
    const o = resolveOptions({ preset, size: 64 });
    const before = tf.memory().numBytes;
    const objective = createObjective(vgg, o, randomImage(64, 64, 1), [randomImage(64, 64, 2)]);
    try {
      const profile = await tf.profile(async () => {
        await objective.evaluate(randomImage(64, 64, 3).data, 64, 64);
        return [];
      });
      const measured = profile.peakBytes - before;
      const estimated = estimatePeakBytes(o, vgg.channels, { output: { width: 64, height: 64 }, styles: [{ width: 64, height: 64 }] });
      expect(estimated).toBeGreaterThanOrEqual(measured);
      expect(estimated).toBeLessThan(1.5 * measured);
    } finally {
      objective.dispose();
    }
  });

  it('grows with the pixels and with deeper layers', () => {
    const gatys = resolveOptions({});
    const small = estimatePeakBytes(gatys, vgg.channels, footprint(256));
    const large = estimatePeakBytes(gatys, vgg.channels, footprint(512));
    expect(large / small).toBeGreaterThan(3.5);
    expect(large / small).toBeLessThanOrEqual(4);
    expect(estimatePeakBytes(resolveOptions({ preset: 'seed' }), vgg.channels, footprint(512))).toBeLessThan(large);
    // A style decoded at 4× the size needs its own forward pass at 16× the pixels.
    const bigStyle = { output: footprint(512).output, styles: [fitLongSide(1024, 768, 2048)] };
    expect(estimatePeakBytes(gatys, vgg.channels, bigStyle)).toBeGreaterThan(2 * large);
  });
});

describe('checkMemory', () => {
  const gatys = resolveOptions({});

  it('lets onnx-cpu run a 1024 px gatys evaluation that the wasm heap refuses', async () => {
    const onnx = await createOnnxEngine(randomVggWeights(1), { provider: 'cpu', threads: 1 });
    try {
      const budget = onnx.memoryBudget()!;
      expect(budget.limitBytes).toBeGreaterThan(WASM_HEAP_LIMIT);
      expect(budget.what).toMatch(/^this machine's \d+\.\d GiB of memory$/);
      expect(() => checkMemory(gatys, onnx.channels, 1024, footprint, budget)).not.toThrow();
      expect(() => checkMemory(gatys, vgg.channels, 1024, footprint, tfjsMemoryBudget('wasm'))).toThrow(/more than the wasm backend's 4 GiB heap can hold/);
    } finally {
      await onnx.dispose();
    }
  });

  it('names the largest size that fits a budget, and that size fits', () => {
    const budget: MemoryBudget = { what: 'a test budget', limitBytes: 2 ** 30, usedBytes: 2 ** 28 };
    let message = '';
    try {
      checkMemory(gatys, vgg.channels, 1024, footprint, budget);
    } catch (e) {
      expect(e).toBeInstanceOf(EngineError);
      message = (e as Error).message;
    }
    const m = /^size 1024 \(1024×768\) needs about (\d+\.\d) GiB with these layers, more than a test budget can hold: the largest size that fits is about (\d+) px; lower the size, use shallower layers or a backend without a fixed heap \(onnx-cpu\)$/.exec(message);
    expect(m, message).not.toBeNull();
    const largest = Number(m![2]);
    expect(() => checkMemory(gatys, vgg.channels, largest, footprint, budget)).not.toThrow();
    expect(() => checkMemory(gatys, vgg.channels, largest + 1, footprint, budget)).toThrow(EngineError);
    // Nothing to check without a budget (the GPU backend's memory is not known).
    expect(() => checkMemory(gatys, vgg.channels, 4096, footprint, null)).not.toThrow();
  });

  it("uses the wasm heap's 4 GiB ceiling on the wasm backend", () => {
    const budget = tfjsMemoryBudget('wasm')!;
    expect(budget.limitBytes).toBe(WASM_HEAP_LIMIT);
    // The VGG weights already live in the heap.
    expect(budget.usedBytes).toBeGreaterThan(100 * 2 ** 20);
    expect(() => checkMemory(gatys, vgg.channels, 512, footprint, budget)).not.toThrow();
  });

  it('makes the pipeline refuse an output that would not fit, before optimising', async () => {
    const progress: Progress[] = [];
    const err = await runPipeline({
      content: tubingen,
      styles: [starry],
      engine: tfjsEngine(vgg),
      options: resolveOptions({ size: 4096, multires: 4 }),
      onProgress: (p) => progress.push(p),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    const m = /^size 4096 \(4096×3072\) needs about \d+\.\d GiB with these layers, more than the wasm backend's 4 GiB heap can hold: the largest size that fits is about (\d+) px;/.exec(
      (err as Error).message,
    );
    expect(m, (err as Error).message).not.toBeNull();
    // Measured on the wasm backend: gatys at 1024×768 aborts the process; the default size must fit.
    expect(Number(m![1])).toBeGreaterThan(512);
    expect(Number(m![1])).toBeLessThan(1024);
    expect(progress).toEqual([]);
  });
});
