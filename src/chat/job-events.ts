// The job events both chat adapters' job views react to, by the names they both use.
import type { JobEvent } from '../jobs/types.ts';

export type ProgressEvent = Extract<JobEvent, { type: 'progress' }>;
/** The event that ends a job: after it, a job view only finishes its messages. */
export type FinalEvent = Extract<JobEvent, { type: 'completed' | 'failed' | 'cancelled' }>;

export function isFinal(e: JobEvent): e is FinalEvent {
  return e.type === 'completed' || e.type === 'failed' || e.type === 'cancelled';
}
