// Nothing lost on the shared queue when a process dies: a worker killed with SIGKILL mid-job (the
// job resumes on another worker from its checkpoint) or stopped with SIGTERM (it checkpoints
// first), the bot killed mid-job (the restarted bot delivers the result), Redis stopped and
// started again mid-job (AOF on: the job completes once), a sheet's worker killed in its second run.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { QUEUE_UNAVAILABLE } from '../../../../src/jobs/queue/redis/shared.ts';
import { createJobService } from '../../../../src/jobs/create-job-service.ts';
import type { JobCoordinator } from '../../../../src/jobs/job-coordinator.ts';
import type { JobEvent, JobInputs, JobRecord, SubmitResult } from '../../../../src/jobs/types.ts';
import { startRedis, type TestRedis } from '../../../../scripts/lib/redis-server.ts';
import { listenToWorkers, pidOf, ServiceHost, startWorker, TEST_TIMING, workerEnv, type WorkerProcess } from './helpers.ts';
import { makePng, owner, recordEvents, tempDir, weightsFile } from '../../helpers.ts';

let redis: TestRedis;
let tmp: ReturnType<typeof tempDir>;
let weights: string;
let inputs: JobInputs;
let listener: Awaited<ReturnType<typeof listenToWorkers>>;
const workers: WorkerProcess[] = [];
const hosts: ServiceHost[] = [];

/** Slow enough per iteration (full Gatys layers at 32 px) to act in the middle. */
const long = { size: 32, steps: 60, optimizer: 'adam', preset: 'gatys', saveEvery: 5 };

function job(r: SubmitResult): JobRecord {
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r.job;
}

const iterationsOf = (events: JobEvent[]) => events.flatMap((e) => (e.type === 'progress' ? [e.iteration] : []));

beforeAll(async () => {
  redis = await startRedis();
  tmp = tempDir('bull-recovery');
  weights = await weightsFile(tmp.dir);
  inputs = { content: await makePng(32, 32, 5), styles: [await makePng(32, 32, 6)] };
  const env = workerEnv(redis.url, weights);
  workers.push(...(await Promise.all([startWorker(env), startWorker(env)])));
  listener = await listenToWorkers(redis.url);
}, 120_000);

afterAll(async () => {
  if (process.env.BULL_DEBUG) for (const w of workers) console.log(w.child.pid, w.log.slice(-15).join('\n'));
  for (const h of hosts) await h.kill();
  listener?.close();
  await Promise.all(workers.map((w) => w.stop('SIGKILL')));
  await redis?.close();
  tmp?.remove();
});

it('a worker killed with SIGKILL mid-job: another worker resumes from the checkpoint, one result', async () => {
  const svc: JobCoordinator = createJobService({ dataDir: `${tmp.dir}/a`, weightsPath: weights, redisUrl: redis.url, workers: 0, queueTiming: TEST_TIMING });
  const rec = recordEvents(svc);
  await svc.start();
  try {
    const j = job(svc.submit({ owner: owner('k1'), inputs, options: long }));
    const started = await listener.waitFor((m) => m.t === 'started' && m.id === j.id);
    await rec.waitFor((e) => e.job.id === j.id && e.event.type === 'preview' && e.event.iteration >= 10);
    const victim = workers.find((w) => w.child.pid === pidOf(started))!;
    await victim.stop('SIGKILL');
    const checkpoint = Math.max(...rec.of(j.id).flatMap((e) => (e.type === 'preview' ? [e.iteration] : [])));

    const end = await rec.waitEnd(j.id);
    expect(end.event.type).toBe('completed');
    const first = started.t === 'started' ? started.attempt : 0;
    const again = listener.messages.find((m) => m.t === 'started' && m.id === j.id && m.attempt > first);
    expect(again).toBeDefined();
    expect(pidOf(again!)).not.toBe(pidOf(started));
    // Resumed from the stored checkpoint (the worker may have got one more preview out before dying).
    expect(again!.t === 'started' && again!.offset).toBeGreaterThanOrEqual(checkpoint);
    const events = rec.of(j.id);
    const resumedAt = events.findIndex((e) => e.type === 'resumed');
    expect(resumedAt).toBeGreaterThan(0);
    const after = iterationsOf(events.slice(resumedAt));
    // Not from scratch: every iteration after the resume counts on from the checkpoint.
    expect(Math.min(...after)).toBeGreaterThanOrEqual(checkpoint);
    expect(after.at(-1)).toBe(60);
    expect(events.filter((e) => e.type === 'completed')).toHaveLength(1);
  } finally {
    await svc.stop();
  }
  // A fresh worker in place of the killed one, for the next tests.
  workers.push(await startWorker(workerEnv(redis.url, weights)));
});

it('a worker stopped with SIGTERM mid-job: it checkpoints into Redis and exits 0; another worker goes on from that checkpoint', async () => {
  const svc: JobCoordinator = createJobService({ dataDir: `${tmp.dir}/t`, weightsPath: weights, redisUrl: redis.url, workers: 0, queueTiming: TEST_TIMING });
  const rec = recordEvents(svc);
  await svc.start();
  try {
    // Previews every 20 steps only: a resume at another iteration can only come from the stop's checkpoint.
    const j = job(svc.submit({ owner: owner('t1'), inputs, options: { ...long, saveEvery: 20 } }));
    const started = await listener.waitFor((m) => m.t === 'started' && m.id === j.id);
    await rec.waitFor((e) => e.job.id === j.id && e.event.type === 'progress' && e.event.iteration >= 5);
    const victim = workers.find((w) => w.child.pid === pidOf(started))!;
    await victim.stop('SIGTERM');
    expect(victim.child.exitCode).toBe(0);
    workers.splice(workers.indexOf(victim), 1);

    expect((await rec.waitEnd(j.id)).event.type).toBe('completed');
    const events = rec.of(j.id);
    const resumed = events.find((e) => e.type === 'resumed');
    expect(resumed).toMatchObject({ type: 'resumed', from: { source: 'checkpoint' } });
    const at = (resumed as { from: { iteration: number } }).from.iteration;
    expect(at).toBeGreaterThanOrEqual(5);
    expect(at % 20).not.toBe(0);
    expect(Math.min(...iterationsOf(events.slice(events.indexOf(resumed!))))).toBeGreaterThanOrEqual(at);
    expect(events.filter((e) => e.type === 'completed')).toHaveLength(1);
  } finally {
    await svc.stop();
  }
  workers.push(await startWorker(workerEnv(redis.url, weights)));
});

it('the bot killed mid-job: workers go on, and the restarted bot delivers the result', async () => {
  const dataDir = `${tmp.dir}/b`;
  const first = new ServiceHost(dataDir, weights, redis.url);
  hosts.push(first);
  await first.wait((m) => m.type === 'ready');
  const id = await first.submit(owner('b1'), inputs, { ...long, steps: 30 });
  await first.waitEvent(id, (e) => e.type === 'progress' && e.iteration >= 3);
  await first.kill();
  // The job finishes while no bot is there to hear it.
  await listener.waitFor((m) => m.t === 'done' && m.id === id);

  const second = new ServiceHost(dataDir, weights, redis.url);
  hosts.push(second);
  const done = await second.waitEvent(id, (e) => e.type === 'completed');
  expect(done.state).toBe('completed');
  expect((done.event as { png: number }).png).toBeGreaterThan(0);
  expect(first.of(id).some((e) => e.type === 'completed')).toBe(false);
  // Recorded once: a second look finds nothing more to deliver.
  await new Promise((r) => setTimeout(r, 1500));
  expect(second.of(id).filter((e) => e.type === 'completed')).toHaveLength(1);
  await second.kill();
});

it('Redis stopped and started again mid-job (AOF): submits are refused meanwhile, the job completes once', async () => {
  const svc: JobCoordinator = createJobService({ dataDir: `${tmp.dir}/c`, weightsPath: weights, redisUrl: redis.url, workers: 0, queueTiming: TEST_TIMING });
  const rec = recordEvents(svc);
  await svc.start();
  try {
    const j = job(svc.submit({ owner: owner('r1'), inputs, options: long }));
    await rec.waitFor((e) => e.job.id === j.id && e.event.type === 'progress' && e.event.iteration >= 3);
    await redis.stop();
    // Until the bot's connection has seen the server go, a submit is still accepted (and must not
    // be lost either); from then on it is refused.
    const slipped: string[] = [];
    let refused = svc.submit({ owner: owner('r2'), inputs, options: { size: 16, steps: 2, optimizer: 'adam', preset: 'seed' } });
    while (refused.ok) {
      slipped.push(refused.job.id);
      await new Promise((r) => setTimeout(r, 20));
      refused = svc.submit({ owner: owner(`r2-${slipped.length}`), inputs, options: { size: 16, steps: 2, optimizer: 'adam', preset: 'seed' } });
    }
    expect(refused).toEqual({ ok: false, reason: QUEUE_UNAVAILABLE });
    await redis.restart();

    for (const id of [j.id, ...slipped]) {
      expect((await rec.waitEnd(id, 90_000)).event.type).toBe('completed');
      expect(rec.of(id).filter((e) => e.type === 'completed')).toHaveLength(1);
    }
    // And the queue takes jobs again.
    let next: SubmitResult | undefined;
    while (!next?.ok) {
      next = svc.submit({ owner: owner('r3'), inputs, options: { size: 16, steps: 2, optimizer: 'adam', preset: 'seed' } });
      if (!next.ok) await new Promise((r) => setTimeout(r, 100));
    }
    expect((await rec.waitEnd(next.job.id)).event.type).toBe('completed');
  } finally {
    await svc.stop();
  }
});

it('a sheet whose worker is killed in its second run goes on after its finished runs on another worker', async () => {
  const svc: JobCoordinator = createJobService({ dataDir: `${tmp.dir}/s`, weightsPath: weights, redisUrl: redis.url, workers: 0, queueTiming: TEST_TIMING });
  const rec = recordEvents(svc);
  await svc.start();
  try {
    const steps = 12;
    const j = job(svc.submit({ owner: owner('s1'), sheet: { kind: 'texture', layers: ['conv_1', 'conv_2'] }, inputs: { styles: [inputs.styles[0]] }, options: { size: 32, steps, preset: 'gatys', optimizer: 'adam' } }));
    const started = await listener.waitFor((m) => m.t === 'started' && m.id === j.id);
    // Into the second run: the first is stored in Redis.
    await rec.waitFor((e) => e.job.id === j.id && e.event.type === 'progress' && e.event.iteration >= steps + 2);
    await workers.find((w) => w.child.pid === pidOf(started))!.stop('SIGKILL');

    expect((await rec.waitEnd(j.id, 90_000)).event.type).toBe('completed');
    const events = rec.of(j.id);
    expect(events.find((e) => e.type === 'resumed')).toMatchObject({ type: 'resumed', runsDone: 1 });
    const firstAttempt = started.t === 'started' ? started.attempt : 0;
    const again = listener.messages.find((m) => m.t === 'started' && m.id === j.id && m.attempt > firstAttempt);
    expect(again && pidOf(again)).not.toBe(pidOf(started));
    expect(events.filter((e) => e.type === 'completed')).toHaveLength(1);
  } finally {
    await svc.stop();
  }
});

// Regression (soak, Redis mode, seed 202: a worker killed mid-job, the bot restarted, the job
// cancelled while it waited for another worker): its checkpoint stayed in Redis for ever.
it('a job cancelled while it waits to be resumed leaves nothing in Redis', async () => {
  const dataDir = `${tmp.dir}/cancel-resumed`;
  // Its own engine: the job runs in this process, and its stop hands the job back to the queue.
  const first: JobCoordinator = createJobService({ dataDir, weightsPath: weights, redisUrl: redis.url, workers: 1, backend: 'wasm', engineThreads: 1, queueTiming: TEST_TIMING });
  const rec = recordEvents(first);
  await first.start();
  // The two worker processes must not take it back meanwhile.
  await Promise.all(workers.map((w) => w.child.kill('SIGSTOP')));
  let j: JobRecord;
  try {
    j = job(first.submit({ owner: owner('x1'), inputs, options: long }));
    await rec.waitFor((e) => e.job.id === j.id && e.event.type === 'preview' && e.event.iteration >= 5);
    await first.stop();
    const { Redis } = await import('ioredis');
    const r = new Redis(redis.url);
    try {
      expect(await r.exists(`stylize:checkpoint:${j.id}`)).toBe(1);
      const second: JobCoordinator = createJobService({ dataDir, weightsPath: weights, redisUrl: redis.url, workers: 0, queueTiming: TEST_TIMING });
      const rec2 = recordEvents(second);
      await second.start();
      try {
        expect(second.cancel(j.id, { userId: 'x1', isAdmin: false })).toEqual({ ok: true });
        expect((await rec2.waitEnd(j.id)).event.type).toBe('cancelled');
        await expect.poll(async () => r.keys(`*${j.id}*`), { timeout: 10_000 }).toEqual([]);
      } finally {
        await second.stop();
      }
    } finally {
      r.disconnect();
    }
  } finally {
    await Promise.all(workers.map((w) => w.child.kill('SIGCONT')));
  }
}, 120_000);
