// A job the service is tracking (queued or running) and what follows from it alone: its user key
// for the caps, the copy listeners get, and how the engine's progress reads over the whole job.
import { randomBytes } from 'node:crypto';
import type { Progress } from '../engine/types.ts';
import type { JobEvent, JobOwner, JobRecord } from './types.ts';

export interface ActiveJob {
  record: JobRecord;
  seq: number;
  turn: number;
  userKey: string;
  timeoutSec: number;
  /** Was running when the process stopped. */
  resume: boolean;
  lastPosition?: number;
  /** Iterations done before a resume: added to the engine's numbering. */
  iterationOffset: number;
  /** Planned iterations of each scale (one entry unless coarse-to-fine). */
  scaleSteps: number[];
  /** Sheets: iterations of all runs (runs × steps), set when the job starts. */
  sheetSteps?: number;
  /** What the `resumed` event says (set at recovery). */
  resumedFrom?: Extract<JobEvent, { type: 'resumed' }>;
  cancelledBy?: string;
}

export function userKey(owner: JobOwner): string {
  return `${owner.platform}:${owner.workspaceId}:${owner.userId}`;
}

/** A copy of the record that later changes to the job do not reach. */
export function snapshot(r: JobRecord): JobRecord {
  const copy: JobRecord = { ...r, owner: { ...r.owner }, options: { ...r.options }, meta: { ...r.meta } };
  if (r.sheet) copy.sheet = { ...r.sheet };
  if (r.grid) copy.grid = { ...r.grid };
  return copy;
}

export function newJobId(): string {
  return randomBytes(6).toString('base64url').replace(/[-_]/g, 'x');
}

/** The engine's progress as chat shows it: one count over the whole job. */
export function progressEvent(a: ActiveJob, p: Progress): Extract<JobEvent, { type: 'progress' }> {
  const { losses, elapsedMs, etaMs } = p;
  // A sheet's (a grid's) engine already counts over all its runs (candidates).
  if (a.sheetSteps !== undefined) {
    const event: Extract<JobEvent, { type: 'progress' }> = { type: 'progress', iteration: p.iteration, steps: a.sheetSteps, losses, elapsedMs, etaMs };
    const grid = p as Progress & { candidate?: number; candidates?: number };
    if (grid.candidate !== undefined && grid.candidates !== undefined) event.candidate = { index: grid.candidate, of: grid.candidates };
    return event;
  }
  // Coarse-to-fine runs count each scale from 0; a resumed one runs only the scales from the one it
  // was in (the first of them from the iteration it resumes at, iterationOffset over the whole job).
  const skipped = p.scales ? a.scaleSteps.length - p.scales : 0;
  const iteration =
    p.scale && p.scale > 1 ? a.scaleSteps.slice(0, skipped + p.scale - 1).reduce((x, y) => x + y, 0) + p.iteration : a.iterationOffset + p.iteration;
  return {
    type: 'progress',
    iteration,
    steps: a.scaleSteps.length > 0 ? a.scaleSteps.reduce((x, y) => x + y, 0) : a.record.options.steps,
    losses,
    elapsedMs,
    etaMs,
  };
}
