// The job service's settings: what the service itself needs, what its queue needs, and how both
// are read from the environment (STYLIZE_*). A malformed value is a one-line error naming the variable.
import type { StylizeMetrics } from '../ops/metrics.ts';
import { limitsFromEnv } from './limits.ts';
import type { QueueConfig } from './queue/create-queue.ts';
import { queueTimingFromEnv } from './queue/redis/shared.ts';
import type { Limits } from './types.ts';

/** What the job service (JobCoordinator) needs beside its queue. */
export interface CoordinatorConfig {
  dataDir: string;
  /** Global ceilings; unset keys come from env (STYLIZE_MAX_*), then the defaults. */
  ceilings?: Partial<Limits>;
  /** How long finished jobs keep their images for re-runs (default STYLIZE_RETENTION_HOURS, else 24). */
  retentionHours?: number;
  /** Where to count jobs, waits, run times and iterations (the bot's /metrics). */
  metrics?: StylizeMetrics;
}

/** Everything createJobService builds the service and its queue from. */
export interface JobServiceConfig extends CoordinatorConfig, QueueConfig {}

export function retentionFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.STYLIZE_RETENTION_HOURS;
  if (raw === undefined || raw.trim() === '') return 24;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`STYLIZE_RETENTION_HOURS: got ${JSON.stringify(raw)}, expected a number of hours ≥ 0`);
  return n;
}

/** The deployment's settings from env: STYLIZE_DATA_DIR (./data), STYLIZE_WORKERS (1), the limits, retention. */
export function jobServiceConfigFromEnv(weightsPath: string, env: NodeJS.ProcessEnv = process.env): JobServiceConfig {
  const redisUrl = env.STYLIZE_REDIS_URL?.trim() || undefined;
  const workers = env.STYLIZE_WORKERS?.trim() ? Number(env.STYLIZE_WORKERS) : 1;
  // With a shared queue the bot may run no engine at all: the workers are other machines.
  const least = redisUrl ? 0 : 1;
  if (!Number.isInteger(workers) || workers < least) throw new Error(`STYLIZE_WORKERS: got ${JSON.stringify(env.STYLIZE_WORKERS)}, expected a whole number ≥ ${least}`);
  return {
    ...(redisUrl ? { redisUrl, queueTiming: queueTimingFromEnv(env) } : {}),
    dataDir: env.STYLIZE_DATA_DIR?.trim() || './data',
    weightsPath,
    workers,
    ceilings: limitsFromEnv(env),
    retentionHours: retentionFromEnv(env),
  };
}

/** STYLIZE_SHUTDOWN_GRACE_S (default 10): how long a graceful stop may take before the process exits anyway. */
export function shutdownGraceFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.STYLIZE_SHUTDOWN_GRACE_S;
  if (raw === undefined || raw.trim() === '') return 10;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 1 || n > 3600) throw new Error(`STYLIZE_SHUTDOWN_GRACE_S: got ${JSON.stringify(raw)}, expected a number of seconds from 1 to 3600`);
  return n;
}
