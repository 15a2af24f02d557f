// The engines of one machine pulling from the shared queue: one BullMQ Worker (concurrency 1) per
// engine process, so an engine that could not start simply has no Worker and takes no jobs.
// Used by `npm run worker` (src/worker.ts) and by the bot itself when STYLIZE_WORKERS > 0.
import os from 'node:os';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { logger } from '../../../log.ts';
import {
  CANCEL_TTL_S,
  cancelKey,
  checkpointKey,
  crashesKey,
  connectRedis,
  EVENTS_CHANNEL,
  PREFIX,
  QUEUE_NAME,
  sheetRunsKey,
  type QueueMessage,
  type QueueTiming,
} from './shared.ts';
import { EngineProcess, type EngineProcessConfig, type StopOptions } from '../../engine-process/parent-handle.ts';
import type { ResumedAt } from '../queue-backend.ts';
import { redactSecretIn } from './redis-url.ts';
import { fromWire, toWire } from './wire.ts';
import { crashedTwiceReason, ENGINE_CRASH_LIMIT } from '../../engine-crashes.ts';
import { resumeFromCheckpoint, type EngineJob, type EngineOutcome, type SheetRunDone } from '../../engine-process/protocol.ts';

export interface RedisWorkerPoolConfig extends EngineProcessConfig {
  redisUrl: string;
  /** Engine processes on this machine. */
  workers: number;
  timing: QueueTiming;
}

/** What a job carries in Redis: only what the engine needs (no owner, no chat meta, no tokens). */
export interface BullJobData {
  job: unknown;
}

/** How often a running job's cancel flag is read: a cancel lands within this plus one iteration. */
const CANCEL_POLL_MS = 250;

function within(ms: number, p: Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() => clearTimeout(timer));
}

export class RedisWorkerPool {
  private readonly engines: EngineProcess[];
  private readonly workers: Worker[] = [];
  private readonly redis: Redis;
  private readonly name = `${os.hostname()}:${process.pid}`;
  private stopping = false;

  constructor(private readonly config: RedisWorkerPoolConfig) {
    if (!Number.isInteger(config.workers) || config.workers < 1) throw new Error(`workers: expected a whole number ≥ 1, got ${config.workers}`);
    this.engines = Array.from({ length: config.workers }, (_, i) => new EngineProcess(config, i));
    this.redis = connectRedis(config.redisUrl, 'worker');
  }

  get pids(): (number | undefined)[] {
    return this.engines.map((e) => e.pid);
  }

  /** Starts the engines; each one that is ready starts taking jobs. Returns how many did. */
  async start(): Promise<number> {
    const started = await Promise.all(
      this.engines.map(async (engine) => {
        try {
          await engine.startWithRetries();
        } catch (e) {
          logger.error({ worker: engine.index, err: (e as Error).message }, 'the engine could not start: this engine takes no jobs');
          return false;
        }
        this.workers.push(this.takeJobs(engine));
        return true;
      }),
    );
    return started.filter(Boolean).length;
  }

  get readyEngines(): number {
    return this.engines.filter((e) => e.backend !== undefined).length;
  }

  /** Readiness of a worker machine: an engine ready and Redis reachable. */
  notReady(): string | undefined {
    if (this.readyEngines === 0) return 'no engine process is ready';
    if (this.redis.status !== 'ready') return 'the job queue (Redis) is unreachable';
    return undefined;
  }

  /**
   * Takes no new job, stops the engines (a running job first checkpoints into Redis when asked
   * to), and hands running jobs back to the queue: they fail this attempt with "interrupted" and
   * BullMQ retries them a second later, on whichever worker is free, from the checkpoint.
   */
  async stop(opts: StopOptions = {}): Promise<void> {
    this.stopping = true;
    // With Redis down, BullMQ's pause and close wait for it: a stopping worker does not.
    await within(2000, Promise.all(this.workers.map((w) => w.pause(true).catch(() => undefined))));
    await Promise.all(this.engines.map((e) => e.stop(opts)));
    await within(2000, Promise.all(this.workers.map((w) => w.close().catch(() => undefined))));
    this.redis.disconnect();
  }

  private takeJobs(engine: EngineProcess): Worker {
    const { redisUrl, timing } = this.config;
    const worker = new Worker<BullJobData, unknown>(QUEUE_NAME, (job) => this.process(engine, job), {
      connection: connectRedis(redisUrl, 'worker'),
      prefix: PREFIX,
      concurrency: 1,
      lockDuration: timing.lockMs,
      stalledInterval: timing.stalledMs,
      // A worker that dies mid-job is normal here (spot machines, restarts): take the job back a
      // few times before calling it failed.
      maxStalledCount: 5,
    });
    worker.on('error', (e) => logger.warn({ worker: engine.index, err: redactSecretIn(e.message, redisUrl) }, 'queue worker error'));
    worker.on('completed', (job) => this.publish({ t: 'done', id: String(job.id) }));
    worker.on('failed', (job) => {
      if (job && job.finishedOn) this.publish({ t: 'done', id: String(job.id) });
    });
    return worker;
  }

  private publish(msg: QueueMessage): void {
    this.redis.publish(EVENTS_CHANNEL, JSON.stringify(msg)).catch(() => undefined);
  }

  private async process(engine: EngineProcess, job: Job<BullJobData>): Promise<unknown> {
    const id = String(job.id);
    const attempt = job.attemptsStarted;
    let run = fromWire<EngineJob>(job.data.job);
    if (await this.redis.exists(cancelKey(id))) return toWire({ kind: 'cancelled' } satisfies EngineOutcome);
    const point = run.sheet || run.grid ? await this.sheetResumePoint(run) : await this.resumePoint(run);
    if (point) run = point.job;
    const at = point?.resumed.iteration ?? 0;
    this.publish({ t: 'started', id, attempt, offset: at, worker: `${this.name}#${engine.index}`, resumed: point?.resumed ?? {} });
    logger.info({ job: id, worker: engine.index, attempt, resumeAt: at || undefined, runsDone: point?.resumed.runsDone }, 'job started');
    const writes: Promise<unknown>[] = [];

    const poll = setInterval(() => {
      this.redis
        .exists(cancelKey(id))
        .then((n) => n && engine.cancel(id))
        .catch(() => undefined);
    }, CANCEL_POLL_MS);
    let outcome: EngineOutcome;
    try {
      outcome = await engine.run(run, {
        onProgress: (p) => this.publish({ t: 'progress', id, attempt, offset: at, p, backend: engine.backend }),
        onCheckpoint: (iteration, png) => {
          writes.push(this.redis.hset(checkpointKey(id), { iteration: String(iteration + at), png, source: 'checkpoint' }));
        },
        onSheetRun: (index, png, runJson) => {
          writes.push(this.redis.hset(sheetRunsKey(id), String(index), JSON.stringify(toWire({ run: index, png, runJson }))));
        },
        onPreview: (iteration, png) => {
          // The checkpoint first: a preview the bot saw is one a resume can start from.
          this.redis
            .hset(checkpointKey(id), { iteration: String(iteration + at), png, source: 'preview' })
            .catch((e: Error) => logger.warn({ job: id, err: e.message }, 'could not store the checkpoint'));
          this.publish({ t: 'preview', id, attempt, offset: at, iteration, png: png.toString('base64') });
        },
      });
    } finally {
      clearInterval(poll);
    }
    await Promise.all(writes).catch((e: Error) => logger.warn({ job: id, err: e.message }, 'could not store the checkpoint'));
    // Stopping: this attempt fails and BullMQ gives the job to the next free worker.
    if (outcome.kind === 'interrupted' || this.stopping) throw new Error('the worker stopped during this job');
    if (outcome.kind === 'crashed') outcome = await this.afterCrash(id, outcome.how);
    logger.info({ job: id, worker: engine.index, outcome: outcome.kind }, 'job ended');
    return toWire(outcome);
  }

  /**
   * The engine died under the job: counted in Redis (across workers and machines); the first time
   * this attempt fails and BullMQ hands the job on (resumed from its checkpoint), the second time it fails.
   */
  private async afterCrash(id: string, how: string): Promise<EngineOutcome> {
    const crashes = await this.redis.incr(crashesKey(id));
    await this.redis.expire(crashesKey(id), CANCEL_TTL_S);
    if (crashes >= ENGINE_CRASH_LIMIT) return { kind: 'failed', reason: crashedTwiceReason(how) };
    logger.warn({ job: id, how }, 'the engine crashed under this job; it is tried again');
    throw new Error(`the engine crashed (${how}) during this job`);
  }

  /** Where a job that already ran somewhere continues: the checkpoint a previous attempt left. */
  private async resumePoint(job: EngineJob): Promise<{ job: EngineJob; resumed: ResumedAt } | undefined> {
    if (!job.resumable) return undefined;
    const cp = await this.redis.hgetallBuffer(checkpointKey(job.jobId));
    const iteration = Number(cp.iteration?.toString());
    if (!cp.png || !Number.isInteger(iteration) || iteration <= 0 || iteration > job.totalSteps) return undefined;
    return {
      resumed: { iteration, source: cp.source?.toString() === 'checkpoint' ? 'checkpoint' : 'preview' },
      job: resumeFromCheckpoint(job, iteration, cp.png),
    };
  }

  /** A sheet taken over: the runs a previous attempt finished. */
  private async sheetResumePoint(job: EngineJob): Promise<{ job: EngineJob; resumed: ResumedAt } | undefined> {
    const stored = await this.redis.hgetall(sheetRunsKey(job.jobId));
    const runs = Object.values(stored)
      .map((v) => fromWire<SheetRunDone>(JSON.parse(v)))
      .sort((a, b) => a.run - b.run);
    if (runs.length === 0) return undefined;
    return { resumed: { runsDone: runs.length }, job: { ...job, sheetRuns: runs } };
  }
}
