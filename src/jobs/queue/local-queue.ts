// The queue of one machine: the fair order of waiting jobs, p-queue bounding how many run at once
// (one per engine worker process), and the worker processes themselves.
//
// p-queue runs tasks in the order they were added, but the fair order changes as jobs are
// submitted, so jobs are not added to p-queue when submitted: p-queue is fed one job per free
// engine, picked from the fair order at the moment an engine frees up. p-queue's concurrency is what
// keeps a job off an engine until the previous one has let go of it; the feeding counts its own
// `inFlight`, released as soon as a job's outcome is known, so the next job is chosen (and told it
// started) in the same turn as the previous one ends, with no window where a new submit sees a busy
// engine that is in fact free.
import PQueue from 'p-queue';
import { logger } from '../../log.ts';
import { EngineProcess, type EngineProcessConfig } from '../engine-process/parent-handle.ts';
import { FairOrder } from './fair-order.ts';
import type { JobQueueBackend, QueueEntry, QueueHooks } from './queue-backend.ts';
import type { EngineJob, EngineOutcome } from '../engine-process/protocol.ts';

export interface LocalQueueConfig extends EngineProcessConfig {
  /** Engine worker processes = jobs running at once (default 1: one GPU). */
  workers: number;
}

export class LocalQueueBackend implements JobQueueBackend {
  private readonly order = new FairOrder();
  private readonly queue: PQueue;
  private readonly engines: EngineProcess[];
  private readonly idle: EngineProcess[];
  private readonly runningOn = new Map<string, EngineProcess>();
  /** Handed to p-queue, not yet on an engine. */
  private readonly dispatched = new Set<string>();
  private readonly cancelBeforeStart = new Set<string>();
  private hooks: QueueHooks | undefined;
  private inFlight = 0;
  private started = false;
  private stopped = false;

  constructor(config: LocalQueueConfig) {
    if (!Number.isInteger(config.workers) || config.workers < 1) throw new Error(`workers: expected a whole number ≥ 1, got ${config.workers}`);
    const engineConfig = { ...config, onRestart: () => this.hooks?.engineRestarted() };
    this.engines = Array.from({ length: config.workers }, (_, i) => new EngineProcess(engineConfig, i));
    this.idle = [...this.engines];
    this.queue = new PQueue({ concurrency: config.workers });
  }

  setHooks(hooks: QueueHooks): void {
    this.hooks = hooks;
  }

  nextTurn(userKey: string): number {
    return this.order.nextTurn(userKey);
  }

  enqueue(entry: QueueEntry): number {
    const position = this.order.add(entry);
    this.hooks?.orderChanged();
    this.pump();
    return position;
  }

  remove(jobId: string): boolean {
    if (!this.order.remove(jobId)) return false;
    this.hooks?.orderChanged();
    return true;
  }

  cancelRunning(jobId: string): boolean {
    const engine = this.runningOn.get(jobId);
    if (engine) return engine.cancel(jobId);
    if (this.dispatched.has(jobId)) {
      this.cancelBeforeStart.add(jobId);
      return true;
    }
    return false;
  }

  unavailableReason(): string | undefined {
    return undefined;
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

  get readyEngines(): number {
    return this.stopped ? 0 : this.engines.filter((e) => e.backend !== undefined).length;
  }

  get localEngines(): number {
    return this.engines.length;
  }

  /** Worker process ids (undefined while one is restarting), for operators and tests. */
  workerPids(): (number | undefined)[] {
    return this.engines.map((e) => e.pid);
  }

  async start(): Promise<void> {
    this.started = true;
    const ready = this.engines.map((e) => e.startWithRetries());
    this.pump();
    try {
      await Promise.all(ready);
    } catch (e) {
      throw new Error(`the engine could not start: ${(e as Error).message}`);
    }
  }

  async stop(opts: { checkpointWithinMs?: number } = {}): Promise<void> {
    this.stopped = true;
    this.queue.clear();
    await Promise.all(this.engines.map((e) => e.stop(opts)));
    await this.queue.onIdle();
  }

  private pump(): void {
    const hooks = this.hooks;
    if (!this.started || this.stopped || !hooks) return;
    let changed = false;
    while (this.inFlight < this.queue.concurrency) {
      const entry = this.order.takeNext();
      if (!entry) break;
      changed = true;
      let job: EngineJob | undefined;
      try {
        job = hooks.prepare(entry.id);
      } catch (e) {
        logger.error({ job: entry.id, err: (e as Error).message }, 'could not prepare job');
      }
      if (!job) {
        this.order.finished(entry.id);
        continue;
      }
      this.dispatched.add(entry.id);
      this.inFlight++;
      const dispatchedJob = job;
      void this.queue.add(() => this.execute(dispatchedJob));
    }
    if (changed) hooks.orderChanged();
  }

  private async execute(job: EngineJob): Promise<void> {
    const { jobId } = job;
    const engine = this.idle.pop();
    this.dispatched.delete(jobId);
    let outcome: EngineOutcome;
    try {
      if (!engine) throw new Error('no free engine (p-queue concurrency and engine count disagree)');
      this.runningOn.set(jobId, engine);
      if (this.cancelBeforeStart.delete(jobId)) outcome = { kind: 'cancelled' };
      else {
        outcome = await engine.run(job, {
          onProgress: (p) => this.hooks?.progress(jobId, p, engine.backend),
          onPreview: (iteration, png) => this.hooks?.preview(jobId, iteration, png),
          onCheckpoint: (iteration, png) => this.hooks?.checkpoint(jobId, iteration, png),
          onSheetRun: (run, png, runJson) => this.hooks?.sheetRun(jobId, run, png, runJson),
        });
      }
    } catch (e) {
      outcome = { kind: 'failed', reason: (e as Error).message };
    } finally {
      this.runningOn.delete(jobId);
      if (engine) this.idle.push(engine);
      this.order.finished(jobId);
      this.inFlight--;
    }
    if (this.stopped || outcome.kind === 'interrupted') return;
    try {
      this.hooks?.finish(jobId, outcome);
    } catch (e) {
      logger.error({ job: jobId, err: (e as Error).message }, 'could not record the end of a job');
    }
    this.pump();
  }
}
