// The job service the chat adapters talk to: checks and stores submitted jobs, keeps the fair queue
// moving through a JobQueueBackend, turns what the engines report into JobEvents, and recovers
// after a restart. Everything a chat handler calls is synchronous and quick (SQLite writes only).
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { formatDuration, formatLosses } from '../chat/format.ts';
import { engineThreads } from '../engine/start-engine.ts';
import type { Progress } from '../engine/types.ts';
import { renderRunChart } from '../engine/visuals/loss-chart.ts';
import { encodeTimelapse, TimelapseTooLargeError } from '../engine/visuals/timelapse.ts';
import { logger } from '../log.ts';
import { modeLabel, platformLabel, sizeBucket, backendLabel, type StylizeMetrics } from '../ops/metrics.ts';
import { OptionsError, type Mode, type StyleOptions } from '../options.ts';
import { openDatabase, type Db } from './db.ts';
import {
  checkInputs,
  checkInputsForOptions,
  checkOwner,
  jobPlan,
  previewEvery,
  Refusal,
  rerunInputs,
  rerunOptions,
  resolveJobOptions,
  totalSteps,
} from './job-rules.ts';
import { JobStore } from './job-store.ts';
import { effectiveLimits, limitsFromEnv } from './limits.ts';
import { BullQueueBackend } from './bull-queue.ts';
import { queueTimingFromEnv, type QueueTiming } from './bull-shared.ts';
import { LocalQueueBackend } from './local-queue.ts';
import type { JobQueueBackend, QueueHooks, ResumedAt } from './queue-backend.ts';
import { SqliteSettingsStore } from './settings-store.ts';
import { checkSheetSpec, planSheetRuns, resolveSheetOptions, sheetContents } from './sheet-rules.ts';
import type {
  Actor,
  CancelResult,
  JobEvent,
  JobFileResult,
  JobInputs,
  JobKind,
  JobListener,
  JobOwner,
  JobRecord,
  JobService,
  JobSpec,
  Limits,
  Platform,
  SheetSpec,
  SubmitResult,
  TimelapseRequest,
} from './types.ts';
import type { EngineJob, EngineOutcome } from './worker-protocol.ts';

export { limitsFromEnv } from './limits.ts';

export interface JobServiceConfig {
  dataDir: string;
  weightsPath: string;
  /** Engine worker processes, i.e. jobs running at once (default 1: one GPU). */
  workers?: number;
  /** Engine backend for the workers (default: STYLIZE_BACKEND, else auto). */
  backend?: string;
  /** Global ceilings; unset keys come from env (STYLIZE_MAX_*), then the defaults. */
  ceilings?: Partial<Limits>;
  /** How long finished jobs keep their images for re-runs (default STYLIZE_RETENTION_HOURS, else 24). */
  retentionHours?: number;
  /** The worker script (default src/jobs/worker.ts). */
  workerEntry?: string;
  /** Engine threads per worker (default STYLIZE_ENGINE_THREADS, else the cores shared between the workers). */
  engineThreads?: number;
  /** How long a running job may take to honour a cancel before its worker is killed (default 30 s). */
  cancelGraceMs?: number;
  /** Another queue; default: the shared one on Redis when redisUrl is set, else this machine's worker processes. */
  queue?: JobQueueBackend;
  /** The shared queue's Redis (STYLIZE_REDIS_URL); workers may then be 0 (engines on other machines). */
  redisUrl?: string;
  /** Shared queue: how soon a dead worker's job is taken back (default from STYLIZE_QUEUE_LOCK_MS). */
  queueTiming?: QueueTiming;
  /** Where to count jobs, waits, run times and iterations (the bot's /metrics). */
  metrics?: StylizeMetrics;
}

/** Why the service cannot take or run jobs right now (readiness); undefined when it can. */
export type NotReady = string | undefined;

export const RESTARTING_REASON = 'the bot is restarting, try again in a minute';

/**
 * Test-only (never set it in production): STYLIZE_TEST_CRASH_AFTER_COMPLETION=1 kills the process
 * with SIGKILL right after a completed job's result is stored and before any adapter hears of it,
 * so a test can check that the restarted bot posts that result exactly once.
 */
const TEST_CRASH_AFTER_COMPLETION = 'STYLIZE_TEST_CRASH_AFTER_COMPLETION';

interface ActiveJob {
  record: JobRecord;
  seq: number;
  turn: number;
  userKey: string;
  timeoutSec: number;
  /** Was running when the process stopped. */
  resume: boolean;
  lastPosition?: number;
  /** Iterations done before a resume: added to the engine's numbering. */
  iterationOffset: number;
  /** Planned iterations of each scale (one entry unless coarse-to-fine). */
  scaleSteps: number[];
  /** Sheets: iterations of all runs (runs × steps), set when the job starts. */
  sheetSteps?: number;
  /** What the `resumed` event says (set at recovery). */
  resumedFrom?: Extract<JobEvent, { type: 'resumed' }>;
  cancelledBy?: string;
}

const DEFAULT_WORKER_ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));

function userKey(owner: JobOwner): string {
  return `${owner.platform}:${owner.workspaceId}:${owner.userId}`;
}

function snapshot(r: JobRecord): JobRecord {
  const copy: JobRecord = { ...r, owner: { ...r.owner }, options: { ...r.options }, meta: { ...r.meta } };
  if (r.sheet) copy.sheet = { ...r.sheet };
  return copy;
}

function newJobId(): string {
  return randomBytes(6).toString('base64url').replace(/[-_]/g, 'x');
}

/** Each engine process gets its share of the cores: ONNX Runtime's threads spin while they wait. */
export function engineThreadsFor(workers: number): number {
  return engineThreads(process.env, Math.max(1, Math.floor(os.availableParallelism() / Math.max(1, workers))));
}

function retentionFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.STYLIZE_RETENTION_HOURS;
  if (raw === undefined || raw.trim() === '') return 24;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`STYLIZE_RETENTION_HOURS: got ${JSON.stringify(raw)}, expected a number of hours ≥ 0`);
  return n;
}

export class LocalJobService implements JobService {
  readonly settings: SqliteSettingsStore;
  readonly ceilings: Limits;
  private readonly db: Db;
  private readonly store: JobStore;
  private readonly queue: JobQueueBackend;
  private readonly retentionMs: number;
  private readonly active = new Map<string, ActiveJob>();
  private readonly listeners = new Set<JobListener>();
  private outbox: [JobEvent, JobRecord][] = [];
  private flushScheduled = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  private draining = false;
  private readonly localEngines: number;
  private enginesStopped: Promise<void> | undefined;
  private holdPositions = false;
  private readonly metrics: StylizeMetrics | undefined;

  constructor(config: JobServiceConfig) {
    this.ceilings = { ...limitsFromEnv(process.env), ...config.ceilings };
    this.retentionMs = (config.retentionHours ?? retentionFromEnv(process.env)) * 3_600_000;
    this.metrics = config.metrics;
    const workers = config.workers ?? 1;
    this.localEngines = workers;
    const engine = {
      entry: config.workerEntry ?? DEFAULT_WORKER_ENTRY,
      weightsPath: config.weightsPath,
      backend: config.backend,
      engineThreads: config.engineThreads ?? engineThreadsFor(workers),
      cancelGraceMs: config.cancelGraceMs,
    };
    this.queue =
      config.queue ??
      (config.redisUrl
        ? new BullQueueBackend({ ...engine, workers, redisUrl: config.redisUrl, timing: config.queueTiming ?? queueTimingFromEnv() })
        : new LocalQueueBackend({ ...engine, workers }));
    this.db = openDatabase(config.dataDir);
    this.store = new JobStore(this.db);
    this.settings = new SqliteSettingsStore(this.db, () => this.ceilings);
    this.queue.setHooks(this.hooks());
    this.recover();
    this.metrics?.watchQueue({
      waiting: () => this.queue.waitingCount,
      running: () => [...this.active.values()].filter((a) => a.record.state === 'running').length,
    });
  }

  // ---- JobService ----

  submit(spec: JobSpec): SubmitResult {
    const result = this.submitOrRefuse(spec);
    const labels = { platform: platformLabel(spec.owner?.platform), mode: modeLabel(spec.sheet !== undefined || spec.kind === 'sheet' ? 'sheet' : (spec.options?.mode ?? 'transfer')) };
    if (result.ok) this.metrics?.jobsSubmitted.inc(labels);
    else this.metrics?.jobsRefused.inc(labels);
    return result;
  }

  private submitOrRefuse(spec: JobSpec): SubmitResult {
    try {
      return this.trySubmit(spec);
    } catch (e) {
      if (e instanceof Refusal || e instanceof OptionsError) return { ok: false, reason: e.message };
      logger.error({ err: (e as Error).message }, 'submit failed');
      return { ok: false, reason: `the job could not be queued: ${(e as Error).message.split('\n')[0]}` };
    }
  }

  cancel(jobId: string, by: Actor): CancelResult {
    const a = this.active.get(jobId);
    if (!a) {
      const stored = this.store.get(jobId);
      if (!stored) return { ok: false, reason: `there is no job ${jobId}` };
      return { ok: false, reason: `job ${jobId} has already ${stored.record.state === 'cancelled' ? 'been cancelled' : stored.record.state}` };
    }
    if (by.userId !== a.record.owner.userId && !by.isAdmin) {
      return { ok: false, reason: 'only the person who submitted this job or an admin can cancel it' };
    }
    // The cancelled event goes out before the others' new positions.
    this.holdPositions = true;
    let removed: boolean;
    try {
      removed = this.queue.remove(jobId);
    } finally {
      this.holdPositions = false;
    }
    if (removed) {
      this.finish(a, { kind: 'cancelled' }, by.userId);
      this.orderChanged();
      return { ok: true };
    }
    if (this.queue.cancelRunning(jobId)) {
      a.cancelledBy ??= by.userId;
      return { ok: true };
    }
    // Unknown to the queue (should not happen): end it here rather than leave it unfinished forever.
    this.finish(a, { kind: 'cancelled' }, by.userId);
    return { ok: true };
  }

  rerun(jobId: string, mode: Mode, owner: JobOwner, meta?: Record<string, unknown>): SubmitResult {
    try {
      const parent = this.store.get(jobId);
      if (!parent) return { ok: false, reason: `there is no job ${jobId}` };
      if (parent.record.kind === 'sheet') {
        return { ok: false, reason: `job ${jobId} is a sheet, and sheets are not re-run from reactions: ask for a new sheet instead` };
      }
      if (parent.record.state === 'queued' || parent.record.state === 'running') {
        return { ok: false, reason: `job ${jobId} is still ${parent.record.state}: re-run it once it has finished` };
      }
      const inputs = parent.inputsPurged ? undefined : this.store.inputs(jobId);
      if (!inputs) {
        return { ok: false, reason: `the images of job ${jobId} were deleted (they are kept ${this.retentionText()} after a job ends): send them again` };
      }
      return this.submit({
        owner,
        inputs: rerunInputs(inputs, mode),
        options: rerunOptions(parent.record.options, mode),
        kind: parent.record.kind,
        parentJobId: jobId,
        meta,
      });
    } catch (e) {
      logger.error({ err: (e as Error).message, job: jobId }, 'rerun failed');
      return { ok: false, reason: `the job could not be queued: ${(e as Error).message.split('\n')[0]}` };
    }
  }

  async timelapse(jobId: string, request: TimelapseRequest = {}): Promise<JobFileResult> {
    const refused = this.visualsRefusal(jobId, 'time-lapse');
    if (refused) return refused;
    const frames = this.store.frames(jobId);
    if (frames.length === 0) {
      const reason = this.store.get(jobId)?.inputsPurged
        ? `the time-lapse frames of job ${jobId} have expired (they are kept ${this.retentionText()} after a job ends, like its images)`
        : `job ${jobId} has no time-lapse frames (it ran before the bot kept them)`;
      return { ok: false, reason };
    }
    const format = request.format ?? 'gif';
    try {
      const film = await encodeTimelapse(frames, { format, maxBytes: request.maxBytes });
      return { ok: true, file: { name: `timelapse-${jobId}.${format}`, data: film.data, contentType: `image/${format}` } };
    } catch (e) {
      if (e instanceof TimelapseTooLargeError) return { ok: false, reason: `the time-lapse of job ${jobId} does not fit the upload limit, even with fewer and smaller frames` };
      throw e;
    }
  }

  async lossChart(jobId: string): Promise<JobFileResult> {
    const refused = this.visualsRefusal(jobId, 'loss curve');
    if (refused) return refused;
    const curve = this.store.curve(jobId);
    if (!curve?.length) {
      const reason = this.store.get(jobId)?.inputsPurged
        ? `the recorded losses of job ${jobId} have expired (they are kept ${this.retentionText()} after a job ends, like its images)`
        : `job ${jobId} has no recorded losses (it ran before the bot kept them)`;
      return { ok: false, reason };
    }
    const o = this.store.get(jobId)!.record.options;
    const png = await renderRunChart(curve, `${o.mode} · ${o.size}px · ${o.optimizer} · job ${jobId}`);
    return { ok: true, file: { name: `losses-${jobId}.png`, data: png, contentType: 'image/png' } };
  }

  get(jobId: string): JobRecord | undefined {
    const a = this.active.get(jobId);
    if (a) return snapshot(a.record);
    return this.store.get(jobId)?.record;
  }

  listActive(platform: Platform, workspaceId: string, userId?: string): JobRecord[] {
    return [...this.active.values()]
      .filter((a) => a.record.owner.platform === platform && a.record.owner.workspaceId === workspaceId && (userId === undefined || a.record.owner.userId === userId))
      .sort((x, y) => x.seq - y.seq)
      .map((a) => snapshot(a.record));
  }

  /** Jobs waiting for an engine (not counting running ones). */
  queueLength(): number {
    return this.queue.waitingCount;
  }

  updateMeta(jobId: string, patch: Record<string, unknown>): void {
    const a = this.active.get(jobId);
    const record = a?.record ?? this.store.get(jobId)?.record;
    if (!record) {
      logger.warn({ job: jobId }, 'updateMeta: no such job');
      return;
    }
    const meta = { ...record.meta, ...patch };
    this.store.updateMeta(jobId, meta);
    if (a) a.record.meta = meta;
  }

  confirmDelivered(jobId: string): void {
    if (this.stopped) return;
    try {
      this.store.markDelivered(jobId);
    } catch (e) {
      logger.warn({ job: jobId, err: (e as Error).message }, 'could not record that the result was posted');
    }
  }

  on(listener: JobListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    if (this.started) return;
    if (this.stopped) throw new Error('the job service was stopped');
    this.started = true;
    this.purgeExpired();
    const period = Math.min(15 * 60_000, Math.max(1000, this.retentionMs / 4));
    this.sweepTimer = setInterval(() => this.purgeExpired(), period);
    this.sweepTimer.unref();
    for (const a of this.active.values()) if (a.resume) this.emit(a, a.resumedFrom ?? { type: 'resumed' });
    this.redeliver();
    const ready = this.queue.start();
    this.orderChanged();
    await ready;
  }

  /** From now on every submit is refused with "restarting, try again in a minute" (graceful shutdown). */
  beginShutdown(): void {
    this.draining = true;
  }

  /**
   * Stops the engines; with checkpointWithinMs each running job is first asked for a checkpoint
   * (its current image and iteration), which it resumes from at the next start. The store stays
   * open (adapters may still record what they posted) until stop().
   */
  stopEngines(opts: { checkpointWithinMs?: number } = {}): Promise<void> {
    this.draining = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.enginesStopped ??= this.queue.stop(opts);
    return this.enginesStopped;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.stopEngines();
    this.stopped = true;
    this.flush();
    this.db.close();
  }

  /** Why the service cannot do its job right now; undefined when it can (readiness). */
  notReady(): NotReady {
    if (this.draining || this.stopped) return 'shutting down';
    if (!this.started) return 'the job service has not started';
    try {
      this.store.ping();
    } catch (e) {
      return `the job store is unreachable: ${(e as Error).message.split('\n')[0]}`;
    }
    const unavailable = this.queue.unavailableReason();
    if (unavailable) return unavailable;
    // A bot on the shared queue with no engine of its own (STYLIZE_WORKERS=0) is ready without one.
    if (this.queue.readyEngines === 0 && this.localEngines > 0) return 'no engine process is ready';
    return undefined;
  }

  // ---- beyond the interface: operators and tests ----

  /** Deletes the images of jobs that ended more than the retention time ago. */
  purgeExpired(now = Date.now()): number {
    if (this.stopped) return 0;
    try {
      const n = this.store.purgeInputs(now - this.retentionMs, now);
      if (n > 0) logger.info({ jobs: n }, 'purged the images of old jobs');
      return n;
    } catch (e) {
      logger.error({ err: (e as Error).message }, 'purge failed');
      return 0;
    }
  }

  /** Worker process ids of the local queue. */
  workerPids(): (number | undefined)[] {
    return this.queue instanceof LocalQueueBackend || this.queue instanceof BullQueueBackend ? this.queue.workerPids() : [];
  }

  // ---- internals ----

  /** "24 h"; shorter retentions (tests, small servers) in minutes or seconds. */
  private retentionText(): string {
    const ms = this.retentionMs;
    if (ms >= 3_600_000) return `${Math.round((ms / 3_600_000) * 10) / 10} h`;
    if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
    return `${Math.round(ms / 1000)} s`;
  }

  /** Why a job has no time-lapse or loss curve to show, if it has none. */
  private visualsRefusal(jobId: string, what: string): { ok: false; reason: string } | undefined {
    const job = this.get(jobId);
    if (!job) return { ok: false, reason: `there is no job ${jobId}` };
    if (job.kind === 'sheet') return { ok: false, reason: `job ${jobId} is a sheet: a ${what} is kept for single runs only` };
    if (job.state === 'queued' || job.state === 'running') return { ok: false, reason: `job ${jobId} is still ${job.state}: ask again once it has finished` };
    if (job.state !== 'completed') return { ok: false, reason: `job ${jobId} ${job.state === 'failed' ? 'failed' : 'was cancelled'}, so it has no ${what}` };
    return undefined;
  }

  private trySubmit(spec: JobSpec): SubmitResult {
    if (this.stopped || this.draining) throw new Refusal(RESTARTING_REASON);
    const unavailable = this.queue.unavailableReason();
    if (unavailable) throw new Refusal(unavailable);
    checkOwner(spec.owner);
    let inputs = checkInputs(spec.inputs);
    const kind: JobKind = spec.kind ?? (spec.sheet !== undefined ? 'sheet' : 'stylize');
    if (kind !== 'stylize' && kind !== 'sheet') throw new Refusal(`unknown job kind "${String(kind)}"`);
    const owner: JobOwner = { platform: spec.owner.platform, workspaceId: spec.owner.workspaceId, channelId: spec.owner.channelId, userId: spec.owner.userId };
    if (spec.owner.threadId !== undefined) owner.threadId = spec.owner.threadId;

    const ws = this.settings.get(owner.platform, owner.workspaceId);
    const limits = effectiveLimits(this.ceilings, ws.limits);
    let options: StyleOptions;
    let sheet: SheetSpec | undefined;
    if (kind === 'sheet') {
      sheet = checkSheetSpec(spec.sheet);
      const contents = sheetContents(inputs);
      options = resolveSheetOptions(spec.options ?? {}, ws.defaults, limits, sheet, { contents: contents.length, styles: inputs.styles.length }).options;
      // Stored as content images 0…n-1 whichever way they came.
      inputs = { contents, styles: inputs.styles };
    } else {
      if (spec.sheet !== undefined) throw new Refusal('sheet settings are only for sheet jobs');
      if (inputs.contents) throw new Refusal('a stylize job takes one content image; several are for sheets');
      options = resolveJobOptions(spec.options ?? {}, ws.defaults, limits);
      checkInputsForOptions(options, inputs);
    }

    const key = userKey(owner);
    let mine = 0;
    for (const a of this.active.values()) if (a.userKey === key) mine++;
    if (mine >= limits.maxUserJobs) {
      throw new Refusal(
        `you already have ${mine} job${mine === 1 ? '' : 's'} queued or running (limit ${limits.maxUserJobs}, maxUserJobs): wait for one to finish or cancel one`,
      );
    }
    if (this.queue.waitingCount >= limits.maxQueue) {
      throw new Refusal(`the queue is full (${this.queue.waitingCount} jobs waiting, limit ${limits.maxQueue}, maxQueue): try again later`);
    }

    const meta = spec.meta && typeof spec.meta === 'object' ? { ...spec.meta } : {};
    const turn = this.queue.nextTurn(key);
    const createdAt = Date.now();
    let id = newJobId();
    while (this.store.get(id)) id = newJobId();
    const seq = this.store.insert(
      { id, kind, owner, options, userOptions: spec.options ?? {}, sheet, parentJobId: spec.parentJobId, meta, turn, timeoutSec: limits.jobTimeoutSec, createdAt },
      inputs,
    );
    const record: JobRecord = { id, kind, state: 'queued', owner, options, meta, createdAt };
    if (sheet) record.sheet = sheet;
    if (spec.parentJobId !== undefined) record.parentJobId = spec.parentJobId;
    const a: ActiveJob = { record, seq, turn, userKey: key, timeoutSec: limits.jobTimeoutSec, resume: false, iterationOffset: 0, scaleSteps: [] };
    this.active.set(id, a);
    const position = this.queue.enqueue({ id, userKey: key, seq, turn, resume: false });
    logger.info({ job: id, user: key, position, mode: options.mode, sheet: sheet?.kind, size: options.size, steps: options.steps }, 'job queued');
    return { ok: true, job: snapshot(record), position };
  }

  /** Loads the unfinished jobs: queued ones wait again in their old order, running ones resume first. */
  private recover(): void {
    for (const s of this.store.active()) {
      const resume = s.record.state === 'running';
      const record: JobRecord = { ...s.record, state: 'queued' };
      const a: ActiveJob = { record, seq: s.seq, turn: s.turn, userKey: userKey(s.record.owner), timeoutSec: s.timeoutSec, resume, iterationOffset: 0, scaleSteps: [] };
      if (resume) a.resumedFrom = this.resumePoint(a);
      this.active.set(record.id, a);
      this.queue.enqueue({ id: record.id, userKey: a.userKey, seq: s.seq, turn: s.turn, resume });
    }
    if (this.active.size > 0) logger.info({ jobs: this.active.size }, 'recovered unfinished jobs');
  }

  /** Where a job that was running goes on from, as its `resumed` event tells the user. */
  private resumePoint(a: ActiveJob): Extract<JobEvent, { type: 'resumed' }> {
    if (a.record.sheet) {
      const runsDone = this.store.sheetRuns(a.record.id).length;
      return runsDone > 0 ? { type: 'resumed', runsDone } : { type: 'resumed' };
    }
    const cp = this.store.checkpoint(a.record.id);
    if (!cp || cp.iteration <= 0 || !this.resumable(a)) return { type: 'resumed' };
    return { type: 'resumed', from: { iteration: cp.iteration, source: cp.source === 'shutdown' ? 'checkpoint' : 'preview' } };
  }

  /** A coarse-to-fine job starts over: its checkpoint is at one of several sizes. */
  private resumable(a: ActiveJob): boolean {
    try {
      return jobPlan(a.record.options).steps.length === 1;
    } catch {
      return false;
    }
  }

  /** Completed jobs whose result was never confirmed posted (the bot died in between) are announced again. */
  private redeliver(): void {
    for (const s of this.store.undelivered()) {
      const result = this.store.result(s.record.id);
      if (!result) continue;
      const event: JobEvent = { type: 'completed', png: result.png, runtimeMs: result.runtimeMs, summary: result.summary };
      if (result.reportJson) event.report = JSON.parse(result.reportJson) as NonNullable<typeof event.report>;
      logger.info({ job: s.record.id }, 'posting a result that was not confirmed before the restart');
      this.outbox.push([event, s.record]);
    }
    if (this.outbox.length > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private hooks(): QueueHooks {
    const guard =
      <A extends unknown[], R>(name: string, f: (...args: A) => R) =>
      (...args: A): R | undefined => {
        try {
          return f(...args);
        } catch (e) {
          logger.error({ err: (e as Error).message, hook: name }, 'job service hook failed');
          return undefined;
        }
      };
    return {
      prepare: (jobId) => this.prepare(jobId),
      payload: (jobId) => this.payload(jobId),
      started: guard('started', (jobId: string, resumed: ResumedAt) => this.onStarted(jobId, resumed)),
      progress: guard('progress', (jobId: string, p: Progress, backend?: string) => this.onProgress(jobId, p, backend)),
      preview: guard('preview', (jobId: string, iteration: number, png: Buffer) => this.onPreview(jobId, iteration, png)),
      checkpoint: guard('checkpoint', (jobId: string, iteration: number, png: Buffer) => this.onCheckpoint(jobId, iteration, png)),
      sheetRun: guard('sheetRun', (jobId: string, run: number, png: Buffer, runJson: string) => this.store.saveSheetRun(jobId, run, png, runJson)),
      engineRestarted: guard('engineRestarted', () => this.metrics?.engineRestarts.inc()),
      finish: (jobId, outcome) => {
        const a = this.active.get(jobId);
        if (a) this.finish(a, outcome, a.cancelledBy);
      },
      orderChanged: guard('orderChanged', () => this.orderChanged()),
    };
  }

  /**
   * A shared queue's job as submitted: the worker that takes it resumes from the checkpoint in
   * Redis by itself (resumable), so nothing here depends on earlier runs.
   */
  private payload(jobId: string): EngineJob | undefined {
    const found = this.activeWithInputs(jobId);
    if (!found) return undefined;
    const { a, inputs } = found;
    if (!this.plan(a, inputs)) return undefined;
    if (a.record.sheet) {
      return {
        jobId,
        sheet: a.record.sheet,
        contents: sheetContents(inputs),
        styles: inputs.styles,
        options: { ...a.record.options, saveEvery: 0 },
        iterationOffset: 0,
        totalSteps: a.sheetSteps ?? 0,
        timeoutMs: a.timeoutSec * 1000,
      };
    }
    return {
      jobId,
      content: inputs.content,
      styles: inputs.styles,
      options: { ...a.record.options, saveEvery: previewEvery(a.record.options) },
      checkpoints: a.scaleSteps.length === 1,
      iterationOffset: 0,
      totalSteps: a.scaleSteps.reduce((x, y) => x + y, 0),
      timeoutMs: a.timeoutSec * 1000,
      resumable: a.scaleSteps.length === 1,
    };
  }

  /** Sets the job's step plan (scales, or sheet runs); false if it cannot run (and was ended). */
  /** `inputs`: the job's images when the caller already read them (a sheet's plan needs their count). */
  private plan(a: ActiveJob, inputs?: JobInputs): boolean {
    try {
      if (a.record.sheet) {
        const images = inputs ?? this.store.inputs(a.record.id);
        const contents = images ? sheetContents(images) : [];
        a.sheetSteps = planSheetRuns(a.record.sheet, contents.length, images?.styles.length ?? 0, a.record.options) * a.record.options.steps;
        a.scaleSteps = [];
      } else {
        a.scaleSteps = jobPlan(a.record.options).steps;
      }
      return true;
    } catch (e) {
      this.finish(a, { kind: 'failed', reason: (e as Error).message });
      return false;
    }
  }

  /** A shared queue's job started on some machine (again, after a worker died: resumedAt > 0). */
  private onStarted(jobId: string, resumed: ResumedAt): void {
    const a = this.active.get(jobId);
    if (!a) return;
    if (a.scaleSteps.length === 0 && a.sheetSteps === undefined && !this.plan(a)) return;
    a.iterationOffset = resumed.iteration ?? 0;
    if (resumed.iteration) this.emit(a, { type: 'resumed', from: { iteration: resumed.iteration, source: resumed.source ?? 'preview' } });
    else if (resumed.runsDone) this.emit(a, { type: 'resumed', runsDone: resumed.runsDone });
    this.markStarted(a);
  }

  /** A job that is still active, with its images; a job whose images are gone fails here. */
  private activeWithInputs(jobId: string): { a: ActiveJob; inputs: JobInputs } | undefined {
    const a = this.active.get(jobId);
    if (!a) return undefined;
    const inputs = this.store.inputs(jobId);
    if (!inputs) {
      this.finish(a, { kind: 'failed', reason: "the job's images are missing from the database" });
      return undefined;
    }
    return { a, inputs };
  }

  private prepare(jobId: string): EngineJob | undefined {
    const found = this.activeWithInputs(jobId);
    if (!found) return undefined;
    const { a, inputs } = found;
    if (a.record.sheet) return this.prepareSheet(a, a.record.sheet, inputs);
    let plan;
    try {
      plan = jobPlan(a.record.options);
    } catch (e) {
      this.finish(a, { kind: 'failed', reason: (e as Error).message });
      return undefined;
    }
    a.scaleSteps = plan.steps;
    const total = totalSteps(plan);
    let options = { ...a.record.options, saveEvery: previewEvery(a.record.options) };
    let initImage: Buffer | undefined;
    a.iterationOffset = 0;
    // Resume from the checkpoint (taken at a graceful stop, else the latest preview) rather than
    // from scratch: a restart should not cost a long job all its progress. L-BFGS loses its
    // history; the image keeps what was achieved. A coarse-to-fine job starts over: its
    // checkpoint is at one of several sizes.
    const single = plan.steps.length === 1;
    const cp = a.resume && single ? this.store.checkpoint(jobId) : undefined;
    if (cp && cp.iteration > 0 && cp.iteration <= total) {
      options = { ...options, init: 'image', steps: total - cp.iteration };
      initImage = cp.png;
      a.iterationOffset = cp.iteration;
    }
    this.markStarted(a);
    return {
      jobId,
      content: inputs.content,
      styles: inputs.styles,
      initImage,
      options,
      checkpoints: single,
      iterationOffset: a.iterationOffset,
      totalSteps: total,
      timeoutMs: a.timeoutSec * 1000,
    };
  }

  /**
   * A sheet resumes at its first unfinished run after a restart: finished runs are stored as they
   * end; the run that was under way starts over (a half-done run is worth less than its state).
   */
  private prepareSheet(a: ActiveJob, sheet: SheetSpec, inputs: JobInputs): EngineJob | undefined {
    const contents = sheetContents(inputs);
    let runs: number;
    try {
      runs = planSheetRuns(sheet, contents.length, inputs.styles.length, a.record.options);
    } catch (e) {
      this.finish(a, { kind: 'failed', reason: (e as Error).message });
      return undefined;
    }
    a.iterationOffset = 0;
    a.scaleSteps = [];
    a.sheetSteps = runs * a.record.options.steps;
    const sheetRuns = a.resume ? this.store.sheetRuns(a.record.id) : [];
    this.markStarted(a);
    return {
      jobId: a.record.id,
      sheet,
      contents,
      styles: inputs.styles,
      sheetRuns,
      options: { ...a.record.options, saveEvery: 0 },
      iterationOffset: 0,
      totalSteps: a.sheetSteps,
      timeoutMs: a.timeoutSec * 1000,
    };
  }

  private markStarted(a: ActiveJob): void {
    if (a.record.startedAt === undefined) {
      this.metrics?.queueWaitSeconds.observe(this.labels(a), (Date.now() - a.record.createdAt) / 1000);
    }
    const startedAt = a.record.startedAt ?? Date.now();
    this.store.markRunning(a.record.id, startedAt);
    a.record.state = 'running';
    a.record.startedAt = startedAt;
    a.lastPosition = undefined;
    this.emit(a, { type: 'started' });
    logger.info({ job: a.record.id, resumeAt: a.iterationOffset || undefined }, 'job started');
  }

  private labels(a: ActiveJob): { platform: string; mode: string } {
    return { platform: platformLabel(a.record.owner.platform), mode: modeLabel(a.record.sheet ? 'sheet' : a.record.options.mode) };
  }

  private onProgress(jobId: string, p: Progress, backend?: string): void {
    const a = this.active.get(jobId);
    if (!a) return;
    // Iteration 0 includes building the objective: not a pace.
    if (this.metrics && p.iteration > 0 && Number.isFinite(p.iterationMs)) {
      this.metrics.iterationSeconds.observe({ backend: backendLabel(backend), size: sizeBucket(a.record.options.size) }, p.iterationMs / 1000);
    }
    if (a.sheetSteps !== undefined) {
      // The engine already counts over all the sheet's runs.
      this.emit(a, { type: 'progress', iteration: p.iteration, steps: a.sheetSteps, losses: p.losses, elapsedMs: p.elapsedMs, etaMs: p.etaMs });
      return;
    }
    // Coarse-to-fine runs count each scale from 0: chat shows one count over the whole job.
    const before = p.scale && p.scale > 1 ? a.scaleSteps.slice(0, p.scale - 1).reduce((x, y) => x + y, 0) : 0;
    this.emit(a, {
      type: 'progress',
      iteration: before + p.iteration + a.iterationOffset,
      steps: a.scaleSteps.length > 0 ? a.scaleSteps.reduce((x, y) => x + y, 0) : a.record.options.steps,
      losses: p.losses,
      elapsedMs: p.elapsedMs,
      etaMs: p.etaMs,
    });
  }

  private onPreview(jobId: string, iteration: number, png: Buffer): void {
    const a = this.active.get(jobId);
    if (!a) return;
    const at = iteration + a.iterationOffset;
    try {
      this.store.saveCheckpoint(jobId, at, png);
    } catch (e) {
      logger.warn({ job: jobId, err: (e as Error).message }, 'could not save the preview checkpoint');
    }
    this.emit(a, { type: 'preview', iteration: at, png });
  }

  private onCheckpoint(jobId: string, iteration: number, png: Buffer): void {
    const a = this.active.get(jobId);
    if (!a) return;
    const at = iteration + a.iterationOffset;
    this.store.saveCheckpoint(jobId, at, png, 'shutdown');
    logger.info({ job: jobId, iteration: at }, 'checkpoint saved');
  }

  private finish(a: ActiveJob, outcome: EngineOutcome, cancelledBy?: string): void {
    if (outcome.kind === 'interrupted' || !this.active.has(a.record.id)) return;
    const id = a.record.id;
    const now = Date.now();
    this.active.delete(id);
    a.record.finishedAt = now;
    const labels = this.labels(a);
    if (a.record.startedAt !== undefined && outcome.kind !== 'cancelled') this.metrics?.jobRunSeconds.observe(labels, (now - a.record.startedAt) / 1000);
    switch (outcome.kind) {
      case 'completed': {
        if (outcome.frames?.length || outcome.curve?.length) {
          try {
            this.store.saveVisuals(id, outcome.frames ?? [], outcome.curve ?? []);
          } catch (e) {
            logger.warn({ job: id, err: (e as Error).message }, 'could not store the time-lapse frames and losses');
          }
        }
        const o = a.record.options;
        const summary =
          outcome.summary ??
          `${o.mode} · ${outcome.width}×${outcome.height} · ${outcome.iterations} ${o.optimizer} iterations in ${formatDuration(outcome.runtimeMs)} · ` +
            formatLosses(outcome.losses);
        // The result is kept with the job until an adapter confirms it was posted.
        const reportJson = outcome.report ? JSON.stringify(outcome.report) : undefined;
        this.store.markFinished(id, 'completed', now, undefined, undefined, { png: outcome.png, runtimeMs: outcome.runtimeMs, summary, reportJson });
        if (process.env[TEST_CRASH_AFTER_COMPLETION] === '1') process.kill(process.pid, 'SIGKILL');
        a.record.state = 'completed';
        this.metrics?.jobsCompleted.inc(labels);
        const event: JobEvent = { type: 'completed', png: outcome.png, runtimeMs: outcome.runtimeMs, summary };
        if (outcome.report) event.report = outcome.report;
        if (outcome.compare) event.compare = outcome.compare;
        this.emit(a, event);
        logger.info({ job: id, runtimeMs: Math.round(outcome.runtimeMs) }, 'job completed');
        break;
      }
      case 'failed':
        this.store.markFinished(id, 'failed', now, outcome.reason);
        this.metrics?.jobsFailed.inc(labels);
        a.record.state = 'failed';
        a.record.error = outcome.reason;
        this.emit(a, { type: 'failed', reason: outcome.reason });
        logger.warn({ job: id, reason: outcome.reason }, 'job failed');
        break;
      case 'cancelled': {
        const by = cancelledBy ?? 'system';
        this.store.markFinished(id, 'cancelled', now, undefined, by);
        this.metrics?.jobsCancelled.inc(labels);
        a.record.state = 'cancelled';
        this.emit(a, { type: 'cancelled', by });
        logger.info({ job: id, by }, 'job cancelled');
        break;
      }
    }
  }

  /** Tells each waiting job its position when it changed. */
  private orderChanged(): void {
    if (!this.started || this.holdPositions) return;
    this.queue.waitingIds().forEach((id, i) => {
      const a = this.active.get(id);
      if (!a || a.lastPosition === i + 1) return;
      a.lastPosition = i + 1;
      this.emit(a, { type: 'queued', position: i + 1 });
    });
  }

  // Events go out after the current call returns (a microtask later, in order), so an adapter
  // sees submit()'s result before the job's first event, and a listener that calls back into the
  // service never re-enters it half-way through a state change.
  private emit(a: ActiveJob, event: JobEvent): void {
    this.outbox.push([event, snapshot(a.record)]);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.outbox;
    this.outbox = [];
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

export function createJobService(config: JobServiceConfig): LocalJobService {
  return new LocalJobService(config);
}


