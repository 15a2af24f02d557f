// What the job service needs from a queue: an order of waiting jobs and engines that run them.
// LocalQueueBackend (local-queue.ts) keeps both in this process. A queue shared by several GPU
// machines (RedisQueueBackend, redis/redis-queue.ts, on Redis) implements the same interface; the
// service is handed one (create-queue.ts picks it from the config), keeps owning persistence,
// limits, settings and events, and only talks to the queue through these calls.
import type { Progress } from '../../engine/types.ts';
import type { FairEntry } from './fair-order.ts';
import type { EngineJob, EngineOutcome } from '../engine-process/protocol.ts';

export type QueueEntry = FairEntry;

/** Where a job on a shared queue started: a stylize job's checkpoint, or a sheet's finished runs (nothing: the start). */
export interface ResumedAt {
  iteration?: number;
  source?: 'checkpoint' | 'preview';
  runsDone?: number;
}

/** Calls from the queue back into the service. */
export interface QueueHooks {
  /** An engine is free for this job: mark it running and return what to run (undefined: skip it). */
  prepare(jobId: string): EngineJob | undefined;
  /** backend: the backend of the engine running it (e.g. onnx-cpu), when known (metrics). */
  progress(jobId: string, p: Progress, backend?: string): void;
  preview(jobId: string, iteration: number, png: Buffer): void;
  /** Taken at a graceful stop: the job resumes from here at the next start. */
  checkpoint(jobId: string, iteration: number, png: Buffer): void;
  /** A sheet's run finished: a restart continues after it. */
  sheetRun(jobId: string, run: number, png: Buffer, runJson: string): void;
  /** An engine process died and is being restarted (metrics). */
  engineRestarted(): void;
  finish(jobId: string, outcome: EngineOutcome): void;
  /**
   * Shared queues: what to run, computed when the job is handed to the queue, without starting it
   * (the machine that takes it may be another one). undefined: the job could not be planned and was ended.
   */
  payload(jobId: string): EngineJob | undefined;
  /** Shared queues: the job started on some machine, from the start or (after a worker died or stopped) resumed. */
  started(jobId: string, resumed: ResumedAt): void;
  /** The waiting order changed: a job joined, left or started. */
  orderChanged(): void;
}

export interface JobQueueBackend {
  setHooks(hooks: QueueHooks): void;
  /** The fairness turn a job submitted now by this user gets (see fair-order.ts). */
  nextTurn(userKey: string): number;
  /** Adds a waiting job; returns its 1-based position. */
  enqueue(entry: QueueEntry): number;
  /** A waiting job leaves the queue; false if it is not waiting. */
  remove(jobId: string): boolean;
  /** Asks a running job to stop; false if it is not running here. */
  cancelRunning(jobId: string): boolean;
  position(jobId: string): number | undefined;
  /** Waiting job ids, next first. */
  waitingIds(): string[];
  readonly waitingCount: number;
  readonly runningCount: number;
  /** Why no job can be queued right now (e.g. Redis is down); undefined when it can. */
  unavailableReason(): string | undefined;
  /** Engines started and able to take a job (readiness). */
  readonly readyEngines: number;
  /** Engine processes this backend runs in this process (0: a shared queue whose engines are all on other machines). */
  readonly localEngines: number;
  /** Process ids of this process's engines (undefined: one not started); operators and tests. */
  workerPids(): (number | undefined)[];
  /** Starts the engines and begins dispatching. */
  start(): Promise<void>;
  /**
   * Stops dispatching and the engines; running jobs are settled as interrupted. With
   * checkpointWithinMs, each running job is first asked for a checkpoint (hooks.checkpoint).
   */
  stop(opts?: { checkpointWithinMs?: number }): Promise<void>;
}
