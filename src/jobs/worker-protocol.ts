// IPC messages between the job service and an engine worker process. Buffers travel as Buffers:
// the worker is forked with serialization: 'advanced' (structured clone), not JSON.
import type { Losses, Progress } from '../engine/types.ts';
import type { StyleOptions } from '../options.ts';

export interface EngineJob {
  jobId: string;
  content?: Buffer;
  styles: Buffer[];
  /** Resuming: the latest preview, started from with init=image. */
  initImage?: Buffer;
  /** Already adjusted: effective saveEvery, and the remaining steps when resuming. */
  options: StyleOptions;
  /** Added to the engine's iteration numbers (the iterations done before a resume). */
  iterationOffset: number;
  /** Total steps of the job, reported in progress events. */
  totalSteps: number;
  timeoutMs: number;
}

export type ToWorker =
  | { type: 'init'; weightsPath: string; backend?: string; wasmThreads?: number }
  | { type: 'run'; jobId: string; content?: Buffer; styles: Buffer[]; initImage?: Buffer; options: StyleOptions }
  | { type: 'cancel'; jobId: string };

export type FromWorker =
  | { type: 'ready'; backend: string }
  | { type: 'fatal'; message: string }
  | { type: 'progress'; jobId: string; progress: Progress }
  | { type: 'preview'; jobId: string; iteration: number; png: Buffer }
  | { type: 'done'; jobId: string; png: Buffer; width: number; height: number; losses: Losses; iterations: number; runtimeMs: number }
  | { type: 'error'; jobId: string; message: string; cancelled: boolean };

export type EngineOutcome =
  | { kind: 'completed'; png: Buffer; width: number; height: number; losses: Losses; iterations: number; runtimeMs: number }
  | { kind: 'failed'; reason: string }
  | { kind: 'cancelled' }
  /** The service is stopping: the job is left running, to resume at the next start. */
  | { kind: 'interrupted' };
