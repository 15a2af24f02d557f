// Runs every cell of a planned sheet through the ordinary pipeline, one after the other, then
// composes the contact sheet and the report of its numbers.
import type { StyleOptions } from '../../options.ts';
import { decodeImage, encodePng, ImageError } from '../image.ts';
import { runPipeline } from '../pipeline.ts';
import { CancelledError } from '../types.ts';
import type { Progress } from '../types.ts';
import type { Engine } from '../engine.ts';
import { composeSheet } from './compose.ts';
import type { TextRenderer } from './label-text.ts';
import { countRuns, planSheet } from './plan.ts';
import type { RunCell, SheetCell, SheetKind, SheetPlan } from './plan.ts';
import { cellLines, sheetTitle, type CellRun, type SheetReport, buildReport } from './report.ts';

export interface SheetImage {
  data: Buffer | string;
  /** Shown under the image (e.g. the file name); default "content 1", "style 2", … */
  name?: string;
}

export interface CellProgress {
  /** 0-based among the sheet's runs. */
  run: number;
  runs: number;
  /** Index of the cell in the sheet (row-major). */
  cell: number;
}

export interface RenderSheetInput {
  kind: SheetKind;
  contents: readonly (Buffer | string | SheetImage)[];
  styles: readonly (Buffer | string | SheetImage)[];
  /** The sheet's base options (e.g. resolveOptions({ preset: 'seed', … })). */
  options: StyleOptions;
  layers?: readonly string[];
  combo?: readonly string[];
  engine: Engine;
  signal?: AbortSignal;
  maxInputPixels?: number;
  /** Before each run starts: its position among the runs. */
  onCell?(index: number, total: number, cell: RunCell): void;
  /** After each run, with its numbers and its image. */
  onCellDone?(index: number, total: number, run: CellRun, cell: RunCell, png: Buffer): void;
  /** Runs (by index among the runs) finished earlier, e.g. before a restart: used as they are, not run again. */
  finishedRuns?: ReadonlyMap<number, { png: Buffer; run: CellRun }>;
  /** Every iteration of the current run, as the pipeline reports it. */
  onProgress?(p: Progress, at: CellProgress): void;
  renderer?: TextRenderer;
}

export interface RenderedSheet {
  png: Buffer;
  json: SheetReport;
  plan: SheetPlan;
}

function asImage(x: Buffer | string | SheetImage): SheetImage {
  return typeof x === 'string' || Buffer.isBuffer(x) ? { data: x } : x;
}

function roleName(role: 'content' | 'style', index: number, count: number): string {
  return count === 1 ? `${role} image` : `${role} image ${index + 1}`;
}

export async function renderSheet(input: RenderSheetInput): Promise<RenderedSheet> {
  const start = performance.now();
  const { signal } = input;
  const contents = input.contents.map(asImage);
  const styles = input.styles.map(asImage);
  const plan = planSheet(input.kind, {
    contents: contents.map((c) => c.name ?? ''),
    styles: styles.map((s) => s.name ?? ''),
    options: input.options,
    layers: input.layers,
    combo: input.combo,
  });
  const throwIfAborted = () => {
    if (signal?.aborted) throw new CancelledError();
  };

  // Every input is decoded (and so checked) before the first, long, run: a broken third image
  // should fail the sheet in a second, not after the first two runs.
  const used = { content: new Set<number>(), style: new Set<number>() };
  for (const c of plan.cells) {
    if (c.type === 'input') used[c.role].add(c.input);
    if (c.type === 'run' && c.content !== undefined) used.content.add(c.content);
    if (c.type === 'run' && c.style !== undefined) used.style.add(c.style);
  }
  const thumbs = { content: new Map<number, Buffer>(), style: new Map<number, Buffer>() };
  for (const role of ['content', 'style'] as const) {
    const list = role === 'content' ? contents : styles;
    for (const i of used[role]) {
      throwIfAborted();
      try {
        const img = await decodeImage(list[i].data, { longSide: input.options.size, maxInputPixels: input.maxInputPixels });
        thumbs[role].set(i, await encodePng(img));
      } catch (e) {
        if (e instanceof ImageError) throw new ImageError(`${roleName(role, i, list.length)}: ${e.message}`);
        throw e;
      }
    }
  }

  const runs = countRuns(plan);
  const results = new Map<number, { png: Buffer; run: CellRun }>();
  let runIndex = 0;
  for (const [cellIndex, cell] of plan.cells.entries()) {
    if (cell.type !== 'run') continue;
    throwIfAborted();
    const earlier = input.finishedRuns?.get(runIndex);
    if (earlier) {
      results.set(cellIndex, earlier);
      runIndex++;
      continue;
    }
    const at: CellProgress = { run: runIndex, runs, cell: cellIndex };
    input.onCell?.(runIndex, runs, cell);
    const r = await runPipeline({
      content: cell.content === undefined ? undefined : contents[cell.content].data,
      styles: cell.style === undefined ? [] : [styles[cell.style].data],
      options: cell.options,
      engine: input.engine,
      signal,
      maxInputPixels: input.maxInputPixels,
      onProgress: input.onProgress ? (p) => input.onProgress?.(p, at) : undefined,
    });
    const run: CellRun = { losses: r.losses, iterations: r.iterations, runtimeMs: r.runtimeMs, width: r.width, height: r.height };
    results.set(cellIndex, { png: r.png, run });
    input.onCellDone?.(runIndex, runs, run, cell, r.png);
    runIndex++;
  }
  throwIfAborted();

  const composeCells = plan.cells.map((cell: SheetCell, i) => {
    switch (cell.type) {
      case 'blank':
        return { lines: [] };
      case 'input':
        // "content 2" needs no second line saying "content"; a file name does.
        return { png: thumbs[cell.role].get(cell.input), lines: cell.title.startsWith(cell.role) ? [cell.title] : [cell.title, cell.role] };
      case 'run': {
        const done = results.get(i);
        return { png: done?.png, lines: done ? cellLines(cell, done.run) : [cell.title] };
      }
    }
  });
  const { png, layout } = await composeSheet(composeCells, { columns: plan.columns, title: sheetTitle(plan, input.options), renderer: input.renderer });
  const json = buildReport(plan, input.options, layout, results, performance.now() - start);
  return { png, json, plan };
}
