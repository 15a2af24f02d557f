// `stylize sheet …`: argument handling in-process, then each sheet kind once through the real
// executable with stand-in weights (four spawns in all, tiny sizes and steps).
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.ts';
import { parseSheetArgs, sheetUsageText, type SheetArgs } from '../../src/cli/sheet.ts';
import { usageText } from '../../src/cli/usage.ts';
import type { SheetReport, SheetReportCell } from '../../src/engine/sheet/index.ts';
import { SHEET_STYLE } from '../../src/engine/sheet/index.ts';
import { PRESET_VALUES } from '../../src/options.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';
import { fakeIo } from './fake-io.ts';
import { IMAGES, spawnCli, type CliResult } from './spawn-cli.ts';

const TUBINGEN = join(IMAGES, 'tubingen.jpg'); // 1024×768
const SCREAM = join(IMAGES, 'the_scream.jpg'); // 1200×1528
const STARRY = join(IMAGES, 'starry_night.jpg'); // 1024×640
const SHIPWRECK = join(IMAGES, 'shipwreck.jpg');

function sheetArgs(argv: string[]): SheetArgs {
  const r = parseSheetArgs(argv);
  if (r.command !== 'sheet') throw new Error(`not a sheet: ${JSON.stringify(r)}`);
  return r;
}

describe('stylize sheet arguments', () => {
  it("defaults to the writeup's setup: the seed preset, conv_1…conv_5, the combination conv_1+conv_2", () => {
    const a = sheetArgs(['texture', '--style', STARRY]);
    const seed = PRESET_VALUES.seed;
    expect(a.options).toMatchObject({ preset: 'seed', optimizer: 'lbfgs', contentWeight: seed.contentWeight, styleWeight: seed.styleWeight, init: 'noise' });
    expect([seed.optimizer, seed.contentWeight, seed.styleWeight, seed.init]).toEqual(['lbfgs', 1, 1e6, 'noise']);
    expect([a.kind, a.layers, a.combo, a.output, a.json, a.contents, a.styles]).toEqual(['texture', undefined, undefined, 'texture-sheet.png', 'texture-sheet.json', [], [STARRY]]);
  });

  it('takes several --content/--style, the option flags, and puts the JSON next to the image', () => {
    const a = sheetArgs([
      'grid', '--content', TUBINGEN, `--content=${SCREAM}`, '--style', `${STARRY},${SHIPWRECK}`, '-o', '/tmp/x/g.webp',
      '--steps', '7', '--size=40', '--seed', '5', '--preset', 'gatys', '--weights', 'w.safetensors', '--backend', 'cpu', '--tv-weight', '0.5',
    ]);
    expect([a.contents, a.styles, a.output, a.json]).toEqual([[TUBINGEN, SCREAM], [STARRY, SHIPWRECK], '/tmp/x/g.webp', '/tmp/x/g.json']);
    expect(a.options).toMatchObject({ steps: 7, size: 40, seed: 5, preset: 'gatys', init: 'content', tvWeight: 0.5, contentLayers: ['relu4_2'] });
    expect([a.weights, a.backend]).toEqual(['w.safetensors', 'cpu']);
    expect(sheetArgs(['reconstruct', '--content', TUBINGEN, '--layers', 'conv_2, relu3_1', '--layers=conv_1']).layers).toEqual(['conv_1']);
    expect(sheetArgs(['texture', '--style', STARRY, '--combo', 'conv_1,conv_3']).combo).toEqual(['conv_1', 'conv_3']);
  });

  it.each([
    [['sheet'], 'sheet: which one? (reconstruct, texture, init, grid)'],
    [['sheet', 'grids', '--content', TUBINGEN], 'sheet: unknown kind "grids" (use reconstruct, texture, init, grid)'],
    [['sheet', 'grid', '--content', TUBINGEN], '`stylize sheet grid` needs --style FILE'],
    [['sheet', 'reconstruct'], '`stylize sheet reconstruct` needs --content FILE'],
    [['sheet', 'texture', '--style', STARRY, '--content', TUBINGEN], 'a texture sheet uses no --content (it synthesises from the style images)'],
    [['sheet', 'reconstruct', '--content', TUBINGEN, '--init', 'content'], '--init is not used by `stylize sheet reconstruct`: a reconstruct sheet starts from noise'],
    [['sheet', 'texture', '--style', STARRY, '--style-layers=conv_1'], '--style-layers is not used by `stylize sheet texture`: a texture sheet sweeps --layers and --combo'],
    [['sheet', 'grid', '--content', TUBINGEN, '--style', STARRY, '--mode', 'texture'], '--mode is not used by `stylize sheet grid`: each sheet sets the mode of its runs'],
    [['sheet', 'init', '--content', TUBINGEN, '--style', STARRY, '--style-name', 'scream'], '--style-name is not used by `stylize sheet init`: sheets take their style images as --style FILE (the built-ins are files in src/styles/builtin/)'],
    [['sheet', 'grid', '--content', TUBINGEN, '--style', STARRY, '--layers', 'conv_1'], '--layers is only for reconstruct and texture sheets'],
    [['sheet', 'texture', '--style', STARRY, '--layers', 'conv_1,conv_99'], '--layers: unknown layer "conv_99": conv_N goes from conv_1 to conv_16'],
    [['sheet', 'texture', '--style', STARRY, '--combo', ','], '--combo needs at least one layer'],
    [['sheet', 'texture', '--style', STARRY, '--combo'], '--combo needs a value'],
    [['sheet', 'texture', '--style', STARRY, '--stepz', '3'], 'unknown option --stepz (did you mean --steps?)'],
    [['sheet', 'texture', '--style', STARRY, '--size', '8'], '--size: got "8", expected a whole number from 16 to 4096'],
    [['sheet', 'texture', '--style', STARRY, '-o', 'sheet.gif'], '--output: cannot write ".gif" images; name the file .png, .jpg or .webp'],
    [['sheet', 'texture', '--style', join(IMAGES, 'missing.jpg')], `--style: cannot read "${join(IMAGES, 'missing.jpg')}" (no such file)`],
  ])('%j → exit 2: %s', async (argv, message) => {
    const io = fakeIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err()).toBe(`stylize: ${message}\nTry 'stylize sheet --help'.\n`);
  });

  it('has its own --help, and is listed in the main one', async () => {
    const io = fakeIo();
    expect(await runCli(['sheet', 'grid', '--help'], io)).toBe(0);
    expect(io.out()).toBe(sheetUsageText());
    expect(sheetUsageText()).toMatch(/--layers L,… +layers swept \(default: conv_1,conv_2,conv_3,conv_4,conv_5\)/);
    expect(usageText()).toMatch(/^ {2}sheet {2,}experiment contact sheets/m);
  });
});

describe('stylize sheet (spawned, random weights)', () => {
  let dir: string;
  let weights: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stylize-sheet-'));
    weights = await writeRandomWeightsFile(join(dir, 'vgg19-random.safetensors'), 7);
  });

  interface Sheet {
    report: SheetReport;
    pixels: { data: Buffer; width: number; height: number; channels: number };
  }

  async function runSheet(name: string, args: string[]): Promise<Sheet & { r: CliResult }> {
    const out = join(dir, `${name}.png`);
    const r = await spawnCli(['sheet', ...args, '--weights', weights, '--backend', 'wasm', '-o', out]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toContain(`→ ${out} (numbers in ${join(dir, `${name}.json`)})`);
    const report = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as SheetReport;
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    return { r, report, pixels: { data, width: info.width, height: info.height, channels: info.channels } };
  }

  /** Geometry from the documented layout rule, each image region non-uniform, losses finite. */
  function checkSheet(s: Sheet, columns: number, rows: number, runTitles: string[], metric: string): void {
    const { layout, cells } = s.report;
    expect([layout.columns, layout.rows, cells.length]).toEqual([columns, rows, columns * rows]);
    expect([s.pixels.width, s.pixels.height]).toEqual([
      columns * layout.cellWidth + (columns + 1) * SHEET_STYLE.gap,
      layout.titleHeight + rows * layout.cellHeight + (rows + 1) * SHEET_STYLE.gap,
    ]);
    const side = s.report.options.size;
    expect(layout.scale).toBe(Math.max(1, Math.floor(SHEET_STYLE.minImageSide / side)));
    // Every image has the long side `size`; the image box is as high as the tallest.
    const boxHeight = Math.max(...cells.map((c) => c.rect?.height ?? 0));
    expect(layout.cellHeight).toBe(boxHeight + layout.labelHeight);

    cells.forEach((c: SheetReportCell, i) => {
      expect([c.index, c.row, c.column]).toEqual([i, Math.floor(i / columns), i % columns]);
      if (c.type === 'blank') return;
      const rect = c.rect!;
      // Inside its own cell.
      const left = SHEET_STYLE.gap + c.column * (layout.cellWidth + SHEET_STYLE.gap);
      const top = layout.titleHeight + SHEET_STYLE.gap + c.row * (layout.cellHeight + SHEET_STYLE.gap);
      expect(rect.x).toBeGreaterThanOrEqual(left);
      expect(rect.x + rect.width).toBeLessThanOrEqual(left + layout.cellWidth);
      expect(rect.y).toBeGreaterThanOrEqual(top);
      expect(rect.y + rect.height).toBeLessThanOrEqual(top + boxHeight);
      expect(Math.max(rect.width, rect.height)).toBe(side * layout.scale);
      if (c.type === 'run') expect([rect.width, rect.height]).toEqual([c.width! * layout.scale, c.height! * layout.scale]);
      expect(distinctColours(s.pixels, rect), `cell ${i} (${c.title})`).toBeGreaterThan(8);
    });

    const runCells = cells.filter((c) => c.type === 'run');
    expect(runCells.map((c) => c.title)).toEqual(runTitles);
    for (const c of runCells) {
      expect(c.metric).toBe(metric);
      expect(Number.isFinite(c.loss), JSON.stringify(c)).toBe(true);
      for (const v of Object.values(c.losses!)) expect(Number.isFinite(v)).toBe(true);
      expect(c.runtimeMs).toBeGreaterThan(0);
    }
  }

  function distinctColours(p: Sheet['pixels'], rect: { x: number; y: number; width: number; height: number }): number {
    const seen = new Set<number>();
    for (let y = rect.y; y < rect.y + rect.height; y++) {
      for (let x = rect.x; x < rect.x + rect.width; x++) {
        const i = (y * p.width + x) * p.channels;
        seen.add((p.data[i] << 16) | (p.data[i + 1] << 8) | p.data[i + 2]);
      }
    }
    return seen.size;
  }

  it('reconstruct: the content, then one reconstruction per layer with its content loss', async () => {
    const s = await runSheet('reconstruct', ['reconstruct', '--content', TUBINGEN, '--layers', 'conv_1,conv_3', '--size', '16', '--steps', '2']);
    checkSheet(s, 3, 1, ['conv_1 = conv1_1', 'conv_3 = conv2_1'], 'content');
    const runs = s.report.cells.filter((c) => c.type === 'run');
    expect(runs.map((c) => [c.mode, c.init, c.contentLayers])).toEqual([['reconstruct', 'noise', ['conv1_1']], ['reconstruct', 'noise', ['conv2_1']]]);
    for (const c of runs) expect(c.loss).toBe(c.losses!.content);
    // Plain progress lines when not on a terminal: the run header and its result.
    expect(s.r.stdout).toMatch(/^\[1\/2\] conv_1 = conv1_1: reconstruct, content conv1_1, from noise$/m);
    expect(s.r.stdout).toMatch(/^\[2\/2\] conv_3 = conv2_1: content \S+ in \d+\.\d s$/m);
  });

  it('texture: the style, conv_1…conv_5 and the conv_1+conv_2 combination by default', async () => {
    const s = await runSheet('texture', ['texture', '--style', STARRY, '--size', '16', '--steps', '1', '--print-every', '0']);
    checkSheet(s, 7, 1, ['conv_1 = conv1_1', 'conv_2 = conv1_2', 'conv_3 = conv2_1', 'conv_4 = conv2_2', 'conv_5 = conv3_1', 'conv_1+conv_2'], 'style');
    const runs = s.report.cells.filter((c) => c.type === 'run');
    expect(runs.at(-1)!.styleLayers).toEqual(['conv1_1', 'conv1_2']);
    for (const c of runs) expect([c.mode, c.loss]).toEqual(['texture', c.losses!.style]);
    expect(s.r.stdout).not.toMatch(/^iter /m);
  });

  it('init: content and style, then the transfer from noise and from the content image', async () => {
    const s = await runSheet('init', ['init', '--content', SCREAM, '--style', STARRY, '--size', '24', '--steps', '2', '--seed', '4']);
    checkSheet(s, 4, 1, ['from noise', 'from content'], 'total');
    expect(s.report.cells.map((c) => c.init ?? c.role)).toEqual(['content', 'style', 'noise', 'content']);
    expect(s.report.options).toMatchObject({ preset: 'seed', seed: 4, steps: 2, size: 24 });
  });

  it('grid: every content × every style, the inputs as first row and column; nothing else written', async () => {
    const s = await runSheet('grid', ['grid', '--content', TUBINGEN, '--content', SCREAM, '--style', `${STARRY},${SHIPWRECK}`, '--size', '16', '--steps', '1']);
    checkSheet(s, 3, 3, ['c1 × s1', 'c1 × s2', 'c2 × s1', 'c2 × s2'], 'total');
    const c = s.report.cells;
    expect(c.map((x) => (x.type === 'run' ? `${x.content}${x.style}` : x.type === 'input' ? `${x.role}${x.input}` : x.type))).toEqual([
      'blank', 'style0', 'style1',
      'content0', '00', '01',
      'content1', '10', '11',
    ]);
    expect(c[1].title).toBe('starry_night.jpg');
    expect(c[3].title).toBe('tubingen.jpg');
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(['grid.png', 'grid.json']));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
