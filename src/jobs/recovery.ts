// What a restarted service picks up from its database: the unfinished jobs (queued ones wait again
// in their old order, running ones resume first, from where they were) and the completed results
// and failures that no adapter confirmed posting before the restart; and where a resumed job goes on from.
import { userKey, type ActiveJob } from './active-job.ts';
import { plannedSteps, type RunStart, type StepPlan } from './engine-job.ts';
import { finishedRuns } from './grid-jobs.ts';
import type { JobStore } from './job-store.ts';
import type { JobEvent, JobRecord } from './types.ts';

export function recoverActiveJobs(store: JobStore): ActiveJob[] {
  return store.active().map((s) => {
    const resume = s.record.state === 'running';
    const record: JobRecord = { ...s.record, state: 'queued' };
    const a: ActiveJob = { record, seq: s.seq, turn: s.turn, userKey: userKey(s.record.owner), timeoutSec: s.timeoutSec, resume, iterationOffset: 0, scaleSteps: [] };
    if (resume) a.resumedFrom = resumePoint(store, a.record);
    return a;
  });
}

/** Where a job that was running goes on from, as its `resumed` event tells the user. */
export function resumePoint(store: JobStore, record: JobRecord): Extract<JobEvent, { type: 'resumed' }> {
  if (record.sheet || record.kind === 'grid') {
    const runsDone = record.sheet ? store.sheetRuns(record.id).length : store.candidates(record.id).length;
    return runsDone > 0 ? { type: 'resumed', runsDone } : { type: 'resumed' };
  }
  const cp = store.checkpoint(record.id);
  if (!cp || cp.iteration <= 0) return { type: 'resumed' };
  return { type: 'resumed', from: { iteration: cp.iteration, source: cp.source === 'shutdown' ? 'checkpoint' : 'preview' } };
}

/**
 * Where a job that was running when the process stopped (or its engine crashed) goes on from,
 * rather than from scratch (a restart should not cost a long job all its progress): its
 * checkpoint, taken at a graceful stop, else the latest preview (L-BFGS loses its history; the
 * image keeps what was achieved), at the scale it was at for a coarse-to-fine job; a sheet (a grid),
 * after its finished runs (candidates): the one under way starts over, a half-done run is worth less than its state.
 */
export function resumeStart(store: JobStore, a: ActiveJob, plan: StepPlan): RunStart {
  if (!a.resume) return {};
  if (a.record.sheet || a.record.kind === 'grid') return { sheetRuns: finishedRuns(store, a.record) };
  const cp = store.checkpoint(a.record.id);
  return cp && cp.iteration > 0 && cp.iteration <= plannedSteps(plan) ? { checkpoint: cp } : {};
}

/**
 * Finished jobs whose ending was never confirmed posted (the bot died in between): their `completed`
 * or `failed` events again, marked afterRestart so adapters look for what was posted first.
 */
export function undeliveredEndings(store: JobStore): [JobEvent, JobRecord][] {
  const out: [JobEvent, JobRecord][] = [];
  for (const s of store.undelivered()) {
    if (s.record.state === 'failed') {
      out.push([{ type: 'failed', reason: s.record.error ?? 'unknown error', afterRestart: true }, s.record]);
      continue;
    }
    const result = store.result(s.record.id);
    if (!result) continue;
    const event: JobEvent = { type: 'completed', png: result.png, runtimeMs: result.runtimeMs, summary: result.summary, afterRestart: true };
    if (result.reportJson) event.report = JSON.parse(result.reportJson) as NonNullable<typeof event.report>;
    out.push([event, s.record]);
  }
  return out;
}
