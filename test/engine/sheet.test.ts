import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/engine/tfjs/tfjs-backend.ts';
import { ImageError } from '../../src/engine/image.ts';
import {
  composeSheet,
  MAX_SHEET_RUNS,
  planSheet,
  renderSheet,
  runSheetJob,
  SHEET_STYLE,
  SheetError,
  svgTextRenders,
  type RunCell,
  type SheetPlan,
} from '../../src/engine/sheet/index.ts';
import { CancelledError, type Progress } from '../../src/engine/types.ts';
import { createVgg, type Vgg } from '../../src/engine/tfjs/vgg.ts';
import { tfjsEngine } from '../../src/engine/tfjs/tfjs-engine.ts';
import { resolveOptions, type OptionsInput } from '../../src/options.ts';
import { randomVggWeights } from '../../scripts/lib/random-weights.ts';

const images = path.resolve(import.meta.dirname, '../../../shared/images');
const tubingen = path.join(images, 'tubingen.jpg'); // 1024×768
const starry = path.join(images, 'starry_night.jpg'); // 1024×640
const scream = path.join(images, 'the_scream.jpg'); // 1200×1528

function seedOptions(extra: OptionsInput = {}) {
  return resolveOptions({ preset: 'seed', size: 16, steps: 1, ...extra });
}

function runs(plan: SheetPlan): RunCell[] {
  return plan.cells.filter((c): c is RunCell => c.type === 'run');
}

describe('planSheet', () => {
  it('reconstruct: per content, the input then one run per layer, from noise, content loss at that layer', () => {
    const plan = planSheet('reconstruct', { contents: ['a.jpg', ''], styles: [], options: seedOptions({ init: 'content' }) });
    expect([plan.columns, plan.rows, plan.cells.length]).toEqual([6, 2, 12]);
    expect(plan.cells[0]).toEqual({ type: 'input', role: 'content', input: 0, title: 'a.jpg' });
    expect(plan.cells[6]).toEqual({ type: 'input', role: 'content', input: 1, title: 'content 2' });
    const r = runs(plan);
    expect(r.map((c) => c.options.contentLayers)).toEqual(
      [0, 1].flatMap(() => [['conv1_1'], ['conv1_2'], ['conv2_1'], ['conv2_2'], ['conv3_1']]),
    );
    expect(r.map((c) => c.title).slice(0, 5)).toEqual(['conv_1 = conv1_1', 'conv_2 = conv1_2', 'conv_3 = conv2_1', 'conv_4 = conv2_2', 'conv_5 = conv3_1']);
    for (const c of r) {
      expect([c.options.mode, c.options.init, c.metric, c.style]).toEqual(['reconstruct', 'noise', 'content', undefined]);
    }
    expect(r.map((c) => c.content)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  });

  it('texture: the layers, then the combination; canonical names kept as given', () => {
    const plan = planSheet('texture', { contents: [], styles: ['s'], options: seedOptions(), layers: ['relu1_1', 'conv_4'], combo: ['conv_1', 'conv3_1'] });
    expect([plan.columns, plan.rows]).toEqual([4, 1]);
    const r = runs(plan);
    expect(r.map((c) => [c.title, c.options.styleLayers, c.options.mode, c.metric])).toEqual([
      ['relu1_1', ['relu1_1'], 'texture', 'style'],
      ['conv_4 = conv2_2', ['conv2_2'], 'texture', 'style'],
      ['conv_1+conv3_1', ['conv1_1', 'conv3_1'], 'texture', 'style'],
    ]);
    // The writeup's defaults.
    const defaults = runs(planSheet('texture', { contents: [], styles: ['s'], options: seedOptions() }));
    expect(defaults.at(-1)?.options.styleLayers).toEqual(['conv1_1', 'conv1_2']);
    expect(defaults).toHaveLength(6);
  });

  it('init: per pair, both inputs then the transfer from noise and from the content image', () => {
    const plan = planSheet('init', { contents: ['c'], styles: ['s1', 's2'], options: seedOptions({ styleBlend: '1,2' }) });
    expect([plan.columns, plan.rows]).toEqual([4, 2]);
    expect(plan.cells.map((c) => (c.type === 'run' ? `${c.options.init}:${c.content}/${c.style}` : c.type === 'input' ? `${c.role}${c.input}` : '-'))).toEqual([
      'content0', 'style0', 'noise:0/0', 'content:0/0',
      'content0', 'style1', 'noise:0/1', 'content:0/1',
    ]);
    // One style per run: a blend of the sheet's options would not match.
    for (const c of runs(plan)) expect([c.options.mode, c.options.styleBlend, c.metric]).toEqual(['transfer', undefined, 'total']);
  });

  it('grid: a blank corner, the styles along the top, each content row with its transfers', () => {
    const plan = planSheet('grid', { contents: ['c1', 'c2'], styles: ['s1', 's2', 's3'], options: seedOptions() });
    expect([plan.columns, plan.rows, plan.cells.length]).toEqual([4, 3, 12]);
    expect(plan.cells.slice(0, 4).map((c) => (c.type === 'input' ? c.title : c.type))).toEqual(['blank', 's1', 's2', 's3']);
    expect(plan.cells.map((c) => c.type === 'run' && `${c.content}/${c.style}`).filter(Boolean)).toEqual(['0/0', '0/1', '0/2', '1/0', '1/1', '1/2']);
    expect(plan.cells[4]).toMatchObject({ type: 'input', role: 'content', input: 0 });
    expect(plan.cells[8]).toMatchObject({ type: 'input', role: 'content', input: 1 });
  });

  it('refuses what a kind cannot do, with one-line messages', () => {
    const o = seedOptions();
    const cases: [() => unknown, RegExp][] = [
      [() => planSheet('reconstruct', { contents: [], styles: ['s'], options: o }), /^a reconstruct sheet needs a content image$/],
      [() => planSheet('grid', { contents: [], styles: [], options: o }), /^a grid sheet needs a content image and a style image$/],
      [() => planSheet('texture', { contents: [], styles: ['s'], options: o, layers: ['conv_1', 'conv9_9'] }), /^layers: unknown layer "conv9_9"/],
      [() => planSheet('texture', { contents: [], styles: ['s'], options: o, combo: [] }), /^combo: needs at least one layer$/],
      [() => planSheet('grid', { contents: ['c'], styles: ['s'], options: o, layers: ['conv_1'] }), /only swept by reconstruct and texture/],
      [() => planSheet('reconstruct', { contents: ['c'], styles: [], options: o, combo: ['conv_1'] }), /only used by texture sheets/],
      [() => planSheet('grid', { contents: Array(9).fill('c'), styles: Array(8).fill('s'), options: o }), new RegExp(`would need 72 runs; the limit is ${MAX_SHEET_RUNS}$`)],
    ];
    for (const [f, message] of cases) {
      expect(f).toThrow(SheetError);
      expect(f).toThrow(message);
    }
  });
});

/** A w×h PNG whose pixels all differ: a gradient with a per-cell salt. */
async function gradientPng(w: number, h: number, salt: number): Promise<Buffer> {
  const px = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) px.set([(i * 7 + salt) % 256, (i * 13) % 256, (salt * 31 + i) % 256], i * 3);
  return sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
}

async function rawOf(png: Buffer) {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Pixels in the region darker than mid-grey. */
function inkIn(img: { data: Buffer; width: number }, x0: number, y0: number, x1: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (img.data[(y * img.width + x) * 3] < 128) n++;
  return n;
}

describe('composeSheet', () => {
  it('lays cells out row-major at the documented size, images enlarged pixel-exactly, labels inked', async () => {
    const sources = [await gradientPng(20, 12, 1), await gradientPng(12, 20, 2), await gradientPng(20, 20, 3)];
    const cells = [
      { png: sources[0], lines: ['first', 'loss 1.5'] },
      { png: sources[1], lines: ['second'] },
      { lines: [] },
      { png: sources[2], lines: ['third', 'x', '0.50 s'] },
    ];
    for (const renderer of ['bitmap', undefined] as const) {
      const { png, layout } = await composeSheet(cells, { columns: 3, title: 'a title', renderer });
      const S = SHEET_STYLE;
      const scale = Math.floor(S.minImageSide / 20);
      expect(layout.scale).toBe(4);
      expect([layout.columns, layout.rows]).toEqual([3, 2]);
      expect(layout.cellWidth).toBe(Math.max(20 * scale, S.minCellWidth));
      expect(layout.labelHeight).toBe(3 * S.lineHeight + 4);
      expect(layout.cellHeight).toBe(20 * scale + layout.labelHeight);
      expect(layout.titleHeight).toBe(S.titleLineHeight + S.gap);
      const width = 3 * layout.cellWidth + 4 * S.gap;
      const height = layout.titleHeight + 2 * layout.cellHeight + 3 * S.gap;
      const meta = await sharp(png).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', width, height]);
      expect(layout.rects[2]).toBeUndefined();

      const sheet = await rawOf(png);
      for (const [i, k] of [[0, 0], [1, 1], [3, 2]] as const) {
        const rect = layout.rects[i]!;
        const col = i % 3;
        const row = Math.floor(i / 3);
        const cellLeft = S.gap + col * (layout.cellWidth + S.gap);
        const cellTop = layout.titleHeight + S.gap + row * (layout.cellHeight + S.gap);
        const src = await rawOf(sources[k]);
        expect([rect.width, rect.height]).toEqual([src.width * scale, src.height * scale]);
        // Centred in the cell's image box.
        expect(rect.x - cellLeft).toBe(Math.floor((layout.cellWidth - rect.width) / 2));
        expect(rect.y - cellTop).toBe(Math.floor((20 * scale - rect.height) / 2));
        let mismatches = 0;
        for (let y = 0; y < rect.height; y++) {
          for (let x = 0; x < rect.width; x++) {
            const s = (Math.floor(y / scale) * src.width + Math.floor(x / scale)) * 3;
            const d = ((rect.y + y) * sheet.width + rect.x + x) * 3;
            if (sheet.data[d] !== src.data[s] || sheet.data[d + 1] !== src.data[s + 1] || sheet.data[d + 2] !== src.data[s + 2]) mismatches++;
          }
        }
        expect(mismatches, `cell ${i} (${renderer ?? 'auto'})`).toBe(0);
        // Some ink in the label band under the image.
        const labelTop = cellTop + 20 * scale;
        expect(inkIn(sheet, cellLeft, labelTop, cellLeft + layout.cellWidth, labelTop + layout.labelHeight), `label ${i}`).toBeGreaterThan(10);
      }
      // The empty cell stays white; the title band has ink.
      const blankLeft = S.gap + 2 * (layout.cellWidth + S.gap);
      expect(inkIn(sheet, blankLeft, layout.titleHeight + S.gap, blankLeft + layout.cellWidth, layout.titleHeight + S.gap + layout.cellHeight)).toBe(0);
      expect(inkIn(sheet, 0, 0, width, layout.titleHeight)).toBeGreaterThan(10);
    }
  });

  it('draws text through librsvg on this machine (fonts installed), else the bitmap font takes over', async () => {
    // Both renderers are checked for ink above; this pins which one this machine uses.
    expect(await svgTextRenders()).toBe(true);
  });

  it('refuses an empty sheet', async () => {
    await expect(composeSheet([], { columns: 2 })).rejects.toThrow('a sheet needs at least one cell');
  });
});

describe('renderSheet and runSheetJob (tiny random VGG)', () => {
  let vgg: Vgg;
  beforeAll(async () => {
    await selectBackend('wasm');
    vgg = createVgg(randomVggWeights(3));
  });
  afterAll(() => vgg?.dispose());

  it('runs every cell in order and reports finite losses in the order of the PNG', async () => {
    const started: number[] = [];
    const done: number[] = [];
    const progress: { run: number; iteration: number }[] = [];
    const r = await renderSheet({
      kind: 'reconstruct',
      contents: [{ data: tubingen, name: 'tubingen.jpg' }, readFileSync(scream)],
      styles: [],
      options: seedOptions({ steps: 2 }),
      layers: ['conv_1', 'relu2_1'],
      engine: tfjsEngine(vgg),
      onCell: (i, total) => started.push(i * 10 + total),
      onCellDone: (i) => done.push(i),
      onProgress: (p, at) => progress.push({ run: at.run, iteration: p.iteration }),
    });
    expect(started).toEqual([4, 14, 24, 34]);
    expect(done).toEqual([0, 1, 2, 3]);
    expect(progress.filter((p) => p.iteration === 0).map((p) => p.run)).toEqual([0, 1, 2, 3]);

    const cells = r.json.cells;
    expect(cells.map((c) => [c.index, c.row, c.column, c.type, c.title])).toEqual([
      [0, 0, 0, 'input', 'tubingen.jpg'],
      [1, 0, 1, 'run', 'conv_1 = conv1_1'],
      [2, 0, 2, 'run', 'relu2_1'],
      [3, 1, 0, 'input', 'content 2'],
      [4, 1, 1, 'run', 'conv_1 = conv1_1'],
      [5, 1, 2, 'run', 'relu2_1'],
    ]);
    for (const c of cells.filter((c) => c.type === 'run')) {
      expect(c.loss).toBe(c.losses!.content);
      expect(Number.isFinite(c.loss) && c.loss! > 0, JSON.stringify(c)).toBe(true);
      expect(c.losses!.style).toBe(0);
      expect(c.runtimeMs).toBeGreaterThan(0);
      expect([c.mode, c.init]).toEqual(['reconstruct', 'noise']);
    }
    // 16 px long side: tubingen 16×12, the scream (portrait) 13×16; the box is 16×16, enlarged 6×.
    expect(r.json.layout.scale).toBe(6);
    expect(cells.map((c) => [c.rect?.width, c.rect?.height])).toEqual([
      [96, 72], [96, 72], [96, 72], [78, 96], [78, 96], [78, 96],
    ]);
    expect([cells[1].width, cells[1].height, cells[4].width, cells[4].height]).toEqual([16, 12, 13, 16]);
    const meta = await sharp(r.png).metadata();
    expect([meta.width, meta.height]).toEqual([r.json.layout.width, r.json.layout.height]);
    // Survives JSON (what the CLI writes).
    expect(JSON.parse(JSON.stringify(r.json))).toEqual(r.json);
  });

  it('runSheetJob: progress counted over the whole sheet, a summary per run', async () => {
    const progress: Progress[] = [];
    const r = await runSheetJob({
      kind: 'init',
      contents: [readFileSync(tubingen)],
      styles: [readFileSync(starry)],
      options: seedOptions({ steps: 2, optimizer: 'adam' }),
      engine: tfjsEngine(vgg),
      onProgress: (p) => progress.push(p),
    });
    // Two runs of Adam with 2 steps: iterations 0, 1, 2 each, counted on from 2.
    expect(progress.map((p) => [p.iteration, p.steps])).toEqual([[0, 4], [1, 4], [2, 4], [2, 4], [3, 4], [4, 4]]);
    expect(progress.at(-1)!.etaMs).toBe(0);
    for (let i = 1; i < progress.length; i++) expect(progress[i].elapsedMs).toBeGreaterThanOrEqual(progress[i - 1].elapsedMs);
    const lines = r.summary.split('\n');
    expect(lines[0]).toMatch(/^init sheet: 2 runs in \d+\.\d+ s \(seed preset, adam, 2 steps, 16 px\)$/);
    const totals = r.json.cells.filter((c) => c.type === 'run').map((c) => c.losses!.total);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^from noise: total \S+ \(\d+\.\d+ s\)$/),
      expect.stringMatching(/^from content: total \S+ \(\d+\.\d+ s\)$/),
    ]);
    for (const t of totals) expect(Number.isFinite(t)).toBe(true);
    // From the content image the transfer starts with no content loss at all; from noise it cannot.
    const [fromNoise, fromContent] = r.json.cells.filter((c) => c.type === 'run');
    expect(fromContent.losses!.content).toBeLessThan(fromNoise.losses!.content);
    expect(await sharp(r.png).metadata()).toMatchObject({ format: 'png', width: r.json.layout.width, height: r.json.layout.height });
  });

  it('names a broken input before running anything, and stops when cancelled', async () => {
    let ran = 0;
    await expect(
      renderSheet({
        kind: 'grid',
        contents: [tubingen, Buffer.from('not an image')],
        styles: [starry],
        options: seedOptions(),
        engine: tfjsEngine(vgg),
        onCell: () => ran++,
      }),
    ).rejects.toThrow(new ImageError('content image 2: not an image (unrecognised data)'));
    expect(ran).toBe(0);

    const abort = new AbortController();
    await expect(
      renderSheet({
        kind: 'texture',
        contents: [],
        styles: [starry],
        options: seedOptions(),
        layers: ['conv_1', 'conv_2', 'conv_3'],
        engine: tfjsEngine(vgg),
        signal: abort.signal,
        onCellDone: (i) => i === 0 && abort.abort(),
      }),
    ).rejects.toBeInstanceOf(CancelledError);
  });
});
