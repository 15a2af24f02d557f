// What an engine runs for a job (an EngineJob), built in one place for both queues: the job's
// step plan, its images, and where it starts (from the beginning, a checkpoint, a sheet's finished runs).
import { resumeFromCheckpoint, type EngineJob, type SheetRunDone } from './engine-process/protocol.ts';
import { jobPlan, previewEvery } from './job-rules.ts';
import { gridSteps } from './grid-jobs.ts';
import { planSheetRuns, sheetContents } from './sheet-rules.ts';
import type { JobInputs, JobRecord } from './types.ts';

/** The iterations a job runs: per scale for a stylize job (one entry unless coarse-to-fine), over all runs for a sheet. */
export interface StepPlan {
  scaleSteps: number[];
  sheetSteps?: number;
}

type PlannedJob = Pick<JobRecord, 'id' | 'kind' | 'options' | 'sheet' | 'grid'>;

/** Throws (with a message for the user) when the job cannot run as it is. A sheet needs its images to count its runs. */
export function stepPlan(job: PlannedJob, inputs: JobInputs | undefined): StepPlan {
  if (job.sheet) {
    const contents = inputs ? sheetContents(inputs) : [];
    return { scaleSteps: [], sheetSteps: planSheetRuns(job.sheet, contents.length, inputs?.styles.length ?? 0, job.options) * job.options.steps };
  }
  if (job.kind === 'grid' && job.grid) return { scaleSteps: [], sheetSteps: gridSteps(job.grid.spec) };
  return { scaleSteps: jobPlan(job.options).steps };
}

export function plannedSteps(plan: StepPlan): number {
  return plan.sheetSteps ?? plan.scaleSteps.reduce((x, y) => x + y, 0);
}

/** Where a job starts when it is handed to an engine. */
export interface RunStart {
  /** A stylize job resuming on this machine from its checkpoint. */
  checkpoint?: { iteration: number; png: Buffer };
  /** A sheet (a grid) resuming on this machine after the runs (candidates) it had finished. */
  sheetRuns?: SheetRunDone[];
  /** The shared queue: the worker that takes the job resumes from the checkpoint in Redis by itself. */
  shared?: boolean;
}

export function buildEngineJob(job: PlannedJob, timeoutSec: number, inputs: JobInputs, plan: StepPlan, start: RunStart = {}): EngineJob {
  const common = { jobId: job.id, styles: inputs.styles, iterationOffset: 0, totalSteps: plannedSteps(plan), timeoutMs: timeoutSec * 1000 };
  if (job.sheet) {
    const sheetJob: EngineJob = { ...common, sheet: job.sheet, contents: sheetContents(inputs), options: { ...job.options, saveEvery: 0 } };
    if (start.sheetRuns) sheetJob.sheetRuns = start.sheetRuns;
    return sheetJob;
  }
  if (job.kind === 'grid' && job.grid) {
    const gridJob: EngineJob = { ...common, grid: job.grid.spec, content: inputs.content, options: { ...job.options, saveEvery: 0 } };
    if (start.sheetRuns) gridJob.sheetRuns = start.sheetRuns;
    return gridJob;
  }
  const engineJob: EngineJob = { ...common, content: inputs.content, options: { ...job.options, saveEvery: previewEvery(job.options) }, checkpoints: true };
  // An upscale starts from its candidate (the pipeline upsamples it); a checkpoint, when there is one, replaces it.
  const candidate = job.kind === 'upscale' ? inputs.candidates?.find((c) => c.run === job.grid?.pick) : undefined;
  if (candidate) engineJob.initImage = candidate.png;
  if (start.shared) engineJob.resumable = true;
  return start.checkpoint ? resumeFromCheckpoint(engineJob, start.checkpoint.iteration, start.checkpoint.png) : engineJob;
}
