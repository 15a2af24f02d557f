// A completed job's result: stored with the job (beside its time-lapse frames and losses) until an
// adapter confirms it was posted, and the `completed` event that announces it.
import { logger } from '../log.ts';
import type { Completed } from './engine-process/protocol.ts';
import type { JobStore } from './job-store.ts';
import { runSummary } from './summary.ts';
import type { JobEvent, JobRecord } from './types.ts';

export function storeResult(store: JobStore, job: JobRecord, at: number, outcome: Completed): Extract<JobEvent, { type: 'completed' }> {
  if (outcome.frames?.length || outcome.curve?.length) {
    try {
      store.saveVisuals(job.id, outcome.frames ?? [], outcome.curve ?? []);
    } catch (e) {
      // The result matters more than what is shown about it later.
      logger.warn({ job: job.id, err: (e as Error).message }, 'could not store the time-lapse frames and losses');
    }
  }
  const summary = outcome.summary ?? runSummary(job.options, outcome);
  const reportJson = outcome.report ? JSON.stringify(outcome.report) : undefined;
  // A grid's candidates come with its result (on the shared queue they were made on another machine): its buttons need them.
  for (const c of outcome.candidates ?? []) store.saveCandidate(job.id, c);
  store.markFinished(job.id, 'completed', at, undefined, undefined, { png: outcome.png, runtimeMs: outcome.runtimeMs, summary, reportJson });
  const event: JobEvent = { type: 'completed', png: outcome.png, runtimeMs: outcome.runtimeMs, summary };
  if (outcome.report) event.report = outcome.report;
  if (outcome.compare) event.compare = outcome.compare;
  return event;
}
