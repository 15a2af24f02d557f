// The engine process's protocol: the IPC messages between its parent side (parent-handle.ts) and
// the child (child.ts), and the job and outcome they carry. Buffers travel as Buffers: the child is
// forked with serialization: 'advanced' (structured clone), not JSON.
import type { GridSpec } from '../../engine/grid/plan.ts';
import type { SheetReport } from '../../engine/sheet/report.ts';
import type { PipelineResult } from '../../engine/pipeline.ts';
import type { Progress } from '../../engine/types.ts';
import type { LossPoint } from '../../engine/visuals/loss-trace.ts';
import { planScales } from '../../engine/multires.ts';
import type { StyleOptions } from '../../options.ts';
import type { SheetSpec } from '../types.ts';

export interface EngineJob {
  jobId: string;
  content?: Buffer;
  styles: Buffer[];
  /** A sheet job: what to render, from these content images (content is then unused). */
  sheet?: SheetSpec;
  contents?: Buffer[];
  /** A grid job: the four candidates to render (finished ones come as sheetRuns: run = cell index). */
  grid?: GridSpec;
  /** Resuming: the checkpoint (or latest preview), started from with init=image. */
  initImage?: Buffer;
  /**
   * Keep the current image of every iteration (encoded) so a checkpoint can be asked for at any
   * time; previews are still reported every options.saveEvery. Stylize jobs only. On
   * the fastest backend the checkpoint is the latest preview instead (see child.ts).
   */
  checkpoints?: boolean;
  /** Sheets resuming: the runs finished before the restart. */
  sheetRuns?: SheetRunDone[];
  /** Already adjusted: effective saveEvery, and the remaining steps when resuming. */
  options: StyleOptions;
  /** Added to the engine's iteration numbers (the iterations done before a resume). */
  iterationOffset: number;
  /** Total steps of the job, reported in progress events. */
  totalSteps: number;
  timeoutMs: number;
  /** Shared queues: a stylize job, which another worker may resume from its checkpoint. */
  resumable?: boolean;
}

/**
 * The job started again from a checkpoint: from its image, for the remaining steps, counting on
 * from it. A coarse-to-fine job goes on at the scale the checkpoint is in (its image is resized to
 * that scale), for what is left of that scale and all of the later ones.
 */
export function resumeFromCheckpoint(job: EngineJob, iteration: number, png: Buffer): EngineJob {
  const resumed = { ...job, initImage: png, iterationOffset: iteration };
  const plan = planScales(job.options);
  if (plan.steps.length === 1) return { ...resumed, options: { ...job.options, init: 'image', steps: job.totalSteps - iteration } };
  let scale = 0;
  let done = iteration;
  while (scale < plan.steps.length - 1 && done >= plan.steps[scale]) done -= plan.steps[scale++];
  const scaleSteps = [plan.steps[scale] - done, ...plan.steps.slice(scale + 1)];
  const steps = scaleSteps.reduce((x, y) => x + y, 0);
  return { ...resumed, options: { ...job.options, init: 'image', scales: plan.sides.slice(scale), scaleSteps, steps } };
}

/** One finished run of a sheet: its index among the runs, image and numbers (a CellRun as JSON). */
export interface SheetRunDone {
  run: number;
  png: Buffer;
  runJson: string;
}

/** A finished job: the pipeline's result (sheets: the size of the whole sheet, the last run's losses, iterations over all runs). */
export interface Completed extends PipelineResult {
  /** Sheets: the engine's chat summary and the numbers of every cell. */
  summary?: string;
  report?: SheetReport;
  /** Stylize jobs: time-lapse frames (small PNGs, first to last), the losses of every iteration, and inputs | result. */
  frames?: Buffer[];
  curve?: LossPoint[];
  compare?: Buffer;
  /** Grids: every candidate (run = cell index, runJson = the GridCandidate without its png). */
  candidates?: SheetRunDone[];
}

export type ToEngineChild =
  | { type: 'init'; weightsPath: string; backend?: string; engineThreads?: number }
  | {
      type: 'run';
      jobId: string;
      content?: Buffer;
      styles: Buffer[];
      initImage?: Buffer;
      options: StyleOptions;
      sheet?: SheetSpec;
      grid?: GridSpec;
      contents?: Buffer[];
      checkpoints?: boolean;
      sheetRuns?: SheetRunDone[];
    }
  | { type: 'cancel'; jobId: string }
  /** Shutting down: report the current image and iteration (answered with 'checkpoint'). */
  | { type: 'checkpoint'; jobId: string };

export type FromEngineChild =
  | { type: 'ready'; backend: string }
  | { type: 'fatal'; message: string }
  | { type: 'progress'; jobId: string; progress: Progress }
  | { type: 'preview'; jobId: string; iteration: number; png: Buffer }
  /** No iteration/png: nothing to checkpoint yet (or the job does not keep checkpoints). */
  | { type: 'checkpoint'; jobId: string; iteration?: number; png?: Buffer }
  | ({ type: 'sheetRun'; jobId: string } & SheetRunDone)
  | ({ type: 'done'; jobId: string } & Completed)
  | { type: 'error'; jobId: string; message: string; cancelled: boolean };

export type EngineOutcome =
  | ({ kind: 'completed' } & Completed)
  | { kind: 'failed'; reason: string }
  | { kind: 'cancelled' }
  /**
   * The engine process died under the job without being asked to (OOM, a signal): tried again from
   * its checkpoint once; a second crash fails it (engine-crashes.ts).
   */
  | { kind: 'crashed'; how: string }
  /** The service is stopping: the job is left running, to resume at the next start. */
  | { kind: 'interrupted' };
