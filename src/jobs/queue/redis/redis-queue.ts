// The shared queue: jobs wait in BullMQ on Redis and run on whichever machine's engine is free
// (`npm run worker` processes, and the bot's own engines when STYLIZE_WORKERS > 0).
//
// The bot stays the only producer and the only owner of job records (SQLite, as with the local
// queue). It keeps a mirror of the fair order to answer positions synchronously, and hands BullMQ
// the same order as priorities: priority = the job's fair turn (resumed jobs first), FIFO within a
// priority, which is exactly FairOrder's (resume, turn, seq) order because turns are fixed at submit
// time and jobs are added in submission order. Workers take jobs by priority, so the order holds
// across machines without the bot dispatching anything.
//
// Results: a worker returns the outcome as the BullMQ job's return value, kept in Redis
// (removeOnComplete: false) until this bot has recorded it, then removed. A bot that was down
// collects every finished job at start; while up it is told by a `done` message and also looks
// every second, so a message lost in a Redis restart only delays a result.
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Progress } from '../../../engine/types.ts';
import { logger } from '../../../log.ts';
import {
  CANCEL_TTL_S,
  cancelKey,
  connectRedis,
  EVENTS_CHANNEL,
  jobIdOfKey,
  jobKeys,
  PREFIX,
  QUEUE_NAME,
  QUEUE_UNAVAILABLE,
  type QueueMessage,
  type QueueTiming,
  whenReady,
} from './shared.ts';
import { RedisWorkerPool, type BullJobData } from './worker-pool.ts';
import type { EngineProcessConfig } from '../../engine-process/parent-handle.ts';
import { FairOrder } from '../fair-order.ts';
import type { JobQueueBackend, QueueEntry, QueueHooks, ResumedAt } from '../queue-backend.ts';
import { redactRedisUrl, redactSecretIn } from './redis-url.ts';
import { fromWire, toWire } from './wire.ts';
import type { EngineOutcome } from '../../engine-process/protocol.ts';

export interface RedisQueueConfig extends EngineProcessConfig {
  redisUrl: string;
  /** Engine processes in this process pulling from the shared queue (0: none, workers elsewhere). */
  workers: number;
  timing: QueueTiming;
}

const MAX_PRIORITY = 2_097_152;
const COLLECT_EVERY_MS = 1000;

function priorityOf(entry: QueueEntry): number {
  return entry.resume ? 1 : Math.min(MAX_PRIORITY, entry.turn + 2);
}

export class RedisQueueBackend implements JobQueueBackend {
  private readonly order = new FairOrder();
  private readonly entries = new Map<string, QueueEntry>();
  /** The attempt of each running job whose start this process has seen (older attempts' messages are stale). */
  private readonly attempts = new Map<string, number>();
  private readonly redis: Redis;
  private readonly sub: Redis;
  private readonly queue: Queue<BullJobData>;
  private readonly pool: RedisWorkerPool | undefined;
  private hooks: QueueHooks | undefined;
  private timer: NodeJS.Timeout | undefined;
  private collecting = false;
  private collectAgain = false;
  private started = false;
  private stopped = false;

  constructor(private readonly config: RedisQueueConfig) {
    if (!Number.isInteger(config.workers) || config.workers < 0) throw new Error(`workers: expected a whole number ≥ 0, got ${config.workers}`);
    this.redis = connectRedis(config.redisUrl, 'bot');
    this.sub = connectRedis(config.redisUrl, 'bot events');
    this.queue = new Queue<BullJobData>(QUEUE_NAME, { connection: this.redis, prefix: PREFIX });
    this.queue.on('error', (e) => logger.debug({ err: redactSecretIn(e.message, config.redisUrl) }, 'queue error'));
    this.pool = config.workers > 0 ? new RedisWorkerPool(config) : undefined;
  }

  setHooks(hooks: QueueHooks): void {
    this.hooks = hooks;
  }

  nextTurn(userKey: string): number {
    return this.order.nextTurn(userKey);
  }

  unavailableReason(): string | undefined {
    return this.redis.status === 'ready' ? undefined : QUEUE_UNAVAILABLE;
  }

  enqueue(entry: QueueEntry): number {
    const position = this.order.add(entry);
    this.entries.set(entry.id, entry);
    this.hooks?.orderChanged();
    // Before start (jobs recovered at construction) the start-up reconcile adds what Redis lacks.
    if (this.started) void this.add(entry);
    return position;
  }

  remove(jobId: string): boolean {
    if (!this.order.remove(jobId)) return false;
    this.entries.delete(jobId);
    // A worker may be taking it this very moment: the flag stops it there; the removal covers the rest.
    void this.flagCancel(jobId)
      .then(() => this.queue.remove(jobId))
      // Removed before a worker took it (again): the flag has nothing left to stop, and what an
      // earlier attempt left (a worker died under it) nothing left to resume.
      .then(async (removed) => {
        if (removed === 1) await this.redis.del(...jobKeys(jobId));
      })
      .catch(() => undefined);
    this.hooks?.orderChanged();
    return true;
  }

  cancelRunning(jobId: string): boolean {
    if (!this.order.isRunning(jobId)) return false;
    void this.flagCancel(jobId);
    return true;
  }

  position(jobId: string): number | undefined {
    return this.order.position(jobId);
  }

  waitingIds(): string[] {
    return this.order.waitingIds();
  }

  get waitingCount(): number {
    return this.order.waitingCount;
  }

  get runningCount(): number {
    return this.order.runningCount;
  }

  /** This process's own engines that are ready (the other machines' are not counted). */
  get readyEngines(): number {
    return this.stopped ? 0 : (this.pool?.readyEngines ?? 0);
  }

  get localEngines(): number {
    return this.config.workers;
  }

  /** Engine process ids of this process's own engines. */
  workerPids(): (number | undefined)[] {
    return this.pool?.pids ?? [];
  }

  async start(): Promise<void> {
    this.started = true;
    // Submits are refused until the connection is ready; a Redis that is down at boot is waited
    // for a while, then the bot comes up anyway and takes jobs once Redis is back.
    await whenReady(this.redis, 10_000);
    this.sub.on('message', (_channel: string, text: string) => this.onMessage(text));
    // Subscribed only once the connection is ready (a SUBSCRIBE queued during the connection's own
    // ready check puts it in subscriber mode too early, and the check fails), and again after
    // every reconnect.
    const subscribe = () => void this.sub.subscribe(EVENTS_CHANNEL).catch(() => undefined);
    this.sub.on('ready', subscribe);
    if (this.sub.status === 'ready') subscribe();
    await whenReady(this.sub, 10_000);
    await this.reconcile();
    // After a Redis restart: jobs whose add was lost are added again, finished ones collected.
    this.redis.on('ready', () => void this.reconcile());
    this.timer = setInterval(() => void this.collect(), COLLECT_EVERY_MS);
    logger.info({ redis: redactRedisUrl(this.config.redisUrl), engines: this.config.workers }, 'shared job queue on Redis');
    if (this.pool && (await this.pool.start()) === 0) throw new Error('the engine could not start (see the log)');
  }

  /** Jobs on other machines go on; this process's own running jobs checkpoint (if asked) and go back to the queue. */
  async stop(opts: { checkpointWithinMs?: number } = {}): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.pool?.stop(opts);
    await this.queue.close().catch(() => undefined);
    this.sub.disconnect();
    this.redis.disconnect();
  }

  // ---- internals ----

  private async add(entry: QueueEntry): Promise<void> {
    const payload = this.hooks?.payload(entry.id);
    if (!payload) {
      // Could not be planned: the service has ended it.
      this.forget(entry.id);
      return;
    }
    try {
      await this.queue.add(
        'run',
        { job: toWire(payload) },
        { jobId: entry.id, priority: priorityOf(entry), removeOnComplete: false, removeOnFail: false, attempts: 5, backoff: { type: 'fixed', delay: 1000 } },
      );
    } catch (e) {
      logger.warn({ job: entry.id, err: redactSecretIn((e as Error).message, this.config.redisUrl) }, 'could not add the job to Redis; trying again on reconnect');
    }
  }

  private async flagCancel(jobId: string): Promise<void> {
    await this.redis.set(cancelKey(jobId), '1', 'EX', CANCEL_TTL_S).catch(() => undefined);
  }

  private forget(jobId: string): void {
    this.order.remove(jobId);
    this.order.finished(jobId);
    this.entries.delete(jobId);
    this.attempts.delete(jobId);
  }

  private onMessage(text: string): void {
    let msg: QueueMessage;
    try {
      msg = JSON.parse(text) as QueueMessage;
    } catch {
      return;
    }
    const hooks = this.hooks;
    if (!hooks || this.stopped || !this.entries.has(msg.id)) return;
    if (msg.t === 'done') {
      void this.collect();
      return;
    }
    const resumed = msg.t === 'started' ? msg.resumed : msg.offset > 0 ? { iteration: msg.offset } : {};
    if (!this.noteAttempt(msg.id, msg.attempt, resumed)) return;
    if (msg.t === 'progress') hooks.progress(msg.id, msg.p as Progress, msg.backend);
    else if (msg.t === 'preview') hooks.preview(msg.id, msg.iteration, Buffer.from(msg.png, 'base64'));
  }

  /** Records the start of an attempt the first time any of its messages arrives; false for a stale attempt. */
  private noteAttempt(id: string, attempt: number, resumed: ResumedAt): boolean {
    const seen = this.attempts.get(id) ?? -1;
    if (attempt < seen) return false;
    if (attempt === seen) return true;
    this.attempts.set(id, attempt);
    this.order.start(id);
    this.hooks?.started(id, resumed);
    this.hooks?.orderChanged();
    return true;
  }

  /** Records every finished job in Redis and removes it there: the result is now the bot's. */
  private async collect(): Promise<void> {
    if (this.stopped || this.redis.status !== 'ready') return;
    // A job that ends while a collection is under way is collected right after it, not a second later.
    if (this.collecting) {
      this.collectAgain = true;
      return;
    }
    this.collecting = true;
    try {
      do {
        this.collectAgain = false;
        const done = await this.queue.getJobs(['completed', 'failed']);
        for (const job of done) await this.deliver(job);
      } while (this.collectAgain && !this.stopped);
    } catch (e) {
      logger.debug({ err: redactSecretIn((e as Error).message, this.config.redisUrl) }, 'could not collect finished jobs');
    } finally {
      this.collecting = false;
    }
  }

  private async deliver(job: Job<BullJobData>): Promise<void> {
    const id = String(job.id);
    if (this.entries.has(id)) {
      let outcome: EngineOutcome;
      try {
        outcome = job.failedReason && job.returnvalue == null ? { kind: 'failed', reason: job.failedReason } : fromWire<EngineOutcome>(job.returnvalue);
      } catch (e) {
        outcome = { kind: 'failed', reason: `unreadable result: ${(e as Error).message}` };
      }
      this.forget(id);
      try {
        this.hooks?.finish(id, outcome);
      } catch (e) {
        logger.error({ job: id, err: (e as Error).message }, 'could not record the end of a job');
      }
      this.hooks?.orderChanged();
    }
    // Recorded (or not ours any more: cancelled while waiting): Redis can let go of it.
    await this.redis.del(...jobKeys(id));
    await job.remove().catch(() => undefined);
  }

  /** Makes Redis agree with the jobs this bot has: adds the missing ones, collects the finished ones. */
  private async reconcile(): Promise<void> {
    if (this.stopped) return;
    for (const entry of [...this.entries.values()]) {
      let state: string;
      try {
        state = await this.queue.getJobState(entry.id);
      } catch {
        return;
      }
      if (state === 'unknown') await this.add(entry);
    }
    await this.collect();
    await this.sweep().catch((e: unknown) => logger.debug({ err: redactSecretIn((e as Error).message, this.config.redisUrl) }, 'could not sweep the keys of finished jobs'));
  }

  /**
   * Deletes the keys of jobs that neither this bot nor BullMQ knows any more: a bot killed between
   * removing a cancelled waiting job from BullMQ and deleting its keys left them for good.
   */
  private async sweep(): Promise<void> {
    const ids = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${PREFIX}:*:*`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const id = jobIdOfKey(key);
        if (id) ids.add(id);
      }
    } while (cursor !== '0' && !this.stopped);
    for (const id of ids) {
      // Asked again after BullMQ answers: the job may have been submitted in the meantime.
      if (this.entries.has(id) || (await this.queue.getJobState(id)) !== 'unknown' || this.entries.has(id)) continue;
      await this.redis.del(...jobKeys(id));
    }
  }
}
