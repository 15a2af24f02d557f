// kill -9 of the process running the queue, in the middle of a job: after a restart on the same
// data directory every submitted job completes, the interrupted one resuming from its last preview;
// a sheet killed in its third run goes on at its third run.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JobEvent, JobInputs, JobOwner, SheetSpec } from '../../src/jobs/types.ts';
import { makePng, owner, tempDir, weightsFile } from './helpers.ts';

const HOST = fileURLToPath(new URL('./fixtures/queue-host.ts', import.meta.url));

interface HostEvent {
  type: 'event';
  jobId: string;
  state: string;
  event: JobEvent;
}

class Host {
  readonly child: ChildProcess;
  readonly events: HostEvent[] = [];
  private readonly waiters: { pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  private readonly seen: Record<string, unknown>[] = [];
  private ref = 0;

  constructor(dir: string, weights: string) {
    this.child = fork(HOST, [dir, weights], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: Record<string, unknown>) => {
      if (m.type === 'event') this.events.push(m as unknown as HostEvent);
      this.seen.push(m);
      for (const w of [...this.waiters]) {
        if (!w.pred(m)) continue;
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    });
  }

  wait(pred: (m: Record<string, unknown>) => boolean, timeoutMs = 90_000): Promise<Record<string, unknown>> {
    const seen = this.seen.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const last = this.events.slice(-5).map((e) => `${e.jobId} ${JSON.stringify(e.event)}`);
        reject(new Error(`host: timed out after ${this.events.length} events, last: ${last.join(' | ')}`));
      }, timeoutMs);
      this.waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  waitEvent(jobId: string, pred: (e: JobEvent) => boolean): Promise<Record<string, unknown>> {
    return this.wait((m) => m.type === 'event' && m.jobId === jobId && pred(m.event as JobEvent));
  }

  async submit(o: JobOwner, inputs: JobInputs, options: Record<string, unknown>, sheet?: SheetSpec): Promise<string> {
    const ref = ++this.ref;
    this.child.send({ type: 'submit', ref, owner: o, inputs, options, sheet });
    const m = await this.wait((x) => x.type === 'submitted' && x.ref === ref);
    const result = m.result as { ok: boolean; jobId: string; reason?: string };
    if (!result.ok) throw new Error(`refused: ${result.reason}`);
    return result.jobId;
  }

  of(jobId: string): JobEvent[] {
    return this.events.filter((e) => e.jobId === jobId).map((e) => e.event);
  }

  exited(): Promise<void> {
    return this.child.exitCode !== null || this.child.signalCode !== null ? Promise.resolve() : new Promise((r) => this.child.once('exit', () => r()));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let tmp: ReturnType<typeof tempDir>;
let weights: string;
let inputs: JobInputs;
const hosts: Host[] = [];

beforeAll(async () => {
  tmp = tempDir('crash');
  weights = await weightsFile(tmp.dir);
  inputs = { content: await makePng(32, 32, 5), styles: [await makePng(32, 32, 6)] };
});

afterAll(async () => {
  for (const h of hosts) if (h.child.exitCode === null && h.child.signalCode === null) h.child.kill('SIGKILL');
  tmp?.remove();
});

it('loses nothing when the queue process is killed with SIGKILL mid-job', async () => {
  const long = { size: 32, steps: 60, optimizer: 'adam', preset: 'tutorial', saveEvery: 5 };
  const short = { size: 16, steps: 3, optimizer: 'adam', preset: 'seed' };

  const first = new Host(tmp.dir, weights);
  hosts.push(first);
  const ready = await first.wait((m) => m.type === 'ready');
  const workerPid = (ready.pids as number[])[0];
  const interrupted = await first.submit(owner('a'), inputs, long);
  const queued = [await first.submit(owner('b'), inputs, short), await first.submit(owner('c'), inputs, short)];
  await first.waitEvent(interrupted, (e) => e.type === 'preview' && e.iteration >= 10);
  // Acknowledged just before the kill: submit() had stored it.
  queued.push(await first.submit(owner('d'), inputs, short));
  first.child.kill('SIGKILL');
  await first.exited();
  expect(first.of(interrupted).some((e) => e.type === 'completed')).toBe(false);
  const checkpoint = Math.max(...first.of(interrupted).flatMap((e) => (e.type === 'preview' ? [e.iteration] : [])));
  // The engine worker notices its parent is gone and exits too.
  const deadline = Date.now() + 15_000;
  while (alive(workerPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(alive(workerPid)).toBe(false);

  const second = new Host(tmp.dir, weights);
  hosts.push(second);
  for (const id of [interrupted, ...queued]) await second.waitEvent(id, (e) => ['completed', 'failed', 'cancelled'].includes(e.type));
  for (const id of [interrupted, ...queued]) expect(second.of(id).at(-1), JSON.stringify(second.of(id).at(-1))).toMatchObject({ type: 'completed', png: expect.any(Number) });

  const resumed = second.of(interrupted);
  expect(resumed.slice(0, 2)).toMatchObject([{ type: 'resumed', from: { source: 'preview' } }, { type: 'started' }]);
  // It went on from its last preview, not from scratch, and still counts to the job's 60 steps.
  const iterations = resumed.flatMap((e) => (e.type === 'progress' ? [e.iteration] : []));
  expect(checkpoint).toBeGreaterThanOrEqual(10);
  expect(iterations[0]).toBeGreaterThanOrEqual(checkpoint - 5);
  expect(iterations[0]).toBe((resumed[0] as Extract<JobEvent, { type: 'resumed' }>).from?.iteration);
  expect(iterations[0]).toBeGreaterThanOrEqual(10);
  expect(iterations.at(-1)).toBe(60);
  expect(resumed.find((e) => e.type === 'progress')).toMatchObject({ steps: 60 });
  // The jobs that were waiting were told their positions again, in their old order.
  expect(second.of(queued[0])[0]).toEqual({ type: 'queued', position: 1 });
  expect(second.of(queued[2])[0]).toEqual({ type: 'queued', position: 3 });

  second.child.send({ type: 'stop' });
  await second.exited();
  expect(second.child.exitCode).toBe(0);
}, 240_000);

it('a sheet killed with SIGKILL in its third run goes on at its third run after the restart', async () => {
  const steps = 40;
  const sheet: SheetSpec = { kind: 'texture', layers: ['conv_1', 'conv_2', 'conv_3', 'conv_4'] }; // 4 runs + the combo = 5
  const first = new Host(tmp.dir, weights);
  hosts.push(first);
  await first.wait((m) => m.type === 'ready');
  const id = await first.submit(owner('s'), { styles: [inputs.styles[0]] }, { size: 32, steps }, sheet);
  await first.waitEvent(id, (e) => e.type === 'progress' && e.iteration >= 2 * steps + 3);
  first.child.kill('SIGKILL');
  await first.exited();
  const before = Math.max(...first.of(id).flatMap((e) => (e.type === 'progress' ? [e.iteration] : [])));
  expect(before).toBeLessThan(3 * steps); // still in its third run

  const second = new Host(tmp.dir, weights);
  hosts.push(second);
  const end = await second.waitEvent(id, (e) => ['completed', 'failed', 'cancelled'].includes(e.type));
  const after = second.of(id);
  expect(after.slice(0, 2)).toEqual([{ type: 'resumed', runsDone: 2 }, { type: 'started' }]);
  const iterations = after.flatMap((e) => (e.type === 'progress' ? [e.iteration] : []));
  // The third run from its start, counted over the whole sheet; the first two are not run again.
  expect(iterations[0]).toBe(2 * steps);
  expect(iterations.at(-1)).toBeGreaterThan(4 * steps);
  const done = end.event as Extract<JobEvent, { type: 'completed' }>;
  expect(done.type).toBe('completed');
  const runs = done.report!.cells.filter((c) => c.type === 'run');
  expect(runs).toHaveLength(5);
  // The kept runs are in the sheet with their numbers from before the kill.
  expect(runs.every((c) => (c.iterations ?? 0) > 0 && (c.runtimeMs ?? 0) > 0)).toBe(true);

  second.child.send({ type: 'stop' });
  await second.exited();
}, 240_000);
