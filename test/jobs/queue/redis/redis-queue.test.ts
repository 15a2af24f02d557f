// The shared queue end to end: the real job service on Redis (a real redis-server), two
// `npm run worker` processes, random weights, tiny images.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREFIX, QUEUE_NAME } from '../../../../src/jobs/queue/redis/shared.ts';
import { createJobService } from '../../../../src/jobs/create-job-service.ts';
import type { JobCoordinator } from '../../../../src/jobs/job-coordinator.ts';
import type { JobEvent, JobInputs, JobRecord, SubmitResult } from '../../../../src/jobs/types.ts';
import { startRedis, type TestRedis } from '../../../../scripts/lib/redis-server.ts';
import { listenToWorkers, pidOf, startWorker, TEST_TIMING, workerEnv, type WorkerProcess } from './helpers.ts';
import { makePng, owner, recordEvents, tempDir, weightsFile } from '../../helpers.ts';

let redis: TestRedis;
let tmp: ReturnType<typeof tempDir>;
let svc: JobCoordinator;
let rec: ReturnType<typeof recordEvents>;
let inputs: JobInputs;
let listener: Awaited<ReturnType<typeof listenToWorkers>>;
let client: Redis;
let weightsPath: string;
const workers: WorkerProcess[] = [];

const fast = { size: 16, optimizer: 'adam', preset: 'seed' };
const slow = { size: 32, steps: 400, optimizer: 'adam', preset: 'gatys' };

function job(r: SubmitResult): JobRecord {
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r.job;
}

beforeAll(async () => {
  redis = await startRedis();
  tmp = tempDir('bull');
  const weights = await weightsFile(tmp.dir);
  weightsPath = weights;
  inputs = { content: await makePng(16, 16, 1), styles: [await makePng(16, 12, 2)] };
  const env = workerEnv(redis.url, weights);
  workers.push(...(await Promise.all([startWorker(env), startWorker(env)])));
  listener = await listenToWorkers(redis.url);
  client = new Redis(redis.url);
  svc = createJobService({ dataDir: tmp.dir, weightsPath: weights, redisUrl: redis.url, workers: 0, queueTiming: TEST_TIMING });
  rec = recordEvents(svc);
  await svc.start();
}, 120_000);

afterAll(async () => {
  await svc?.stop();
  listener?.close();
  client?.disconnect();
  await Promise.all(workers.map((w) => w.stop()));
  await redis?.close();
  tmp?.remove();
});

describe('the shared queue on Redis with two worker processes', () => {
  it('runs a job on a worker: started, progress, preview, result; nothing secret in Redis; the result is removed once delivered', async () => {
    const j = job(svc.submit({ owner: owner('u1'), inputs, options: { ...fast, steps: 6, saveEvery: 2 }, meta: { token: 'SECRET-interaction-token' } }));
    // The job as BullMQ holds it: only what the engine needs.
    let data: string | null = null;
    while (data === null) data = await client.hget(`${PREFIX}:${QUEUE_NAME}:${j.id}`, 'data');
    expect(data).not.toContain('SECRET');
    expect(data).not.toContain('u1');

    const end = await rec.waitEnd(j.id);
    expect(end.event.type).toBe('completed');
    const events = rec.of(j.id);
    const types = events.map((e) => e.type);
    expect(types).toContain('started');
    expect(types.filter((t) => t === 'completed')).toHaveLength(1);
    const iterations = events.flatMap((e) => (e.type === 'progress' ? [e.iteration] : []));
    expect(iterations.at(-1)).toBe(6);
    expect(events.some((e) => e.type === 'preview')).toBe(true);
    const done = end.event as Extract<JobEvent, { type: 'completed' }>;
    expect(done.png.subarray(1, 4).toString()).toBe('PNG');
    expect(svc.get(j.id)?.state).toBe('completed');
    // Delivered: Redis lets go of the job and its checkpoint.
    while ((await client.exists(`${PREFIX}:${QUEUE_NAME}:${j.id}`)) === 1) await new Promise((r) => setTimeout(r, 50));
    expect(await client.exists(`${PREFIX}:checkpoint:${j.id}`)).toBe(0);
  });

  it('runs two jobs at once, one on each worker', async () => {
    const a = job(svc.submit({ owner: owner('a'), inputs, options: { ...fast, steps: 30 } }));
    const b = job(svc.submit({ owner: owner('b'), inputs, options: { ...fast, steps: 30 } }));
    const [sa, sb] = await Promise.all([a, b].map((j) => listener.waitFor((m) => m.t === 'started' && m.id === j.id)));
    expect(new Set([pidOf(sa), pidOf(sb)]).size).toBe(2);
    expect(workers.map((w) => w.child.pid)).toEqual(expect.arrayContaining([pidOf(sa), pidOf(sb)]));
    for (const j of [a, b]) expect((await rec.waitEnd(j.id)).event.type).toBe('completed');
  });

  it('cancels a job running on another machine, and the worker takes the next job', async () => {
    const running = job(svc.submit({ owner: owner('c1'), inputs, options: slow }));
    await rec.waitFor((e) => e.job.id === running.id && e.event.type === 'progress' && e.event.iteration >= 2);
    expect(svc.cancel(running.id, { userId: 'c1', isAdmin: false })).toEqual({ ok: true });
    const end = await rec.waitEnd(running.id);
    expect(end.event).toEqual({ type: 'cancelled', by: 'c1' });
    const last = Math.max(...rec.of(running.id).flatMap((e) => (e.type === 'progress' ? [e.iteration] : [])));
    expect(last).toBeLessThan(400);
    // Both engines free again: two more jobs complete.
    const next = [job(svc.submit({ owner: owner('c2'), inputs, options: { ...fast, steps: 2 } })), job(svc.submit({ owner: owner('c3'), inputs, options: { ...fast, steps: 2 } }))];
    for (const j of next) expect((await rec.waitEnd(j.id)).event.type).toBe('completed');
  });

  it('cancels a waiting job at once, and it never runs', async () => {
    const blockers = ['w1', 'w2'].map((u) => job(svc.submit({ owner: owner(u), inputs, options: slow })));
    const waiting = job(svc.submit({ owner: owner('w3'), inputs, options: { ...fast, steps: 2 } }));
    expect(svc.cancel(waiting.id, { userId: 'w3', isAdmin: false })).toEqual({ ok: true });
    expect((await rec.waitEnd(waiting.id)).event.type).toBe('cancelled');
    for (const b of blockers) svc.cancel(b.id, { userId: 'admin', isAdmin: true });
    for (const b of blockers) expect((await rec.waitEnd(b.id)).event.type).toBe('cancelled');
    expect(listener.messages.some((m) => m.t === 'started' && m.id === waiting.id)).toBe(false);
  });
});

describe('everything else through Redis', () => {
  it('a sheet: progress over all runs, the composed PNG and its report', async () => {
    const j = job(svc.submit({ owner: owner('s1'), sheet: { kind: 'texture', layers: ['conv_1', 'conv_2'] }, inputs: { styles: [inputs.styles[0]] }, options: { size: 16, steps: 1 } }));
    const end = await rec.waitEnd(j.id);
    expect(end.event.type).toBe('completed');
    const done = end.event as Extract<JobEvent, { type: 'completed' }>;
    expect(done.report?.kind).toBe('texture');
    const progress = rec.of(j.id).flatMap((e) => (e.type === 'progress' ? [e] : []));
    expect(new Set(progress.map((p) => p.steps))).toEqual(new Set([3]));
    expect(Math.max(...progress.map((p) => p.iteration))).toBe(3);
  });

  it('a grid: its candidates come back with the result (made on a worker), so U2 upscales candidate 2 from them', async () => {
    const g = job(svc.submit({ owner: owner('g1'), inputs, options: { ...fast, grid: true, size: 32, steps: 2, gridSize: 32, gridSteps: 1 } }));
    expect(g.kind).toBe('grid');
    const end = await rec.waitEnd(g.id);
    expect(end.event.type).toBe('completed');
    const progress = rec.of(g.id).flatMap((e) => (e.type === 'progress' ? [e] : []));
    expect(new Set(progress.map((p) => p.steps))).toEqual(new Set([4]));
    expect(new Set(progress.map((p) => p.candidate?.index))).toEqual(new Set([0, 1, 2, 3]));
    const u = job(svc.fromGrid(g.id, { action: 'upscale', index: 1 }, owner('g2')));
    expect([u.kind, u.grid?.pick, u.options.init]).toEqual(['upscale', 1, 'image']);
    const upEnd = await rec.waitEnd(u.id);
    expect(upEnd.event.type).toBe('completed');
    expect(rec.of(u.id).some((e) => e.type === 'progress')).toBe(true);
  });

  it('coarse-to-fine: one count over every scale', async () => {
    const j = job(svc.submit({ owner: owner('m1'), inputs, options: { ...fast, size: 32, multires: 2, steps: 3 } }));
    expect((await rec.waitEnd(j.id)).event.type).toBe('completed');
    const progress = rec.of(j.id).flatMap((e) => (e.type === 'progress' ? [e] : []));
    expect(progress.at(-1)).toMatchObject({ iteration: 6, steps: 6 });
  });

  it('re-runs a finished job in another mode, and admin limits and defaults apply', async () => {
    const first = job(svc.submit({ owner: owner('r1', 'g7'), inputs, options: { ...fast, steps: 2 } }));
    expect((await rec.waitEnd(first.id)).event.type).toBe('completed');
    const texture = job(svc.rerun(first.id, 'texture', owner('r1', 'g7')));
    expect(texture.parentJobId).toBe(first.id);
    expect((await rec.waitEnd(texture.id)).event.type).toBe('completed');

    svc.settings.set('discord', 'g7', 'maxSteps', 5);
    svc.settings.set('discord', 'g7', 'steps', 3);
    expect(svc.submit({ owner: owner('r2', 'g7'), inputs, options: { ...fast, steps: 50 } })).toMatchObject({ ok: false, reason: expect.stringContaining('maxSteps') });
    const byDefault = job(svc.submit({ owner: owner('r2', 'g7'), inputs, options: { size: 16, optimizer: 'adam', preset: 'seed' } }));
    expect(byDefault.options.steps).toBe(3);
    expect((await rec.waitEnd(byDefault.id)).event.type).toBe('completed');
    expect(rec.of(byDefault.id).flatMap((e) => (e.type === 'progress' ? [e.iteration] : [])).at(-1)).toBe(3);
  });
});

describe('a worker whose engine cannot start', () => {
  it('says so in its log, takes no job and exits with an error', async () => {
    const bad = await startWorker(workerEnv(redis.url, `${tmp.dir}/vgg19.safetensors`, { STYLIZE_BACKEND: 'no-such-backend' }), false);
    expect(await bad.exited()).toBe(1);
    const log = bad.log.join('\n');
    expect(log).toContain('the engine could not start');
    expect(log).toContain('this worker takes no jobs');
    expect(log).not.toContain('job started');
  });

  it('never logs the Redis password, neither while running nor when Redis goes away', async () => {
    const locked = await startRedis({ password: 'hunter2-secret' });
    try {
      const w = await startWorker(workerEnv(locked.url, weightsPath, { STYLIZE_LOG_LEVEL: 'debug' }));
      await locked.stop();
      await new Promise((r) => setTimeout(r, 500));
      await w.stop();
      const log = w.log.join('\n');
      expect(log).toContain('worker taking jobs');
      expect(log).toContain(':***@127.0.0.1');
      expect(log).toContain('Redis connection lost');
      expect(log).not.toContain('hunter2');
    } finally {
      await locked.close();
    }
  });
});
