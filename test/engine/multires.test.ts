import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/engine/tfjs/tfjs-backend.ts';
import { decodeImage, resizeImage } from '../../src/engine/image.ts';
import { AUTO_COARSEST_SIDE, coarseToFineEtaMs, planScales, scaleSides, stepsPerScale, totalIterations } from '../../src/engine/multires.ts';
import { createObjective } from '../../src/engine/tfjs/objective.ts';
import { runPipeline } from '../../src/engine/pipeline.ts';
import type { PipelineInput } from '../../src/engine/pipeline.ts';
import { CancelledError, EngineError } from '../../src/engine/types.ts';
import type { Losses, Progress, RGBImage } from '../../src/engine/types.ts';
import { createVgg, type Vgg } from '../../src/engine/tfjs/vgg.ts';
import { tfjsEngine } from '../../src/engine/tfjs/tfjs-engine.ts';
import { MAX_STEPS, OptionsError, resolveOptions } from '../../src/options.ts';
import type { OptionsInput } from '../../src/options.ts';
import { firstDifference, randomVggWeights } from '../../scripts/lib/random-weights.ts';

const images = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/images');
const tubingen = path.join(images, 'tubingen.jpg'); // 1024×768
const starry = path.join(images, 'starry_night.jpg'); // 1024×640

/** Plan options as resolveOptions produces them. */
function plan(o: OptionsInput) {
  return planScales(resolveOptions(o));
}

describe('scale plan', () => {
  it('takes explicit scales as given, the last being the output size', () => {
    expect(plan({ scales: '256,512,1024' })).toEqual({ sides: [256, 512, 1024], steps: [300, 300, 300] });
    expect(resolveOptions({ scales: '256,512,1024' }).size).toBe(1024);
    expect(plan({ scales: [100, 300], steps: 7 })).toEqual({ sides: [100, 300], steps: [7, 7] });
  });

  it('doubles N times up to the size with multires', () => {
    expect(plan({ size: 1024, multires: 3 }).sides).toEqual([256, 512, 1024]);
    expect(plan({ size: 1000, multires: 3 }).sides).toEqual([250, 500, 1000]);
    expect(plan({ size: 64, multires: 2 }).sides).toEqual([32, 64]);
    expect(plan({ size: 64, multires: 1 }).sides).toEqual([64]);
  });

  it('halves down to at least 128 px above multiresAbove, and not at or below it', () => {
    expect(AUTO_COARSEST_SIDE).toBe(128);
    expect(plan({ size: 1024 }).sides).toEqual([1024]);
    expect(planScales(resolveOptions({ size: 1024 }, { multiresAbove: 512 })).sides).toEqual([128, 256, 512, 1024]);
    expect(planScales(resolveOptions({ size: 1000 }, { multiresAbove: 512 })).sides).toEqual([250, 500, 1000]);
    expect(planScales(resolveOptions({ size: 512 }, { multiresAbove: 512 })).sides).toEqual([512]);
    // Too small to halve even once: stays one scale.
    expect(planScales(resolveOptions({ size: 200 }, { multiresAbove: 100 })).sides).toEqual([200]);
    // An explicit choice wins over the admin default, including multires 1 (off).
    expect(planScales(resolveOptions({ size: 1024, multires: 1 }, { multiresAbove: 512 })).sides).toEqual([1024]);
    expect(planScales(resolveOptions({ scales: '300,1024' }, { multiresAbove: 512 })).sides).toEqual([300, 1024]);
  });

  it('takes one step count per scale, or steps at each', () => {
    const o = resolveOptions({ scales: '32,64,128', scaleSteps: '30,20,10' });
    expect(o.steps).toBe(60);
    expect(planScales(o).steps).toEqual([30, 20, 10]);
    expect(stepsPerScale({ ...o, scaleSteps: undefined, steps: 5 }, [32, 64])).toEqual([5, 5]);
    // What a step limit must compare: the list's sum, or steps at every scale.
    expect(totalIterations(o)).toBe(60);
    expect(totalIterations(resolveOptions({ size: 512, multires: 3, steps: 100 }))).toBe(300);
    expect(totalIterations(resolveOptions({ size: 512, steps: 100 }))).toBe(100);
  });

  it('refuses plans that cannot run, naming the option', () => {
    const refusal = (o: OptionsInput) => {
      try {
        plan(o);
      } catch (e) {
        expect(e).toBeInstanceOf(EngineError);
        return (e as Error).message;
      }
      throw new Error(`no error for ${JSON.stringify(o)}`);
    };
    expect(refusal({ scales: '8,64' })).toBe('scales: 8 px is too small, every scale must be at least 16 px');
    expect(refusal({ size: 64, multires: 4 })).toBe(
      'multires: 4 scales ending at size 64 would start at 8 px, but every scale must be at least 16 px (at most 3 at this size)',
    );
    expect(refusal({ scales: '32,64', scaleSteps: '1,2,3' })).toBe('steps: 3 per-scale counts for 2 scales (32, 64 px)');
    expect(refusal({ size: 64, scaleSteps: '1,2' })).toBe('steps: 2 per-scale counts for 1 scale (64 px)');
    expect(() => scaleSides({ size: 100, steps: 1, scales: [50, 90], multiresAbove: 0 })).toThrow('scales: the last scale (90) must be the output size (100)');
  });

  it('keeps size, steps and the scale options consistent in resolveOptions', () => {
    expect(() => resolveOptions({ scales: '64,32' })).toThrow(new OptionsError('scales: got "64,32", expected increasing sizes, from the coarsest to the output size'));
    expect(() => resolveOptions({ scales: '32,x' })).toThrow(/^scales: got "32,x", expected comma-separated sizes in pixels/);
    expect(() => resolveOptions({ scales: '32,64', size: 128 })).toThrow('scales: the last (64) is the output size, but size is 128; give one of them');
    expect(resolveOptions({ scales: '32,64', size: 64 }).size).toBe(64);
    // An admin's default size gives way to the user's scales.
    expect(resolveOptions({ scales: '32,64' }, { size: 256 }).size).toBe(64);
    expect(() => resolveOptions({ scales: '32,64', multires: 2 })).toThrow('multires: scales already chooses the scales, give one of them');
    expect(() => resolveOptions({ scaleSteps: '2,3', steps: 4 })).toThrow('scale-steps: they add up to 5 iterations, but steps is 4; give one of them');
    expect(() => resolveOptions({ scaleSteps: `${MAX_STEPS},1` })).toThrow(`scale-steps: ${MAX_STEPS + 1} iterations in all, more than ${MAX_STEPS}`);
    expect(() => resolveOptions({ scaleSteps: '1.5' })).toThrow(/^scale-steps: got "1.5"/);
  });

  it('estimates the remaining time with later scales costing their pixel ratio', () => {
    const p = { sides: [100, 200], steps: [10, 4] };
    // Scale 1 at 2 ms/it: 8 iterations left here, then 4 at 4× the pixels.
    expect(coarseToFineEtaMs(p, 0, 2, 2)).toBe(8 * 2 + 4 * 2 * 4);
    expect(coarseToFineEtaMs(p, 1, 1, 8)).toBe(3 * 8);
    expect(coarseToFineEtaMs(p, 1, 4, 8)).toBe(0);
  });
});

describe('coarse-to-fine pipeline', () => {
  let vgg: Vgg;
  beforeAll(async () => {
    await selectBackend('wasm');
    vgg = createVgg(randomVggWeights(1));
  });
  afterAll(() => vgg?.dispose());

  /** conv1 layers only (the seed preset), Adam: tiny and deterministic. */
  function opts(extra: OptionsInput) {
    return resolveOptions({ preset: 'seed', optimizer: 'adam', printEvery: 0, ...extra });
  }

  function run(input: Partial<PipelineInput> & { options: PipelineInput['options'] }) {
    return runPipeline({ content: tubingen, styles: [starry], engine: tfjsEngine(vgg), ...input });
  }

  it('runs each scale in turn, reports the scale and the whole run’s time, and ends at the output size', async () => {
    const progress: Progress[] = [];
    const done: { scale: number; scales: number; image: RGBImage }[] = [];
    const r = await run({ options: opts({ scales: '32,64', scaleSteps: '2,2' }), onProgress: (p) => progress.push(p), onScaleDone: (s) => done.push(s) });
    expect([r.width, r.height, r.iterations]).toEqual([64, 48, 4]);
    expect(progress.map((p) => [p.scale, p.scales, p.iteration, p.steps])).toEqual([
      [1, 2, 0, 2], [1, 2, 1, 2], [1, 2, 2, 2],
      [2, 2, 0, 2], [2, 2, 1, 2], [2, 2, 2, 2],
    ]);
    expect(done.map((d) => [d.scale, d.scales, d.image.width, d.image.height])).toEqual([[1, 2, 32, 24], [2, 2, 64, 48]]);
    // Elapsed time runs across scales; the ETA covers the later scale and reaches 0 at the end.
    for (let i = 1; i < progress.length; i++) expect(progress[i].elapsedMs).toBeGreaterThanOrEqual(progress[i - 1].elapsedMs);
    expect(progress[2].etaMs).toBeGreaterThan(0);
    expect(progress.at(-1)!.etaMs).toBe(0);
    expect(r.losses).toEqual(progress.at(-1)!.losses);
  });

  it('starts each scale from the previous result, upsampled', async () => {
    const done: RGBImage[] = [];
    const scale2: Losses[] = [];
    const o = opts({ scales: '32,64', scaleSteps: '3,2' });
    await run({
      options: o,
      onScaleDone: (s) => done.push(s.image),
      onProgress: (p) => void (p.scale === 2 && p.iteration === 0 && scale2.push(p.losses)),
    });
    const upsampled = await resizeImage(done[0], 64, 48);
    // Scale 2's iteration 0 is the loss of exactly that image at 64 px.
    const content = await decodeImage(tubingen, { longSide: 64 });
    const style = await decodeImage(starry, { longSide: 64 });
    const objective = createObjective(vgg, o, content, [style]);
    try {
      const at = async (x: Float32Array) => (await objective.evaluate(x, 64, 48)).losses;
      const expected = await at(upsampled.data);
      expect(scale2).toHaveLength(1);
      expect(scale2[0].total).toBeCloseTo(expected.total, 5);
      expect(scale2[0].style).toBeCloseTo(expected.style, 8);
      // Another image (the content at 64 px) gives another loss: the match is no coincidence.
      expect(Math.abs((await at(content.data)).total - scale2[0].total)).toBeGreaterThan(1e-3 * expected.total);
    } finally {
      objective.dispose();
    }
    // With no steps at scale 2 the result is that iteration-0 image itself.
    const zero: RGBImage[] = [];
    await run({ options: opts({ scales: '32,64', scaleSteps: '3,0' }), onScaleDone: (s) => zero.push(s.image) });
    expect(firstDifference(zero[0].data, done[0].data)).toBe(-1);
    expect(firstDifference(zero[1].data, upsampled.data)).toBe(-1);
  });

  it('multires N: sizes doubling up to --size; texture keeps the style’s aspect at every scale', async () => {
    const sizes: string[] = [];
    const r = await run({
      content: undefined,
      options: opts({ mode: 'texture', size: 64, multires: 2, steps: 1 }),
      onScaleDone: (s) => sizes.push(`${s.image.width}×${s.image.height}`),
    });
    expect(sizes).toEqual(['32×20', '64×40']);
    expect([r.width, r.height, r.iterations]).toEqual([64, 40, 2]);
  });

  it('numbers previews across the run so a later scale does not overwrite an earlier one', async () => {
    const previews: number[] = [];
    await run({ options: opts({ scales: '32,64', scaleSteps: '2,2', saveEvery: 1 }), onPreview: (i) => previews.push(i) });
    expect(previews).toEqual([1, 2, 3, 4]);
  });

  it('refuses, before optimising, a coarse scale too small for the layers', async () => {
    const progress: Progress[] = [];
    // relu5_1 needs 16 px per side; tubingen at 16 px is 16×12.
    const err = await run({ options: resolveOptions({ scales: '16,64', steps: 1 }), onProgress: (p) => progress.push(p) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as Error).message).toBe('scale 1 of 2 (16 px) would be 16×12: the chosen layers need at least 16 px per side, so start at a larger size');
    expect(progress).toEqual([]);
  });

  it('stops on abort between scales', async () => {
    const controller = new AbortController();
    const seen: [number | undefined, number][] = [];
    const err = await run({
      options: opts({ scales: '32,64', scaleSteps: '1,5' }),
      signal: controller.signal,
      onScaleDone: () => controller.abort(),
      onProgress: (p) => seen.push([p.scale, p.iteration]),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect(seen).toEqual([[1, 0], [1, 1]]);
  });
});
