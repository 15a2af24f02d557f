// How long finished jobs keep their images (and with them their time-lapse frames and losses):
// a sweep deletes what is older than the retention time, at start and then periodically.
import { logger } from '../log.ts';
import type { JobStore } from './job-store.ts';

/** "24 h"; shorter retentions (tests, small servers) in minutes or seconds. */
export function retentionText(retentionMs: number): string {
  const ms = retentionMs;
  if (ms >= 3_600_000) return `${Math.round((ms / 3_600_000) * 10) / 10} h`;
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

export class RetentionSweep {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: JobStore,
    readonly retentionMs: number,
  ) {}

  /** Purges now, then every quarter of the retention time (between 1 s and 15 min). */
  start(): void {
    this.purge();
    const period = Math.min(15 * 60_000, Math.max(1000, this.retentionMs / 4));
    this.timer = setInterval(() => this.purge(), period);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Deletes the images of jobs that ended more than the retention time ago; how many jobs lost theirs. */
  purge(now = Date.now()): number {
    try {
      const n = this.store.purgeInputs(now - this.retentionMs, now);
      if (n > 0) logger.info({ jobs: n }, 'purged the images of old jobs');
      return n;
    } catch (e) {
      logger.error({ err: (e as Error).message }, 'purge failed');
      return 0;
    }
  }
}
