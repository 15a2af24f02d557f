import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src/engine/engine.ts';
import {
  cellLabel,
  firstUnfinished,
  gridCostSteps,
  planGrid,
  planVary,
  runGrid,
  runUpscale,
  upscaleOptions,
  upscaleSides,
  type GridCandidate,
  type GridProgress,
} from '../../../src/engine/grid/index.ts';
import { totalIterations } from '../../../src/engine/multires.ts';
import { SHEET_STYLE } from '../../../src/engine/sheet/index.ts';
import { CancelledError, type RGBImage } from '../../../src/engine/types.ts';
import { GRID_REFUSALS, OptionsError, resolveOptions, type OptionsInput } from '../../../src/options.ts';
import { testEngine } from '../../helpers/engines.ts';
import { randomVggWeights } from '../../../scripts/lib/random-weights.ts';

const images = path.resolve(import.meta.dirname, '../../../../shared/images');
const tubingen = path.join(images, 'tubingen.jpg'); // 1024×768
const starry = path.join(images, 'starry_night.jpg'); // 1024×640

/** Tiny: conv1 layers (seed preset), 32 px candidates, 2 Adam steps each. */
function opts(extra: OptionsInput = {}) {
  return resolveOptions({ preset: 'seed', size: 64, steps: 2, gridSize: 32, gridSteps: 2, optimizer: 'adam', printEvery: 0, ...extra });
}

let engine: Engine;
beforeAll(async () => {
  engine = await testEngine('onnx-cpu', randomVggWeights(1));
});
afterAll(async () => engine?.dispose());

async function raw(png: Buffer): Promise<{ width: number; height: number; data: Buffer }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

describe('grid plans', () => {
  it('a fresh grid spaces four strengths 4× apart with the chosen one second', () => {
    const spec = planGrid(opts({ styleWeight: 1e6 }));
    expect(spec.cells.map((c) => c.styleWeight)).toEqual([2.5e5, 1e6, 4e6, 1.6e7]);
    expect(spec.cells.map((c) => c.styleScale)).toEqual([1, 1, 1, 1]);
    expect([spec.kind, spec.size, spec.steps]).toEqual(['strength', 32, 2]);
    expect(cellLabel(spec, spec.cells[0])).toEqual(['1 · strength 2.5e5', '×1/4']);
    // The chosen strength is a candidate exactly, however it is written.
    const odd = planGrid(opts({ styleWeight: 123457 }));
    expect(odd.cells[1].styleWeight).toBe(123457);
    expect(cellLabel(odd, odd.cells[1])[0]).toBe('2 · strength 123500');
  });

  it('a Vary halves and doubles the strength, then scales the style by 0.7 and 1.4', () => {
    const o = opts();
    const spec = planVary(o, { styleWeight: 4e6, styleScale: 0.5 });
    expect(spec.cells.map((c) => [c.styleWeight, c.styleScale])).toEqual([
      [2e6, 0.5],
      [8e6, 0.5],
      [4e6, 0.35],
      [4e6, 0.7],
    ]);
    expect(cellLabel(spec, spec.cells[2])).toEqual(['3 · strength 4e6', 'scale ×0.7', 'style scale 0.35']);
    // Style scale stays inside the option's range (at most 4).
    expect(planVary(o, { styleWeight: 1, styleScale: 3 }).cells[3].styleScale).toBe(4);
  });

  it('texture and reconstruct refuse a grid with the reason, from the options schema', () => {
    expect(() => resolveOptions({ mode: 'texture', grid: true })).toThrow(new OptionsError(GRID_REFUSALS.texture));
    expect(() => resolveOptions({ mode: 'reconstruct', grid: 'true' })).toThrow(new OptionsError(GRID_REFUSALS.reconstruct));
    expect(resolveOptions({ grid: true }).grid).toBe(true);
    expect(resolveOptions({}).grid).toBe(false);
    // An admin's default grid does not make texture jobs fail: it just does not apply to them.
    expect(resolveOptions({ mode: 'texture' }, { grid: true }).grid).toBe(false);
    expect(resolveOptions({}, { grid: true }).grid).toBe(true);
    expect(() => resolveOptions({ gridSize: 300 })).toThrow(/grid-size: got 300, expected a whole number from 32 to 256/);
  });

  it('costs four candidates in full-size-equivalent steps', () => {
    expect(gridCostSteps(resolveOptions({}))).toBe(57); // 4 · 100 · (192/512)²
    expect(gridCostSteps(resolveOptions({ size: 192 }))).toBe(400);
    // A grid never runs above the output size: a 100 px request makes 100 px candidates.
    expect(gridCostSteps(resolveOptions({ size: 100 }))).toBe(400);
    expect(planGrid(resolveOptions({ size: 100 })).size).toBe(100);
  });

  it('an upscale adds halved scales only when the size gap is large', () => {
    expect(upscaleSides(192, 512)).toEqual([512]);
    expect(upscaleSides(192, 1024)).toEqual([512, 1024]);
    expect(upscaleSides(192, 2048)).toEqual([512, 1024, 2048]);
    const o = resolveOptions({ size: 1024, steps: 300, styleWeight: 1e6 });
    const u = upscaleOptions(o, planGrid(o), 3);
    expect([u.styleWeight, u.init, u.scales, u.scaleSteps, u.grid]).toEqual([1.6e7, 'image', [512, 1024], [150, 300], false]);
    expect(totalIterations(u)).toBe(450);
    const single = upscaleOptions(resolveOptions({ steps: 300 }), planGrid(resolveOptions({})), 1);
    expect([single.scales, single.steps, totalIterations(single)]).toEqual([undefined, 300, 300]);
  });
});

describe('runGrid', () => {
  it('renders four candidates into one labelled 2×2 PNG', async () => {
    const o = opts();
    const spec = planGrid(o);
    const progress: GridProgress[] = [];
    const done: number[] = [];
    const r = await runGrid({
      content: tubingen,
      styles: [starry],
      options: o,
      spec,
      engine,
      renderer: 'bitmap',
      onProgress: (p) => progress.push(p),
      onCandidateDone: (c) => done.push(c.index),
    });
    expect(done).toEqual([0, 1, 2, 3]);
    expect(r.candidates.map((c) => [c.width, c.height, c.iterations])).toEqual(Array(4).fill([32, 24, 2]));
    // Progress counts the four candidates end to end.
    expect(progress.every((p) => p.steps === 8 && p.candidates === 4)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ iteration: 8, candidate: 3 });

    const S = SHEET_STYLE;
    const { layout } = r;
    expect([layout.columns, layout.rows, layout.scale]).toEqual([2, 2, 3]);
    const sheet = await raw(r.png);
    expect([sheet.width, sheet.height]).toEqual([2 * layout.cellWidth + 3 * S.gap, layout.titleHeight + 2 * layout.cellHeight + 3 * S.gap]);
    for (const [i, rect] of layout.rects.entries()) {
      // The cell shows the candidate, enlarged ×3 with nearest-neighbour sampling.
      const cand = await raw(r.candidates[i].png);
      expect(rect).toMatchObject({ width: 96, height: 72 });
      let mismatches = 0;
      for (let y = 0; y < rect!.height; y++) {
        for (let x = 0; x < rect!.width; x++) {
          const s = ((rect!.y + y) * sheet.width + rect!.x + x) * 3;
          const c = (Math.floor(y / 3) * cand.width + Math.floor(x / 3)) * 3;
          if (sheet.data[s] !== cand.data[c] || sheet.data[s + 2] !== cand.data[c + 2]) mismatches++;
        }
      }
      expect(mismatches, `cell ${i}`).toBe(0);
      // And a label under it: dark ink in the label band.
      const col = i % 2;
      const left = S.gap + col * (layout.cellWidth + S.gap);
      let ink = 0;
      for (let y = rect!.y + rect!.height + 2; y < rect!.y + rect!.height + layout.labelHeight; y++) {
        for (let x = left; x < left + layout.cellWidth; x++) if (sheet.data[(y * sheet.width + x) * 3] < 100) ink++;
      }
      expect(ink, `label of cell ${i}`).toBeGreaterThan(20);
    }
    // The candidates differ: the strength changed what was optimised.
    expect(r.candidates[0].losses.total).not.toBe(r.candidates[3].losses.total);
  });

  it('resumes at the first unfinished candidate, reusing the finished ones', async () => {
    const o = opts();
    const spec = planGrid(o);
    const first: GridCandidate[] = [];
    const controller = new AbortController();
    await expect(
      runGrid({
        content: tubingen,
        styles: [starry],
        options: o,
        spec,
        engine,
        signal: controller.signal,
        onCandidateDone: (c) => {
          first.push(c);
          if (first.length === 2) controller.abort();
        },
      }),
    ).rejects.toBeInstanceOf(CancelledError);
    expect(first.map((c) => c.index)).toEqual([0, 1]);
    expect(firstUnfinished(first)).toBe(2);

    const candidatesRun: number[] = [];
    const resumed = await runGrid({
      content: tubingen,
      styles: [starry],
      options: o,
      spec,
      engine,
      finished: first,
      onProgress: (p) => {
        if (!candidatesRun.includes(p.candidate)) candidatesRun.push(p.candidate);
      },
    });
    expect(candidatesRun).toEqual([2, 3]);
    expect(resumed.candidates[0].png).toBe(first[0].png);
    expect(resumed.candidates[1].png).toBe(first[1].png);
    expect(resumed.candidates.map((c) => c.index)).toEqual([0, 1, 2, 3]);
    expect(firstUnfinished(resumed.candidates)).toBe(4);
  });
});

describe('runUpscale', () => {
  it('starts from the candidate upsampled with lanczos3 and ends at the requested size', async () => {
    const o = opts({ size: 80, steps: 1 });
    const spec = planGrid(o);
    const grid = await runGrid({ content: tubingen, styles: [starry], options: o, spec, engine });
    const candidate = grid.candidates[1];
    let first: RGBImage | undefined;
    const r = await runUpscale({
      content: tubingen,
      styles: [starry],
      options: o,
      spec,
      index: 1,
      candidatePng: candidate.png,
      engine,
      onFrame: (f) => {
        if (f.iteration === 0) first = f.image;
      },
    });
    expect([r.width, r.height]).toEqual([80, 60]);
    const expected = await sharp(candidate.png).resize(80, 60, { fit: 'fill', kernel: 'lanczos3' }).removeAlpha().raw().toBuffer();
    expect(first && [first.width, first.height]).toEqual([80, 60]);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(first!.data[i] * 255 - expected[i]));
    expect(worst).toBeLessThanOrEqual(1);
    // The upscale optimises at the candidate's strength.
    expect(upscaleOptions(o, spec, 1).styleWeight).toBe(spec.cells[1].styleWeight);
  });
});
