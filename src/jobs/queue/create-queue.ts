// The one place that picks the queue backend: the shared queue on Redis when a Redis URL is
// configured, else this machine's engine processes. The job service is handed what this returns.
import os from 'node:os';
import { engineThreads } from '../../engine/start-engine.ts';
import { ENGINE_CHILD_ENTRY } from '../engine-process/parent-handle.ts';
import { LocalQueueBackend } from './local-queue.ts';
import type { JobQueueBackend } from './queue-backend.ts';
import { RedisQueueBackend } from './redis/redis-queue.ts';
import { queueTimingFromEnv, type QueueTiming } from './redis/shared.ts';

export interface QueueConfig {
  weightsPath: string;
  /** Engine worker processes, i.e. jobs running at once (default 1: one GPU). */
  workers?: number;
  /** Engine backend for the workers (default: STYLIZE_BACKEND, else auto). */
  backend?: string;
  /** The engine child process's script (default src/jobs/engine-process/child.ts). */
  workerEntry?: string;
  /** Engine threads per worker (default STYLIZE_ENGINE_THREADS, else the cores shared between the workers). */
  engineThreads?: number;
  /** How long a running job may take to honour a cancel before its worker is killed (default 30 s). */
  cancelGraceMs?: number;
  /** The shared queue's Redis (STYLIZE_REDIS_URL); workers may then be 0 (engines on other machines). */
  redisUrl?: string;
  /** Shared queue: how soon a dead worker's job is taken back (default from STYLIZE_QUEUE_LOCK_MS). */
  queueTiming?: QueueTiming;
}

/** Each engine process gets its share of the cores: ONNX Runtime's threads spin while they wait. */
export function engineThreadsFor(workers: number): number {
  return engineThreads(process.env, Math.max(1, Math.floor(os.availableParallelism() / Math.max(1, workers))));
}

export function createQueue(config: QueueConfig): JobQueueBackend {
  const workers = config.workers ?? 1;
  const engine = {
    entry: config.workerEntry ?? ENGINE_CHILD_ENTRY,
    weightsPath: config.weightsPath,
    backend: config.backend,
    engineThreads: config.engineThreads ?? engineThreadsFor(workers),
    cancelGraceMs: config.cancelGraceMs,
  };
  if (config.redisUrl) return new RedisQueueBackend({ ...engine, workers, redisUrl: config.redisUrl, timing: config.queueTiming ?? queueTimingFromEnv() });
  return new LocalQueueBackend({ ...engine, workers });
}
