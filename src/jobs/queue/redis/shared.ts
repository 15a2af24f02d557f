// What the bot (redis-queue.ts) and the workers (worker-pool.ts) agree on: the BullMQ queue,
// the Redis keys beside it, the messages on the events channel, and how connections are made.
//
// BullMQ carries the jobs (waiting order by priority, the lock of a running job, the stalled-job
// check, the result until the bot has taken it). Three things it has no place for live in plain keys:
//   - the checkpoint of a running job (iteration + PNG), written at every preview and at a
//     graceful stop, so that a job whose worker died or stopped resumes on another machine from
//     where it was; and a sheet's finished runs, so that a sheet goes on after them;
//   - the cancel flag of a job, which the worker running it polls, and how many times it crashed an engine;
//   - progress and previews, published on one channel: they are worth nothing once stale, so
//     pub/sub (lost while the bot is down) is enough; results are not sent this way.
import { Redis, type RedisOptions } from 'ioredis';
import type { Progress } from '../../../engine/types.ts';
import { logger } from '../../../log.ts';
import type { ResumedAt } from '../queue-backend.ts';
import { envNumber } from '../../../env.ts';
import { redactRedisUrl, redactSecretIn } from './redis-url.ts';

export const QUEUE_NAME = 'jobs';
export const PREFIX = 'stylize';
export const EVENTS_CHANNEL = `${PREFIX}:events`;
export const checkpointKey = (jobId: string) => `${PREFIX}:checkpoint:${jobId}`;
export const cancelKey = (jobId: string) => `${PREFIX}:cancel:${jobId}`;
/** The finished runs of a sheet job (field = run index), so a sheet taken over goes on after them. */
export const sheetRunsKey = (jobId: string) => `${PREFIX}:sheetruns:${jobId}`;
/** How many times the engine crashed under a job (engine-crashes.ts). */
export const crashesKey = (jobId: string) => `${PREFIX}:crashes:${jobId}`;
/** Every key a job has beside BullMQ's own: what to delete when Redis is done with it. */
export const jobKeys = (jobId: string) => [checkpointKey(jobId), cancelKey(jobId), sheetRunsKey(jobId), crashesKey(jobId)];
const JOB_KEY = new RegExp(`^${PREFIX}:(?:checkpoint|cancel|sheetruns|crashes):(.+)$`);
/** The job id in one of jobKeys(), else undefined. */
export const jobIdOfKey = (key: string): string | undefined => JOB_KEY.exec(key)?.[1];
/** Cancel flags outlive any job that could still be waiting for one. */
export const CANCEL_TTL_S = 7 * 24 * 3600;

export const QUEUE_UNAVAILABLE = 'the job queue is unavailable, try again shortly';

/** Everything a worker publishes, tagged with the attempt so that a stale attempt's messages are dropped. */
export type QueueMessage =
  | { t: 'started'; id: string; attempt: number; offset: number; worker: string; resumed: ResumedAt }
  | { t: 'progress'; id: string; attempt: number; offset: number; p: Progress; backend?: string }
  | { t: 'preview'; id: string; attempt: number; offset: number; iteration: number; png: string }
  | { t: 'done'; id: string };

export interface QueueTiming {
  /** How long a running job's lock lasts without renewal: a dead worker's job is taken back after about this. */
  lockMs: number;
  /** How often workers look for jobs whose lock expired. */
  stalledMs: number;
}

export function queueTimingFromEnv(env: NodeJS.ProcessEnv = process.env): QueueTiming {
  const lockMs = envNumber(env, 'STYLIZE_QUEUE_LOCK_MS', { integer: true }) ?? 30_000;
  return { lockMs, stalledMs: Math.max(250, Math.round(lockMs / 2)) };
}

/**
 * A connection that retries for ever (a Redis restart must not kill the bot or a worker), with
 * errors logged once per outage and never with the password.
 */
export function connectRedis(url: string, role: string, extra: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    ...extra,
  });
  let down = false;
  redis.on('error', (e: Error) => {
    if (down) return;
    down = true;
    logger.warn({ redis: redactRedisUrl(url), role, err: redactSecretIn(e.message, url) }, 'Redis connection lost; reconnecting');
  });
  redis.on('ready', () => {
    if (down) logger.info({ redis: redactRedisUrl(url), role }, 'Redis connection back');
    down = false;
  });
  return redis;
}

/** Resolves once the connection is ready, or after withinMs whatever its state (callers cope with a down Redis). */
export function whenReady(redis: Redis, withinMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, withinMs);
    redis.once('ready', done);
  });
}
