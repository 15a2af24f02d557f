// Job events go out after the current call returns (a microtask later, in order), so an adapter
// sees submit()'s result before the job's first event, and a listener that calls back into the
// service never re-enters it half-way through a state change.
import { logger } from '../log.ts';
import type { JobEvent, JobListener, JobRecord } from './types.ts';

export class EventOutbox {
  private readonly listeners = new Set<JobListener>();
  private pending: [JobEvent, JobRecord][] = [];
  private scheduled = false;

  on(listener: JobListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** record: the job as it is now (a copy the caller will not change). */
  push(event: JobEvent, record: JobRecord): void {
    this.pending.push([event, record]);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** Delivers what is pending now (at stop, so nothing is lost). */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    for (const [event, record] of batch) {
      for (const listener of this.listeners) {
        try {
          listener(event, record);
        } catch (e) {
          logger.error({ err: (e as Error).message, event: event.type, job: record.id }, 'job listener failed');
        }
      }
    }
  }
}
