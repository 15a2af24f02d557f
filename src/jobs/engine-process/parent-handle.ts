// The engine process, parent side: the handle on one engine child process (child.ts). It starts
// it, runs one job at a time on it, and turns everything that can go wrong in a child (a crash,
// OOM, SIGKILL, a hang past the time limit, a cancel that is not honoured) into an outcome for that
// job, restarting the process after.
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Progress } from '../../engine/types.ts';
import { logger } from '../../log.ts';
import type { EngineJob, EngineOutcome, FromEngineChild, ToEngineChild } from './protocol.ts';

/** The script the engine child process runs. */
export const ENGINE_CHILD_ENTRY = fileURLToPath(new URL('./child.ts', import.meta.url));

export interface EngineProcessConfig {
  /** The engine child process's script (src/jobs/engine-process/child.ts). */
  entry: string;
  weightsPath: string;
  backend?: string;
  /** Threads of the engine in the process (ONNX Runtime's intra-op pool, or wasm's). */
  engineThreads?: number;
  /** How long a running job may take to honour a cancel before its process is killed. */
  cancelGraceMs?: number;
  env?: NodeJS.ProcessEnv;
  /** A worker process that had been ready died and is being restarted (metrics). */
  onRestart?: () => void;
}

export interface RunCallbacks {
  onProgress(p: Progress): void;
  onPreview(iteration: number, png: Buffer): void;
  /** Shutting down: the current image and iteration, to resume from. */
  onCheckpoint?(iteration: number, png: Buffer): void;
  /** A sheet's run finished (kept so a restart continues after it). */
  onSheetRun?(run: number, png: Buffer, runJson: string): void;
}

export interface StopOptions {
  /** Ask the running job for a checkpoint first, waiting at most this long for it. */
  checkpointWithinMs?: number;
}

interface Current {
  jobId: string;
  settle(outcome: EngineOutcome): void;
  callbacks: RunCallbacks;
  cancelled: boolean;
  /** The run message went to the process (before that, a start-up failure is reported instead). */
  sent: boolean;
  timedOutAfterSec?: number;
  timers: NodeJS.Timeout[];
}

// Resolved once, absolutely, so the child finds tsx whatever the working directory is.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/**
 * Attempts at starting the engine when the bot or a worker starts, while its process dies without
 * reporting an error (the OOM killer, a stray SIGKILL): a few, so a process that can never start
 * still ends with a clear error instead of looping.
 */
export const ENGINE_START_ATTEMPTS = 4;
/** The wait before the second attempt, doubled before each further one (0.5 + 1 + 2 s in all). */
const START_RETRY_FIRST_WAIT_MS = 500;

/** Why the engine process did not become ready. */
interface StartFailure extends Error {
  /** Killed by a signal: how, for the job that waited for it (a crash like any other). */
  crashedHow?: string;
  /** It died without reporting an error: another attempt may well succeed. */
  unexplained?: boolean;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

/**
 * A message to the engine process. A process that has died unseen cannot be written to (EPIPE):
 * with no callback Node would raise that as an 'error' event, an exception if nothing listens;
 * the process's 'exit', which follows, settles whatever was waiting for it.
 */
function sendTo(child: ChildProcess, msg: ToEngineChild): void {
  child.send(msg, (err) => {
    if (err) logger.debug({ pid: child.pid, message: msg.type, err: err.message }, 'the engine process could not be written to');
  });
}

export class EngineProcess {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private current: Current | undefined;
  private stopping = false;
  private readyBackend: string | undefined;
  private checkpointWaiter: ((msg: Extract<FromEngineChild, { type: 'checkpoint' }>) => void) | undefined;

  constructor(
    private readonly config: EngineProcessConfig,
    readonly index: number,
  ) {}

  /** The worker process id, while one is running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The engine backend of the running process (e.g. onnx-cpu, wasm), once it is ready. */
  get backend(): string | undefined {
    return this.readyBackend;
  }

  /** Starts the process (if it is not running) and waits until the weights are loaded. */
  start(): Promise<void> {
    if (this.stopping) return Promise.reject(new Error('the job service is stopping'));
    this.ready ??= this.spawn();
    return this.ready;
  }

  /**
   * start() for the start of the bot or a worker: an engine process that dies while it starts
   * without saying why (killed) is started again, a few times with a short wait, instead of the
   * whole process giving up; an error the engine reported (no such backend, bad weights) would only
   * be reported again, so it is thrown at once.
   */
  async startWithRetries(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.start();
        return;
      } catch (e) {
        const failure = e as StartFailure;
        if (!failure.unexplained || this.stopping) throw failure;
        if (attempt >= ENGINE_START_ATTEMPTS) throw new Error(`${failure.message}, ${attempt} times in a row`);
        const waitMs = START_RETRY_FIRST_WAIT_MS * 2 ** (attempt - 1);
        logger.warn({ worker: this.index, err: failure.message, attempt, of: ENGINE_START_ATTEMPTS, waitMs }, 'the engine process died while starting; starting it again');
        await sleep(waitMs);
      }
    }
  }

  private spawn(): Promise<void> {
    const child = fork(this.config.entry, [], {
      execArgv: ['--import', TSX_LOADER],
      serialization: 'advanced',
      env: this.config.env ?? process.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    let reportedError: string | undefined;
    let wasReady = false;
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (msg: FromEngineChild) => {
        if (msg.type === 'ready') {
          logger.info({ worker: this.index, pid: child.pid, backend: msg.backend }, 'engine worker ready');
          wasReady = true;
          this.readyBackend = msg.backend;
          resolve();
        } else if (msg.type === 'fatal') {
          reportedError = msg.message;
        } else {
          this.onMessage(msg);
        }
      });
      // Only a process that never started is an error of its own ('exit' may not follow it). A
      // message that cannot be written is a process that has died unseen: its 'exit' follows and
      // says how, so it must not pass for an error the engine reported, which is never retried.
      child.on('error', (e) => {
        if (child.pid !== undefined) return;
        reportedError ??= e.message;
        reject(new Error(e.message));
      });
      child.once('exit', (code, signal) => {
        const how = describeExit(code, signal) + (wasReady && reportedError ? `: ${reportedError}` : '');
        // Killed by a signal while starting (not an error it reported): a crash like any other.
        const killed = reportedError === undefined && signal !== null;
        const failure: StartFailure = new Error(reportedError ?? `the engine process exited during start-up (${how})`);
        if (killed) failure.crashedHow = how;
        failure.unexplained = reportedError === undefined;
        reject(failure);
        this.onExit(child, how, wasReady);
      });
    });
    // Nobody may be waiting yet (start() at boot): the rejection is reported to the next job instead.
    ready.catch(() => undefined);
    const init: ToEngineChild = { type: 'init', weightsPath: this.config.weightsPath, backend: this.config.backend, engineThreads: this.config.engineThreads };
    sendTo(child, init);
    return ready;
  }

  private onMessage(msg: FromEngineChild): void {
    if (msg.type === 'checkpoint') {
      this.checkpointWaiter?.(msg);
      return;
    }
    const cur = this.current;
    if (!cur || !('jobId' in msg) || msg.jobId !== cur.jobId) return;
    switch (msg.type) {
      case 'progress':
        cur.callbacks.onProgress(msg.progress);
        return;
      case 'preview':
        cur.callbacks.onPreview(msg.iteration, Buffer.from(msg.png));
        return;
      case 'sheetRun':
        cur.callbacks.onSheetRun?.(msg.run, Buffer.from(msg.png), msg.runJson);
        return;
      case 'done': {
        const { type: _type, jobId: _jobId, ...completed } = msg;
        // Structured clone delivers Uint8Arrays: make every image a Buffer again.
        cur.settle({
          ...completed,
          kind: 'completed',
          png: Buffer.from(msg.png),
          ...(msg.frames ? { frames: msg.frames.map((f) => Buffer.from(f)) } : {}),
          ...(msg.compare ? { compare: Buffer.from(msg.compare) } : {}),
        });
        return;
      }
      case 'error':
        cur.settle(msg.cancelled || cur.cancelled ? { kind: 'cancelled' } : { kind: 'failed', reason: msg.message });
        return;
    }
  }

  private onExit(child: ChildProcess, how: string, wasReady: boolean): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.ready = undefined;
    this.readyBackend = undefined;
    const cur = this.current?.sent ? this.current : undefined;
    if (cur) {
      if (this.stopping) cur.settle({ kind: 'interrupted' });
      else if (cur.timedOutAfterSec !== undefined) {
        cur.settle({ kind: 'failed', reason: `the job took longer than this workspace's limit of ${cur.timedOutAfterSec} s (jobTimeoutSec) and was stopped` });
      } else if (cur.cancelled) cur.settle({ kind: 'cancelled' });
      else {
        cur.settle({ kind: 'crashed', how });
      }
    }
    if (!this.stopping && wasReady) {
      logger.warn({ worker: this.index, how, job: cur?.jobId }, 'engine worker exited; restarting');
      this.config.onRestart?.();
      // Restart now so the next job does not wait for the start-up. A process that died while
      // starting is not restarted in a loop: the next job tries again and reports the error.
      void this.start().catch(() => undefined);
    }
  }

  /** Runs one job; always resolves with its outcome. */
  async run(job: EngineJob, callbacks: RunCallbacks): Promise<EngineOutcome> {
    if (this.current) throw new Error(`engine worker ${this.index} is busy with job ${this.current.jobId}`);
    let settle!: (o: EngineOutcome) => void;
    const outcome = new Promise<EngineOutcome>((resolve) => (settle = resolve));
    const cur: Current = {
      jobId: job.jobId,
      callbacks,
      cancelled: false,
      sent: false,
      timers: [],
      settle: (o) => {
        if (this.current !== cur) return;
        this.current = undefined;
        cur.timers.forEach(clearTimeout);
        settle(o);
      },
    };
    this.current = cur;
    try {
      await this.start();
    } catch (e) {
      const crashedHow = (e as { crashedHow?: string }).crashedHow;
      if (this.stopping) cur.settle({ kind: 'interrupted' });
      else cur.settle(crashedHow ? { kind: 'crashed', how: crashedHow } : { kind: 'failed', reason: `the engine could not start: ${(e as Error).message}` });
      return outcome;
    }
    if (cur.cancelled) cur.settle({ kind: 'cancelled' });
    if (this.current !== cur) return outcome;
    const child = this.child;
    if (!child) {
      cur.settle({ kind: 'failed', reason: 'the engine process is not running' });
      return outcome;
    }
    const msg: ToEngineChild = {
      type: 'run',
      jobId: job.jobId,
      content: job.content,
      styles: job.styles,
      initImage: job.initImage,
      options: job.options,
      sheet: job.sheet,
      grid: job.grid,
      contents: job.contents,
      checkpoints: job.checkpoints,
      sheetRuns: job.sheetRuns,
    };
    sendTo(child, msg);
    cur.sent = true;
    cur.timers.push(
      setTimeout(() => {
        cur.timedOutAfterSec = Math.round(job.timeoutMs / 1000);
        this.kill(child);
      }, job.timeoutMs),
    );
    return outcome;
  }

  /** Asks the running job to stop; killed if it does not within the grace period. False if not running here. */
  cancel(jobId: string): boolean {
    const cur = this.current;
    if (cur?.jobId !== jobId) return false;
    if (cur.cancelled) return true;
    cur.cancelled = true;
    const child = this.child;
    if (child?.connected) sendTo(child, { type: 'cancel', jobId });
    if (child) cur.timers.push(setTimeout(() => this.kill(child), this.config.cancelGraceMs ?? 30_000));
    return true;
  }

  private kill(child: ChildProcess): void {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  /** Asks the running job for its current image and iteration; undefined if it has none (in time). */
  private async requestCheckpoint(child: ChildProcess, cur: Current, withinMs: number): Promise<void> {
    if (!child.connected || !cur.sent) return;
    const reply = await new Promise<Extract<FromEngineChild, { type: 'checkpoint' }> | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), withinMs);
      this.checkpointWaiter = (msg) => {
        if (msg.jobId !== cur.jobId) return;
        clearTimeout(timer);
        resolve(msg);
      };
      sendTo(child, { type: 'checkpoint', jobId: cur.jobId });
    });
    this.checkpointWaiter = undefined;
    if (reply?.iteration !== undefined && reply.png) cur.callbacks.onCheckpoint?.(reply.iteration, Buffer.from(reply.png));
  }

  /** Stops the process; a running job is settled as interrupted (it resumes at the next start). */
  async stop(opts: StopOptions = {}): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child) {
      this.current?.settle({ kind: 'interrupted' });
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.exitCode !== null || child.signalCode !== null) return;
    const cur = this.current;
    if (cur && opts.checkpointWithinMs !== undefined) await this.requestCheckpoint(child, cur, opts.checkpointWithinMs);
    // The worker ignores SIGTERM/SIGINT (see child.ts) and exits when its IPC channel closes, at
    // its next iteration; a long iteration is cut short: the checkpoint is already taken.
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => this.kill(child), 1000);
    await exited;
    clearTimeout(timer);
  }
}
