// A grid job: the four candidates of a GridSpec rendered one after another through the ordinary
// pipeline at the grid's size, then composed into one labelled 2×2 PNG. Resumable: candidates
// finished before (e.g. before a restart) are passed in and not run again.
//
// One after another rather than as one [4, H, W, 3] batch: on onnx-cpu (npm run bench:grid-batch,
// 10 interleaved processes, 2026-12-05, machine shared) one evaluation of four times the pixels took
// a median 1.08× the wall time of four single ones (0.93× per CPU-second): no clear win, and L-BFGS
// on the sum of four independent problems would share one line search, so the candidates would no
// longer be what four ordinary runs give. A GPU may differ (worth a line in gpu-check).
import type { StyleOptions } from '../../options.ts';
import type { Engine } from '../engine.ts';
import { runPipeline, type PipelineResult } from '../pipeline.ts';
import { composeSheet, type SheetLayout } from '../sheet/compose.ts';
import type { TextRenderer } from '../sheet/label-text.ts';
import { CancelledError, EngineError, type Progress } from '../types.ts';
import { cellLabel, gridTitle } from './labels.ts';
import { candidateOptions, GRID_CELLS, type GridSpec } from './plan.ts';

/** One finished candidate: what a job stores to resume the grid and to Upscale from it later. */
/** One candidate's run at the grid size (its png with the colours option applied). */
export interface GridCandidate extends PipelineResult {
  index: number;
}

/** Progress over the whole grid; iteration/steps count every candidate's evaluations end to end. */
export interface GridProgress extends Progress {
  /** 0-based candidate being optimised, of `candidates`. */
  candidate: number;
  candidates: number;
}

export interface GridInput {
  content: Buffer | string;
  styles: (Buffer | string)[];
  /** The request's resolved options (mode transfer); size/steps are the full run's, the grid uses gridSize/gridSteps via `spec`. */
  options: StyleOptions;
  /** planGrid(options) for a new grid, planVary(options, cell) for V1–V4. */
  spec: GridSpec;
  engine: Engine;
  signal?: AbortSignal;
  maxInputPixels?: number;
  onProgress?: (p: GridProgress) => void;
  /** Candidates finished earlier (any order, by their index): used as they are, not run again. */
  finished?: readonly GridCandidate[];
  /** After each candidate this call runs: store it to resume after a restart. */
  onCandidateDone?: (candidate: GridCandidate) => void;
  /** Force a label renderer (tests); default: SVG text when this machine has fonts, else the bitmap font. */
  renderer?: TextRenderer;
}

export interface GridResult {
  /** The 2×2 grid, each cell labelled with its strength. */
  png: Buffer;
  /** In cell order. */
  candidates: GridCandidate[];
  /** Where each candidate is on the PNG (layout.rects, cell order). */
  layout: SheetLayout;
  /** Wall time of this call (resumed candidates cost nothing here). */
  runtimeMs: number;
}

/** The first candidate index not in `finished`: where a resumed grid starts (GRID_CELLS when all are done). */
export function firstUnfinished(finished: readonly Pick<GridCandidate, 'index'>[] = []): number {
  const done = new Set(finished.map((c) => c.index));
  let i = 0;
  while (i < GRID_CELLS && done.has(i)) i++;
  return i;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/** Composes the grid PNG from four candidates (cell order); exported so a job can re-post it from stored candidates. */
export async function composeGrid(
  spec: GridSpec,
  options: StyleOptions,
  candidates: readonly GridCandidate[],
  renderer?: TextRenderer,
): Promise<{ png: Buffer; layout: SheetLayout }> {
  const byIndex = new Map(candidates.map((c) => [c.index, c]));
  const cells = spec.cells.map((cell) => ({ png: byIndex.get(cell.index)?.png, lines: cellLabel(spec, cell) }));
  return composeSheet(cells, { columns: 2, title: gridTitle(spec, options), renderer });
}

export async function runGrid(input: GridInput): Promise<GridResult> {
  const start = performance.now();
  const { spec, signal } = input;
  if (spec.cells.length !== GRID_CELLS) throw new EngineError(`grid: expected ${GRID_CELLS} cells, got ${spec.cells.length}`);
  if (input.options.mode !== 'transfer') throw new EngineError(`grid: transfer mode only (got ${input.options.mode} mode)`);
  const done = new Map<number, GridCandidate>();
  for (const c of input.finished ?? []) {
    if (!spec.cells[c.index]) throw new EngineError(`grid: finished candidate ${c.index + 1} is not in this grid`);
    done.set(c.index, c);
  }
  throwIfAborted(signal);

  const total = GRID_CELLS * spec.steps;
  // The ETA uses this call's pace only: resumed candidates took no time here.
  let ranIterations = 0;
  for (const cell of spec.cells) {
    if (done.has(cell.index)) continue;
    throwIfAborted(signal);
    const offset = cell.index * spec.steps;
    const report = input.onProgress;
    const r = await runPipeline({
      content: input.content,
      styles: input.styles,
      options: candidateOptions(input.options, spec, cell.index),
      engine: input.engine,
      signal,
      maxInputPixels: input.maxInputPixels,
      onProgress: report
        ? (p) => {
            const iteration = offset + p.iteration;
            const doneHere = ranIterations + p.iteration;
            const remaining = (GRID_CELLS - done.size) * spec.steps - p.iteration;
            const elapsedMs = performance.now() - start;
            const pace = doneHere > 0 ? elapsedMs / doneHere : p.iterationMs;
            report({ ...p, iteration, steps: total, elapsedMs, etaMs: Math.max(0, remaining * pace), candidate: cell.index, candidates: GRID_CELLS });
          }
        : undefined,
    });
    const candidate: GridCandidate = {
      index: cell.index,
      png: r.png,
      width: r.width,
      height: r.height,
      losses: r.losses,
      iterations: r.iterations,
      runtimeMs: r.runtimeMs,
    };
    ranIterations += spec.steps;
    done.set(cell.index, candidate);
    input.onCandidateDone?.(candidate);
  }
  throwIfAborted(signal);
  const candidates = spec.cells.map((cell) => done.get(cell.index)!);
  const { png, layout } = await composeGrid(spec, input.options, candidates, input.renderer);
  return { png, candidates, layout, runtimeMs: performance.now() - start };
}
