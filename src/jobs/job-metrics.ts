// What the job service counts for /metrics (prom-client, src/ops/metrics.ts): submits and refusals,
// waits in the queue, run times, iteration pace and how jobs ended. No metrics configured: no-ops.
import type { Progress } from '../engine/types.ts';
import { backendLabel, modeLabel, platformLabel, sizeBucket, type StylizeMetrics } from '../ops/metrics.ts';
import type { ActiveJob } from './active-job.ts';
import type { JobSpec } from './types.ts';

function labels(a: ActiveJob): { platform: string; mode: string } {
  return { platform: platformLabel(a.record.owner.platform), mode: modeLabel(a.record.kind === 'stylize' ? a.record.options.mode : a.record.kind) };
}

export class JobMetrics {
  constructor(private readonly metrics: StylizeMetrics | undefined) {}

  watchQueue(counts: { waiting: () => number; running: () => number }): void {
    this.metrics?.watchQueue(counts);
  }

  submitted(spec: JobSpec, accepted: boolean): void {
    const l = { platform: platformLabel(spec.owner?.platform), mode: modeLabel(spec.sheet !== undefined ? 'sheet' : spec.kind && spec.kind !== 'stylize' ? spec.kind : spec.options?.grid === true ? 'grid' : (spec.options?.mode ?? 'transfer')) };
    if (accepted) this.metrics?.jobsSubmitted.inc(l);
    else this.metrics?.jobsRefused.inc(l);
  }

  /** The job's first start (a resumed job waited only once). */
  firstStarted(a: ActiveJob, now: number): void {
    this.metrics?.queueWaitSeconds.observe(labels(a), (now - a.record.createdAt) / 1000);
  }

  progress(a: ActiveJob, p: Progress, backend?: string): void {
    // Iteration 0 includes building the objective: not a pace.
    if (this.metrics && p.iteration > 0 && Number.isFinite(p.iterationMs)) {
      this.metrics.iterationSeconds.observe({ backend: backendLabel(backend), size: sizeBucket(a.record.options.size) }, p.iterationMs / 1000);
    }
  }

  /** Called before the record's state changes; cancelled jobs' times are not run times. */
  finished(a: ActiveJob, how: 'completed' | 'failed' | 'cancelled', now: number): void {
    const l = labels(a);
    if (a.record.startedAt !== undefined && how !== 'cancelled') this.metrics?.jobRunSeconds.observe(l, (now - a.record.startedAt) / 1000);
    if (how === 'completed') this.metrics?.jobsCompleted.inc(l);
    else if (how === 'failed') this.metrics?.jobsFailed.inc(l);
    else this.metrics?.jobsCancelled.inc(l);
  }

  engineRestarted(): void {
    this.metrics?.engineRestarts.inc();
  }
}
