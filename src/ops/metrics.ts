// The Prometheus metrics of one process, on its own prom-client registry (so tests and several
// services in one process never share counters). Labels are closed sets: platform, mode, backend
// and a size bucket. Nothing a user chose freely (ids, names, tokens) ever becomes a label value.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const PLATFORMS = new Set(['discord', 'slack', 'cli']);
const MODES = new Set(['transfer', 'texture', 'reconstruct', 'sheet', 'grid', 'upscale']);
const BACKENDS = new Set(['native-gpu', 'native-cpu', 'wasm', 'cpu']);

export function platformLabel(platform: unknown): string {
  return typeof platform === 'string' && PLATFORMS.has(platform) ? platform : 'other';
}

export function modeLabel(mode: unknown): string {
  return typeof mode === 'string' && MODES.has(mode) ? mode : 'other';
}

export function backendLabel(backend: unknown): string {
  return typeof backend === 'string' && BACKENDS.has(backend) ? backend : 'other';
}

/** Output sizes grouped so seconds per iteration compare like with like. */
export function sizeBucket(size: number): string {
  if (size <= 128) return '0-128';
  if (size <= 256) return '129-256';
  if (size <= 512) return '257-512';
  if (size <= 1024) return '513-1024';
  return '1025+';
}

/** Where the job-count gauges read from at scrape time. */
export interface QueueGauges {
  waiting(): number;
  running(): number;
}

/** What a chat adapter reports: the label is the platform name only. */
export interface ChatMetrics {
  chatApiError(platform: string): void;
  chatRateLimited(platform: string): void;
}

export class StylizeMetrics implements ChatMetrics {
  readonly registry = new Registry();
  readonly jobsSubmitted: Counter<'platform' | 'mode'>;
  readonly jobsRefused: Counter<'platform' | 'mode'>;
  readonly jobsCompleted: Counter<'platform' | 'mode'>;
  readonly jobsFailed: Counter<'platform' | 'mode'>;
  readonly jobsCancelled: Counter<'platform' | 'mode'>;
  readonly jobRunSeconds: Histogram<'platform' | 'mode'>;
  readonly queueWaitSeconds: Histogram<'platform' | 'mode'>;
  readonly iterationSeconds: Histogram<'backend' | 'size'>;
  readonly engineRestarts: Counter;
  readonly chatApiErrors: Counter<'platform'>;
  readonly chatRateLimits: Counter<'platform'>;
  private gauges: QueueGauges | undefined;

  constructor() {
    const registers = [this.registry];
    const jobCounter = (name: string, help: string) => new Counter({ name, help, labelNames: ['platform', 'mode'] as const, registers });
    this.jobsSubmitted = jobCounter('stylize_jobs_submitted_total', 'Jobs accepted into the queue');
    this.jobsRefused = jobCounter('stylize_jobs_refused_total', 'Jobs refused at submission (limits, bad options, shutting down)');
    this.jobsCompleted = jobCounter('stylize_jobs_completed_total', 'Jobs that finished with a result');
    this.jobsFailed = jobCounter('stylize_jobs_failed_total', 'Jobs that failed');
    this.jobsCancelled = jobCounter('stylize_jobs_cancelled_total', 'Jobs cancelled by a user or an admin');
    this.jobRunSeconds = new Histogram({
      name: 'stylize_job_run_seconds',
      help: 'Time from a job starting on an engine to its end',
      labelNames: ['platform', 'mode'] as const,
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
      registers,
    });
    this.queueWaitSeconds = new Histogram({
      name: 'stylize_queue_wait_seconds',
      help: 'Time from submission to the first start on an engine',
      labelNames: ['platform', 'mode'] as const,
      buckets: [0.1, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    });
    this.iterationSeconds = new Histogram({
      name: 'stylize_iteration_seconds',
      help: 'Seconds per optimisation iteration, by engine backend and output size',
      labelNames: ['backend', 'size'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.engineRestarts = new Counter({ name: 'stylize_engine_restarts_total', help: 'Engine worker processes that died and were restarted', registers });
    this.chatApiErrors = new Counter({
      name: 'stylize_chat_api_errors_total',
      help: 'Chat platform API calls that failed',
      labelNames: ['platform'] as const,
      registers,
    });
    this.chatRateLimits = new Counter({
      name: 'stylize_chat_rate_limits_total',
      help: 'Chat platform API calls that hit a rate limit',
      labelNames: ['platform'] as const,
      registers,
    });
    // Read at scrape time, so they are never stale.
    const source = () => this.gauges;
    new Gauge({
      name: 'stylize_queue_depth',
      help: 'Jobs waiting for an engine',
      registers,
      collect() {
        this.set(source()?.waiting() ?? 0);
      },
    });
    new Gauge({
      name: 'stylize_running_jobs',
      help: 'Jobs running on an engine',
      registers,
      collect() {
        this.set(source()?.running() ?? 0);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  watchQueue(gauges: QueueGauges): void {
    this.gauges = gauges;
  }

  chatApiError(platform: string): void {
    this.chatApiErrors.inc({ platform: platformLabel(platform) });
  }

  chatRateLimited(platform: string): void {
    this.chatRateLimits.inc({ platform: platformLabel(platform) });
  }
}
