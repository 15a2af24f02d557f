// The job service the chat adapters talk to (JobService): checks and stores submitted jobs, keeps
// the fair queue moving through the JobQueueBackend it is handed (this machine's engines or the
// shared queue on Redis: create-job-service.ts picks it), turns what the engines report into
// JobEvents, and recovers after a restart. Everything a chat handler calls is synchronous and quick
// (SQLite writes only).
import type { Progress } from '../engine/types.ts';
import { logger } from '../log.ts';
import { OptionsError, type Mode } from '../options.ts';
import { newJobId, progressEvent, snapshot, userKey, type ActiveJob } from './active-job.ts';
import { admit, checkCaps, rerunSpec } from './admission.ts';
import { openDatabase, type Db } from './db.ts';
import { buildEngineJob, stepPlan, type StepPlan } from './engine-job.ts';
import type { EngineJob, EngineOutcome } from './engine-process/protocol.ts';
import { EventOutbox } from './event-outbox.ts';
import { gridPickSpec, saveRun } from './grid-jobs.ts';
import { JobFiles } from './job-files.ts';
import { JobHistory } from './job-history.ts';
import { JobMetrics } from './job-metrics.ts';
import { Refusal } from './job-rules.ts';
import { JobStore } from './job-store.ts';
import { limitsFromEnv } from './limits.ts';
import type { JobQueueBackend, QueueHooks, ResumedAt } from './queue/queue-backend.ts';
import { recoverActiveJobs, resumePoint, resumeStart, undeliveredEndings } from './recovery.ts';
import { crashedTwiceReason, ENGINE_CRASH_LIMIT } from './engine-crashes.ts';
import { storeResult } from './results.ts';
import { RetentionSweep } from './retention.ts';
import { retentionFromEnv, type CoordinatorConfig } from './service-config.ts';
import { SqliteSettingsStore } from './settings-store.ts';
import { WorkspaceStyles } from './workspace-styles.ts';
import type { Actor, CancelResult, GridPick, JobEvent, JobFileResult, JobInputs, JobListener, JobOwner, JobRecord, JobService, JobSpec, Limits, Platform, SubmitResult, TimelapseRequest } from './types.ts';

/** Why the service cannot take or run jobs right now (readiness); undefined when it can. */
export type NotReady = string | undefined;

export const RESTARTING_REASON = 'the bot is restarting, try again in a minute';

// Test-only (never set it in production): =1 kills the process with SIGKILL right after a completed
// job's result is stored and before any adapter hears of it: the restarted bot must post it exactly once.
const TEST_CRASH_AFTER_COMPLETION = 'STYLIZE_TEST_CRASH_AFTER_COMPLETION';

export class JobCoordinator implements JobService {
  readonly settings: SqliteSettingsStore;
  readonly ceilings: Limits;
  readonly styles: WorkspaceStyles;
  readonly history: JobHistory;
  private readonly db: Db;
  private readonly store: JobStore;
  private readonly retention: RetentionSweep;
  private readonly active = new Map<string, ActiveJob>();
  private readonly outbox = new EventOutbox();
  private readonly files: JobFiles;
  private started = false;
  private stopped = false;
  private draining = false;
  private enginesStopped: Promise<void> | undefined;
  private holdPositions = false;
  private readonly metrics: JobMetrics;

  constructor(
    config: CoordinatorConfig,
    private readonly queue: JobQueueBackend,
  ) {
    this.ceilings = { ...limitsFromEnv(process.env), ...config.ceilings };
    const retentionMs = (config.retentionHours ?? retentionFromEnv(process.env)) * 3_600_000;
    this.metrics = new JobMetrics(config.metrics);
    this.db = openDatabase(config.dataDir);
    this.store = new JobStore(this.db);
    this.settings = new SqliteSettingsStore(this.db, () => this.ceilings);
    this.retention = new RetentionSweep(this.store, retentionMs);
    this.styles = WorkspaceStyles.open(this.db, this.settings, () => this.ceilings);
    this.history = new JobHistory(this.db, this.store, retentionMs);
    this.files = new JobFiles(this.store, retentionMs, (jobId) => this.get(jobId));
    this.queue.setHooks(this.hooks());
    this.recover();
    this.metrics.watchQueue({
      waiting: () => this.queue.waitingCount,
      running: () => [...this.active.values()].filter((a) => a.record.state === 'running').length,
    });
  }

  // ---- JobService ----

  submit(spec: JobSpec): SubmitResult {
    const result = this.submitOrRefuse(spec);
    this.metrics.submitted(spec, result.ok);
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
      const found = rerunSpec(this.store, jobId, mode, owner, meta, this.retention.retentionMs);
      return 'spec' in found ? this.submit(found.spec) : { ok: false, reason: found.reason };
    } catch (e) {
      logger.error({ err: (e as Error).message, job: jobId }, 'rerun failed');
      return { ok: false, reason: `the job could not be queued: ${(e as Error).message.split('\n')[0]}` };
    }
  }

  fromGrid(jobId: string, pick: GridPick, owner: JobOwner, meta?: Record<string, unknown>): SubmitResult {
    const found = gridPickSpec(this.store, jobId, pick, owner, meta, this.retention.retentionMs);
    return 'spec' in found ? this.submit(found.spec) : { ok: false, reason: found.reason };
  }

  timelapse(jobId: string, request: TimelapseRequest = {}): Promise<JobFileResult> {
    return this.files.timelapse(jobId, request);
  }

  lossChart(jobId: string): Promise<JobFileResult> {
    return this.files.lossChart(jobId);
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
      logger.warn({ job: jobId, err: (e as Error).message }, 'could not record that the result or failure was posted');
    }
  }

  on(listener: JobListener): () => void {
    return this.outbox.on(listener);
  }

  async start(): Promise<void> {
    if (this.started) return;
    if (this.stopped) throw new Error('the job service was stopped');
    this.started = true;
    this.retention.start();
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
    this.retention.stop();
    this.enginesStopped ??= this.queue.stop(opts);
    return this.enginesStopped;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.stopEngines();
    this.stopped = true;
    this.outbox.flush();
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
    if (this.queue.readyEngines === 0 && this.queue.localEngines > 0) return 'no engine process is ready';
    return undefined;
  }

  // ---- beyond the interface: operators and tests ----

  /** Deletes the images of jobs that ended more than the retention time ago. */
  purgeExpired(now = Date.now()): number {
    return this.stopped ? 0 : this.retention.purge(now);
  }

  /** Process ids of this process's engines. */
  workerPids(): (number | undefined)[] {
    return this.queue.workerPids();
  }

  // ---- internals ----

  private trySubmit(spec: JobSpec): SubmitResult {
    if (this.stopped || this.draining) throw new Refusal(RESTARTING_REASON);
    const unavailable = this.queue.unavailableReason();
    if (unavailable) throw new Refusal(unavailable);
    const { kind, owner, inputs, options, sheet, grid, limits } = admit(spec, this.settings, this.ceilings, this.styles);
    const key = userKey(owner);
    let mine = 0;
    for (const a of this.active.values()) if (a.userKey === key) mine++;
    checkCaps(limits, mine, this.queue.waitingCount);

    const meta = spec.meta && typeof spec.meta === 'object' ? { ...spec.meta } : {};
    const turn = this.queue.nextTurn(key);
    const createdAt = Date.now();
    let id = newJobId();
    while (this.store.get(id)) id = newJobId();
    const seq = this.store.insert(
      { id, kind, owner, options, userOptions: spec.options ?? {}, sheet, grid, parentJobId: spec.parentJobId, meta, turn, timeoutSec: limits.jobTimeoutSec, createdAt },
      inputs,
    );
    const record: JobRecord = { id, kind, state: 'queued', owner, options, meta, createdAt };
    if (sheet) record.sheet = sheet;
    if (grid) record.grid = grid;
    if (spec.parentJobId !== undefined) record.parentJobId = spec.parentJobId;
    const a: ActiveJob = { record, seq, turn, userKey: key, timeoutSec: limits.jobTimeoutSec, resume: false, iterationOffset: 0, scaleSteps: [] };
    this.active.set(id, a);
    const position = this.queue.enqueue({ id, userKey: key, seq, turn, resume: false });
    logger.info({ job: id, user: key, position, mode: options.mode, sheet: sheet?.kind, size: options.size, steps: options.steps }, 'job queued');
    return { ok: true, job: snapshot(record), position };
  }

  /** Loads the unfinished jobs: queued ones wait again in their old order, running ones resume first. */
  private recover(): void {
    for (const a of recoverActiveJobs(this.store)) {
      this.active.set(a.record.id, a);
      this.queue.enqueue({ id: a.record.id, userKey: a.userKey, seq: a.seq, turn: a.turn, resume: a.resume });
    }
    if (this.active.size > 0) logger.info({ jobs: this.active.size }, 'recovered unfinished jobs');
  }

  /** Finished jobs whose result or failure was never confirmed posted (the bot died in between) are announced again. */
  private redeliver(): void {
    for (const [event, record] of undeliveredEndings(this.store)) {
      logger.info({ job: record.id }, `posting a ${event.type === 'failed' ? 'failure' : 'result'} that was not confirmed before the restart`);
      this.outbox.push(event, record);
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
      sheetRun: guard('sheetRun', (jobId: string, run: number, png: Buffer, runJson: string) => saveRun(this.store, jobId, this.active.get(jobId)?.record.kind, { run, png, runJson })),
      engineRestarted: guard('engineRestarted', () => this.metrics.engineRestarted()),
      finish: (jobId, outcome) => {
        const a = this.active.get(jobId);
        if (!a) return;
        if (outcome.kind === 'crashed') this.afterCrash(a, outcome.how);
        else this.finish(a, outcome, a.cancelledBy);
      },
      orderChanged: guard('orderChanged', () => this.orderChanged()),
    };
  }

  /**
   * A shared queue's job as submitted: the worker that takes it resumes from the checkpoint in
   * Redis by itself, so nothing here depends on earlier runs.
   */
  private payload(jobId: string): EngineJob | undefined {
    const found = this.activeWithInputs(jobId);
    if (!found) return undefined;
    const { a, inputs } = found;
    const plan = this.plan(a, inputs);
    return plan && buildEngineJob(a.record, a.timeoutSec, inputs, plan, { shared: true });
  }

  /** Sets the job's step plan; undefined if it cannot run (and was ended). `inputs`: when the caller has read them. */
  private plan(a: ActiveJob, inputs?: JobInputs): StepPlan | undefined {
    try {
      const plan = stepPlan(a.record, inputs ?? (a.record.sheet ? this.store.inputs(a.record.id) : undefined));
      a.scaleSteps = plan.scaleSteps;
      a.sheetSteps = plan.sheetSteps;
      return plan;
    } catch (e) {
      this.finish(a, { kind: 'failed', reason: (e as Error).message });
      return undefined;
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

  /** An engine of this machine is free for the job: it starts now. */
  private prepare(jobId: string): EngineJob | undefined {
    const found = this.activeWithInputs(jobId);
    if (!found) return undefined;
    const { a, inputs } = found;
    const plan = this.plan(a, inputs);
    if (!plan) return undefined;
    const job = buildEngineJob(a.record, a.timeoutSec, inputs, plan, resumeStart(this.store, a, plan));
    a.iterationOffset = job.iterationOffset;
    this.markStarted(a);
    return job;
  }

  private markStarted(a: ActiveJob): void {
    if (a.record.startedAt === undefined) this.metrics.firstStarted(a, Date.now());
    const startedAt = a.record.startedAt ?? Date.now();
    this.store.markRunning(a.record.id, startedAt);
    a.record.state = 'running';
    a.record.startedAt = startedAt;
    a.lastPosition = undefined;
    this.emit(a, { type: 'started' });
    logger.info({ job: a.record.id, resumeAt: a.iterationOffset || undefined }, 'job started');
  }

  private onProgress(jobId: string, p: Progress, backend?: string): void {
    const a = this.active.get(jobId);
    if (!a) return;
    this.metrics.progress(a, p, backend);
    this.emit(a, progressEvent(a, p));
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

  /** The engine died under the job: the first time it waits again, first in line, to resume; the second time it fails. */
  private afterCrash(a: ActiveJob, how: string): void {
    if (this.store.engineCrashed(a.record.id) >= ENGINE_CRASH_LIMIT) return this.finish(a, { kind: 'failed', reason: crashedTwiceReason(how) });
    a.resume = true;
    a.record.state = 'queued';
    this.emit(a, resumePoint(this.store, a.record));
    this.queue.enqueue({ id: a.record.id, userKey: a.userKey, seq: a.seq, turn: a.turn, resume: true });
  }

  private finish(a: ActiveJob, outcome: Exclude<EngineOutcome, { kind: 'crashed' }>, cancelledBy?: string): void {
    if (outcome.kind === 'interrupted' || !this.active.has(a.record.id)) return;
    const id = a.record.id;
    const now = Date.now();
    this.active.delete(id);
    a.record.finishedAt = now;
    switch (outcome.kind) {
      case 'completed': {
        // The result is kept with the job until an adapter confirms it was posted.
        const event = storeResult(this.store, a.record, now, outcome);
        if (process.env[TEST_CRASH_AFTER_COMPLETION] === '1') process.kill(process.pid, 'SIGKILL');
        a.record.state = 'completed';
        this.metrics.finished(a, 'completed', now);
        this.emit(a, event);
        logger.info({ job: id, runtimeMs: Math.round(outcome.runtimeMs) }, 'job completed');
        break;
      }
      case 'failed':
        this.store.markFinished(id, 'failed', now, outcome.reason);
        this.metrics.finished(a, 'failed', now);
        a.record.state = 'failed';
        a.record.error = outcome.reason;
        this.emit(a, { type: 'failed', reason: outcome.reason });
        logger.warn({ job: id, reason: outcome.reason }, 'job failed');
        break;
      case 'cancelled': {
        const by = cancelledBy ?? 'system';
        this.store.markFinished(id, 'cancelled', now, undefined, by);
        this.metrics.finished(a, 'cancelled', now);
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

  private emit(a: ActiveJob, event: JobEvent): void {
    this.outbox.push(event, snapshot(a.record));
  }
}
