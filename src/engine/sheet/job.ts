// The sheet as one job for the chat worker: buffers in, the PNG and a chat-sized summary out, with
// progress over the whole sheet.
import type { StyleOptions } from '../../options.ts';
import type { Progress } from '../types.ts';
import type { Engine } from '../engine.ts';
import type { SheetKind } from './plan.ts';
import { sheetProgress } from './progress.ts';
import { renderSheet } from './render.ts';
import { sheetSummary, type CellRun, type SheetReport } from './report.ts';

export interface SheetJobInput {
  kind: SheetKind;
  contents: Buffer[];
  styles: Buffer[];
  /** Resolved options (admin defaults and limits applied); steps and size are per run. */
  options: StyleOptions;
  sheet?: { layers?: string[]; combo?: string[] };
  engine: Engine;
  signal?: AbortSignal;
  /** iteration/steps count over all runs: steps = runs × options.steps. */
  onProgress?: (p: Progress) => void;
  maxInputPixels?: number;
  /** Runs finished before a restart, by index among the runs: not run again. */
  finishedRuns?: ReadonlyMap<number, { png: Buffer; run: CellRun }>;
  /** After each run: its index among the runs, its image and numbers (to keep across a restart). */
  onRunDone?: (index: number, png: Buffer, run: CellRun) => void;
}

export interface SheetJobResult {
  png: Buffer;
  summary: string;
  json: SheetReport;
}

export async function runSheetJob(input: SheetJobInput): Promise<SheetJobResult> {
  const onProgress = input.onProgress;
  const toSheet = sheetProgress(input.options.steps);
  const { png, json } = await renderSheet({
    kind: input.kind,
    contents: input.contents,
    styles: input.styles,
    options: input.options,
    layers: input.sheet?.layers,
    combo: input.sheet?.combo,
    engine: input.engine,
    signal: input.signal,
    maxInputPixels: input.maxInputPixels,
    onProgress: onProgress ? (p, at) => onProgress(toSheet(p, at)) : undefined,
    finishedRuns: input.finishedRuns,
    onCellDone: input.onRunDone ? (index, _total, run, _cell, png) => input.onRunDone?.(index, png, run) : undefined,
  });
  return { png, summary: sheetSummary(json), json };
}
