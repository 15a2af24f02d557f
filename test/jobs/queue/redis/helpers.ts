// Shared by the Redis queue tests: `npm run worker` processes, and a listener on the workers'
// events channel (to know which worker runs a job), and the job service in a process of its own.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { EVENTS_CHANNEL, whenReady, type QueueMessage } from '../../../../src/jobs/queue/redis/shared.ts';
import type { JobEvent, JobInputs, JobOwner } from '../../../../src/jobs/types.ts';

export { startWorker, WORKER_ENTRY, type WorkerProcess } from '../../../../scripts/lib/worker-process.ts';

/** Short locks: a killed worker's job is taken back within a few seconds. */
export const TEST_LOCK_MS = 3000;
export const TEST_TIMING = { lockMs: TEST_LOCK_MS, stalledMs: TEST_LOCK_MS / 2 };

export function workerEnv(redisUrl: string, weights: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    STYLIZE_REDIS_URL: redisUrl,
    STYLIZE_WEIGHTS: weights,
    STYLIZE_WORKERS: '1',
    STYLIZE_BACKEND: 'wasm',
    STYLIZE_ENGINE_THREADS: '1',
    STYLIZE_QUEUE_LOCK_MS: String(TEST_LOCK_MS),
    STYLIZE_LOG_LEVEL: 'info',
    ...extra,
  };
}

/** Every message the workers publish, and a way to wait for one. */
export async function listenToWorkers(redisUrl: string): Promise<{
  messages: QueueMessage[];
  waitFor(pred: (m: QueueMessage) => boolean, timeoutMs?: number): Promise<QueueMessage>;
  close(): void;
}> {
  const sub = new Redis(redisUrl, { maxRetriesPerRequest: null });
  sub.on('error', () => undefined);
  const messages: QueueMessage[] = [];
  const waiters: { pred: (m: QueueMessage) => boolean; resolve(m: QueueMessage): void }[] = [];
  sub.on('message', (_c: string, text: string) => {
    const m = JSON.parse(text) as QueueMessage;
    messages.push(m);
    for (const w of [...waiters]) {
      if (!w.pred(m)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  // As the bot does: subscribe once the connection is ready, not during its ready check.
  await whenReady(sub, 10_000);
  await sub.subscribe(EVENTS_CHANNEL);
  return {
    messages,
    waitFor: (pred, timeoutMs = 60_000) => {
      const seen = messages.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out waiting for a worker message')), timeoutMs);
        waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
    close: () => sub.disconnect(),
  };
}

/** The pid in a started message's worker name (host:pid#engine). */
export function pidOf(m: QueueMessage): number {
  if (m.t !== 'started') throw new Error(`not a started message: ${m.t}`);
  return Number(/:(\d+)#/.exec(m.worker)?.[1]);
}

const HOST = fileURLToPath(new URL('../../fixtures/queue-host.ts', import.meta.url));

/** The job service in a process of its own (fixtures/queue-host.ts) on the shared queue, to kill and start again. */
export class ServiceHost {
  readonly child: ChildProcess;
  readonly seen: Record<string, unknown>[] = [];
  private readonly waiters: { pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  private ref = 0;

  constructor(dataDir: string, weights: string, redisUrl: string) {
    this.child = fork(HOST, [dataDir, weights], {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      env: { ...process.env, STYLIZE_REDIS_URL: redisUrl },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m: Record<string, unknown>) => {
      this.seen.push(m);
      for (const w of [...this.waiters]) {
        if (!w.pred(m)) continue;
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    });
  }

  wait(pred: (m: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const seen = this.seen.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const last = this.seen.slice(-4).map((m) => JSON.stringify(m).slice(0, 200));
        reject(new Error(`service host: timed out after ${this.seen.length} messages, last: ${last.join(' | ')}`));
      }, timeoutMs);
      this.waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  waitEvent(jobId: string, pred: (e: JobEvent) => boolean): Promise<Record<string, unknown>> {
    return this.wait((m) => m.type === 'event' && m.jobId === jobId && pred(m.event as JobEvent));
  }

  of(jobId: string): JobEvent[] {
    return this.seen.filter((m) => m.type === 'event' && m.jobId === jobId).map((m) => m.event as JobEvent);
  }

  async submit(o: JobOwner, inputs: JobInputs, options: Record<string, unknown>): Promise<string> {
    const ref = ++this.ref;
    this.child.send({ type: 'submit', ref, owner: o, inputs, options });
    const m = await this.wait((x) => x.type === 'submitted' && x.ref === ref);
    const result = m.result as { ok: boolean; jobId: string; reason?: string };
    if (!result.ok) throw new Error(`refused: ${result.reason}`);
    return result.jobId;
  }

  kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGKILL');
    return exited;
  }
}
