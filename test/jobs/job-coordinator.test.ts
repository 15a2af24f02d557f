// The job service with a real engine worker process running real tiny jobs (wasm backend, random
// VGG weights): events, positions, cancel, re-runs, a killed worker, the time limit, retention.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobService } from '../../src/jobs/create-job-service.ts';
import type { JobCoordinator } from '../../src/jobs/job-coordinator.ts';
import { StylizeMetrics } from '../../src/ops/metrics.ts';
import type { JobEvent, JobInputs, JobRecord, SubmitResult } from '../../src/jobs/types.ts';
import { makePng, owner, recordEvents, tempDir, weightsFile } from './helpers.ts';

let tmp: ReturnType<typeof tempDir>;
let weights: string;
let svc: JobCoordinator;
let rec: ReturnType<typeof recordEvents>;
let inputs: JobInputs;
const metrics = new StylizeMetrics();
const fast = { size: 16, optimizer: 'adam', preset: 'seed' };
/** Slow enough per iteration (full Gatys layers at 48 px) to act on a job while it runs. */
const slow = { size: 48, steps: 300, optimizer: 'adam', preset: 'gatys' };

const config = () => ({ dataDir: tmp.dir, weightsPath: weights, backend: 'wasm', engineThreads: 1, metrics });

function job(r: SubmitResult): JobRecord {
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r.job;
}

async function pngSize(png: Buffer): Promise<[number, number]> {
  const m = await sharp(png).metadata();
  return [m.width, m.height];
}

function progressOf(events: JobEvent[]): number[] {
  return events.flatMap((e) => (e.type === 'progress' ? [e.iteration] : []));
}

beforeAll(async () => {
  tmp = tempDir('service');
  weights = await weightsFile(tmp.dir);
  inputs = { content: await makePng(16, 16, 1), styles: [await makePng(16, 12, 2)] };
  svc = createJobService(config());
  rec = recordEvents(svc);
  await svc.start();
});

afterAll(async () => {
  await svc?.stop();
  tmp?.remove();
});

let firstJob: JobRecord;

describe('job service with a real engine worker', () => {
  it('runs a job: queued, started, progress, previews every ~10%, completed', async () => {
    firstJob = job(svc.submit({ owner: owner('u1'), inputs, options: { ...fast, steps: 20 } }));
    const end = await rec.waitEnd(firstJob.id);
    const events = rec.of(firstJob.id);
    expect(events.slice(0, 2)).toEqual([{ type: 'queued', position: 1 }, { type: 'started' }]);
    expect(progressOf(events)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    const p = events.find((e) => e.type === 'progress');
    expect(p).toMatchObject({ steps: 20, losses: { total: expect.any(Number) }, elapsedMs: expect.any(Number), etaMs: expect.any(Number) });
    // saveEvery 0: the service picks 10% of 20 steps.
    const previews = events.filter((e) => e.type === 'preview');
    expect(previews.map((e) => e.iteration).sort((a, b) => a - b)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect(await pngSize((previews[0] as { png: Buffer }).png)).toEqual([16, 16]);
    expect(end.event).toMatchObject({ type: 'completed', runtimeMs: expect.any(Number), summary: expect.stringContaining('transfer · 16×16 · 20 adam iterations') });
    expect(await pngSize((end.event as { png: Buffer }).png)).toEqual([16, 16]);
    expect(end.job).toMatchObject({ state: 'completed', startedAt: expect.any(Number), finishedAt: expect.any(Number) });
    expect(svc.get(firstJob.id)?.state).toBe('completed');
  });

  it('reports queue positions and updates them as jobs start', async () => {
    const rs = ['p1', 'p2', 'p3', 'p4'].map((u) => svc.submit({ owner: owner(u), inputs, options: { ...fast, steps: 3, saveEvery: 3 } }));
    expect(rs.map((r) => r.ok && r.position)).toEqual([1, 1, 2, 3]);
    const ids = rs.map((r) => job(r).id);
    await rec.waitEnd(ids[3]);
    const positions = (id: string) => rec.of(id).flatMap((e): (number | string)[] => (e.type === 'queued' ? [e.position] : e.type === 'started' ? ['started'] : []));
    expect(ids.map(positions)).toEqual([[1, 'started'], [1, 'started'], [2, 1, 'started'], [3, 2, 1, 'started']]);
    expect(ids.map((id) => svc.get(id)?.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
  });

  it("counts a coarse-to-fine job's progress over all its scales", async () => {
    const j = job(svc.submit({ owner: owner('m1'), inputs, options: { ...fast, size: 32, multires: 2, steps: 3 } }));
    const end = await rec.waitEnd(j.id);
    expect(end.event.type).toBe('completed');
    const progress = rec.of(j.id).filter((e) => e.type === 'progress');
    // Two scales (16 px, then 32 px) of 3 steps: one count from 0 to 6.
    expect(progress.map((e) => e.iteration)).toEqual([0, 1, 2, 3, 3, 4, 5, 6]);
    expect(new Set(progress.map((e) => e.steps))).toEqual(new Set([6]));
    expect(await pngSize((end.event as { png: Buffer }).png)).toEqual([32, 32]);
  });

  it('cancels a running job within an iteration, then runs the next one', async () => {
    const pid = svc.workerPids()[0];
    const running = job(svc.submit({ owner: owner('c1'), inputs, options: slow }));
    const next = job(svc.submit({ owner: owner('c2'), inputs, options: { ...fast, steps: 2 } }));
    await rec.waitFor((e) => e.job.id === running.id && e.event.type === 'progress' && e.event.iteration >= 2);
    expect(svc.cancel(running.id, { userId: 'c2', isAdmin: false }).ok).toBe(false);
    const atCancel = Math.max(...progressOf(rec.of(running.id)));
    expect(svc.cancel(running.id, { userId: 'c1', isAdmin: false })).toEqual({ ok: true });
    const end = await rec.waitEnd(running.id);
    expect(end.event).toEqual({ type: 'cancelled', by: 'c1' });
    const last = Math.max(...progressOf(rec.of(running.id)));
    expect(last).toBeLessThan(slow.steps);
    // Progress already on its way when the cancel was sent may still arrive: allow one in flight.
    expect(last).toBeLessThanOrEqual(atCancel + 2);
    expect((await rec.waitEnd(next.id)).event.type).toBe('completed');
    expect(svc.workerPids()[0]).toBe(pid); // stopped by the signal, not by killing the worker
  });

  it('re-runs a finished job in another mode on its kept inputs', async () => {
    const texture = job(svc.rerun(firstJob.id, 'texture', owner('u2'), { via: 'reaction' }));
    expect(texture).toMatchObject({ parentJobId: firstJob.id, options: { mode: 'texture', init: 'noise', steps: 20, size: 16 }, meta: { via: 'reaction' } });
    const reconstruct = job(svc.rerun(firstJob.id, 'reconstruct', owner('u3')));
    expect(reconstruct.options).toMatchObject({ mode: 'reconstruct', init: 'noise' });
    const [t, r] = await Promise.all([rec.waitEnd(texture.id), rec.waitEnd(reconstruct.id)]);
    expect(t.event.type).toBe('completed');
    expect(r.event.type).toBe('completed');
    // Texture takes the style's aspect ratio; reconstruction the content's.
    expect(await pngSize((t.event as { png: Buffer }).png)).toEqual([16, 12]);
    expect(await pngSize((r.event as { png: Buffer }).png)).toEqual([16, 16]);
    expect((t.event as { summary: string }).summary).toMatch(/^texture · 16×12/);
  });

  it('takes a job whose worker is killed up again on the restarted worker, and goes on (twice: engine-crash.test.ts)', async () => {
    const victim = job(svc.submit({ owner: owner('k1'), inputs, options: { ...slow, steps: 20 } }));
    const next = job(svc.submit({ owner: owner('k2'), inputs, options: { ...fast, steps: 2 } }));
    await rec.waitFor((e) => e.job.id === victim.id && e.event.type === 'progress' && e.event.iteration >= 1);
    const pid = svc.workerPids()[0]!;
    process.kill(pid, 'SIGKILL');
    const end = await rec.waitEnd(victim.id);
    expect(end.event.type).toBe('completed');
    expect(rec.of(victim.id).filter((e) => e.type === 'started')).toHaveLength(2);
    expect(rec.of(victim.id)).toContainEqual(expect.objectContaining({ type: 'resumed' }));
    expect((await rec.waitEnd(next.id)).event.type).toBe('completed');
    expect(svc.workerPids()[0]).not.toBe(pid);
    const counted = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values;
    expect((await counted('stylize_engine_restarts_total'))[0].value).toBe(1);
  });

  it("stops a job at the workspace's time limit and goes on", async () => {
    svc.settings.set('discord', 'slowpoke', 'jobTimeoutSec', 1);
    const pid = svc.workerPids()[0];
    const long = job(svc.submit({ owner: owner('t1', 'slowpoke'), inputs, options: slow }));
    const next = job(svc.submit({ owner: owner('t2'), inputs, options: { ...fast, steps: 2 } }));
    const end = await rec.waitEnd(long.id);
    expect(end.event).toEqual({ type: 'failed', reason: "the job took longer than this workspace's limit of 1 s (jobTimeoutSec) and was stopped" });
    expect(rec.of(long.id)).toContainEqual({ type: 'started' });
    expect((await rec.waitEnd(next.id)).event.type).toBe('completed');
    expect(svc.workerPids()[0]).not.toBe(pid); // the stuck worker was replaced
  });

  it('resumes a job interrupted by stop(); purges finished jobs’ images on start and periodically', async () => {
    const interrupted = job(svc.submit({ owner: owner('r1'), inputs, options: { size: 32, steps: 25, optimizer: 'adam', preset: 'tutorial', saveEvery: 5 } }));
    await rec.waitFor((e) => e.job.id === interrupted.id && e.event.type === 'preview' && e.event.iteration >= 5);
    await svc.stop();
    expect(rec.of(interrupted.id).some((e) => e.type === 'completed' || e.type === 'failed')).toBe(false);
    // ~1 s retention: everything above finished longer ago than that.
    svc = createJobService({ ...config(), retentionHours: 1 / 3600 });
    rec = recordEvents(svc);
    expect(svc.get(interrupted.id)?.state).toBe('queued');
    expect(svc.rerun(firstJob.id, 'texture', owner('u1')).ok).toBe(true); // not purged before start
    const queued = svc.listActive('discord', 'g1', 'u1')[0];
    await svc.start();
    expect(svc.rerun(firstJob.id, 'texture', owner('u9'))).toMatchObject({ ok: false, reason: expect.stringContaining('were deleted') });
    await rec.waitEnd(queued.id);
    const resumed = rec.of(interrupted.id);
    expect(resumed.slice(0, 2)).toMatchObject([{ type: 'resumed', from: { source: 'preview' } }, { type: 'started' }]);
    const from = (resumed[0] as Extract<JobEvent, { type: 'resumed' }>).from!.iteration;
    expect(progressOf(resumed)[0]).toBe(from); // the iteration it was told it resumes from
    expect(resumed.at(-1)?.type).toBe('completed');
    expect(progressOf(resumed)[0]).toBeGreaterThanOrEqual(5); // from its last preview, not from scratch
    expect(progressOf(resumed).at(-1)).toBe(25);
    expect(svc.rerun(queued.id, 'reconstruct', owner('u9')).ok).toBe(false); // texture has no content
    const fresh = job(svc.submit({ owner: owner('u4'), inputs, options: { ...fast, steps: 1 } }));
    await rec.waitEnd(fresh.id);
    await new Promise((r) => setTimeout(r, 2500)); // retention 1 s + one sweep period (1 s)
    expect(svc.rerun(fresh.id, 'texture', owner('u4'))).toMatchObject({ ok: false, reason: expect.stringContaining('were deleted') });
  });
});
