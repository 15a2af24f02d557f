// submit/cancel/rerun rules on a real database, before the engines start (jobs just wait), so no
// worker process is needed: caps, limits, refusals, permissions, durability and retention.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createJobService } from '../../src/jobs/create-job-service.ts';
import type { JobCoordinator } from '../../src/jobs/job-coordinator.ts';
import type { JobServiceConfig } from '../../src/jobs/service-config.ts';
import type { JobInputs, JobRecord, SubmitResult } from '../../src/jobs/types.ts';
import { makePng, owner, recordEvents, tempDir } from './helpers.ts';

let tmp: ReturnType<typeof tempDir>;
let svc: JobCoordinator;
let inputs: JobInputs;
const open = (extra: Partial<JobServiceConfig> = {}) => createJobService({ dataDir: tmp.dir, weightsPath: '/nonexistent', ...extra });

function job(r: SubmitResult): JobRecord {
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r.job;
}

beforeAll(async () => {
  inputs = { content: await makePng(16, 16, 1), styles: [await makePng(16, 12, 2)] };
});
beforeEach(() => {
  tmp = tempDir('submit');
  svc = open();
});
afterEach(async () => {
  await svc.stop();
  tmp.remove();
});

const small = { size: 16, steps: 2, optimizer: 'adam' };

describe('submit', () => {
  it('refuses a user over the per-user cap, and only them', () => {
    expect(svc.submit({ owner: owner('a'), inputs, options: small }).ok).toBe(true);
    expect(svc.submit({ owner: owner('a'), inputs, options: small }).ok).toBe(true);
    const third = svc.submit({ owner: owner('a'), inputs, options: small });
    expect(third).toEqual({ ok: false, reason: expect.stringMatching(/you already have 2 jobs queued or running \(limit 2, maxUserJobs\)/) });
    expect(svc.submit({ owner: owner('b'), inputs, options: small }).ok).toBe(true);
    // The same user id in another workspace is counted there.
    expect(svc.submit({ owner: owner('a', 'g2'), inputs, options: small }).ok).toBe(true);
    // A workspace admin can lower the cap.
    svc.settings.set('discord', 'g3', 'maxUserJobs', 1);
    expect(svc.submit({ owner: owner('c', 'g3'), inputs, options: small }).ok).toBe(true);
    expect(svc.submit({ owner: owner('c', 'g3'), inputs, options: small })).toMatchObject({ ok: false, reason: expect.stringContaining('limit 1, maxUserJobs') });
    expect(svc.queueLength()).toBe(5);
  });

  it('refuses when the queue is full', async () => {
    await svc.stop();
    svc = open({ ceilings: { maxQueue: 3 } });
    for (const u of ['a', 'b', 'c']) expect(svc.submit({ owner: owner(u), inputs, options: small }).ok).toBe(true);
    expect(svc.submit({ owner: owner('d'), inputs, options: small })).toEqual({
      ok: false,
      reason: 'the queue is full (3 jobs waiting, limit 3, maxQueue): try again later',
    });
  });

  it('refuses options over the workspace limits, naming the limit', () => {
    svc.settings.set('discord', 'g1', 'maxSteps', 50);
    svc.settings.set('discord', 'g1', 'maxSize', 128);
    expect(svc.submit({ owner: owner('a'), inputs, options: { steps: 51 } })).toMatchObject({ ok: false, reason: expect.stringContaining("limit of 50 steps (maxSteps)") });
    expect(svc.submit({ owner: owner('a'), inputs, options: { size: 256 } })).toMatchObject({ ok: false, reason: expect.stringContaining('limit of 128 px (maxSize)') });
    // Above the server ceiling too (default 1000 steps), even without workspace settings.
    expect(svc.submit({ owner: owner('a', 'g9'), inputs, options: { steps: 1001 } })).toMatchObject({ ok: false, reason: expect.stringContaining('limit of 1000 steps') });
    const ok = job(svc.submit({ owner: owner('a'), inputs, options: { steps: 50 } }));
    expect(ok.options).toMatchObject({ steps: 50, size: 128 });
  });

  it('refuses bad input with one-line reasons', () => {
    const reason = (r: SubmitResult) => (r.ok ? 'accepted' : r.reason);
    expect(reason(svc.submit({ owner: owner('a'), inputs, options: { steps: 'x' } }))).toMatch(/^steps: got "x"/);
    expect(reason(svc.submit({ owner: owner('a'), inputs, options: { wat: 1 } as never }))).toBe('unknown option "wat"');
    expect(reason(svc.submit({ owner: owner('a'), inputs: { styles: inputs.styles }, options: {} }))).toBe('transfer needs a content image and at least one style image');
    expect(reason(svc.submit({ owner: owner('a'), inputs: { content: inputs.content, styles: [] }, options: { mode: 'texture' } }))).toBe('texture needs at least one style image');
    expect(reason(svc.submit({ owner: owner('a'), inputs: { content: Buffer.alloc(0), styles: inputs.styles }, options: {} }))).toBe('the content image is empty');
    expect(reason(svc.submit({ owner: { ...owner('a'), userId: '' }, inputs, options: {} }))).toBe("the job's owner has no userId");
    expect(reason(svc.submit({ owner: owner('a'), inputs, options: {}, kind: 'sheet' }))).toBe('a sheet job needs a sheet kind: reconstruct, texture, init, grid');
    expect(reason(svc.submit({ owner: owner('a'), inputs, options: {}, kind: 'collage' as never }))).toBe('unknown job kind "collage"');
    expect(svc.queueLength()).toBe(0);
  });

  it('places jobs fairly and reports their positions', () => {
    const a1 = svc.submit({ owner: owner('a'), inputs, options: small });
    const a2 = svc.submit({ owner: owner('a'), inputs, options: small });
    const b1 = svc.submit({ owner: owner('b'), inputs, options: small });
    expect([a1, a2, b1].map((r) => r.ok && r.position)).toEqual([1, 2, 2]);
    expect(svc.listActive('discord', 'g1').map((j) => j.id)).toEqual([a1, a2, b1].map((r) => job(r).id));
    expect(svc.listActive('discord', 'g1', 'a').map((j) => j.state)).toEqual(['queued', 'queued']);
  });

  it('has the job and its images on disk when submit returns', () => {
    const j = job(svc.submit({ owner: { ...owner('a'), threadId: 't1' }, inputs: { content: inputs.content, styles: [inputs.styles[0], inputs.content!] }, options: small, meta: { msg: 'm1' } }));
    // A second connection sees the committed rows: nothing waits in memory.
    const db = new Database(path.join(tmp.dir, 'stylize.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT state, user_id, thread_id, meta_json FROM jobs WHERE id = ?').get(j.id);
      expect(row).toEqual({ state: 'queued', user_id: 'a', thread_id: 't1', meta_json: '{"msg":"m1"}' });
      const images = db.prepare('SELECT role, idx, data FROM job_inputs WHERE job_id = ? ORDER BY role, idx').all(j.id) as { role: string; idx: number; data: Buffer }[];
      expect(images.map((i) => [i.role, i.idx])).toEqual([['content', 0], ['style', 0], ['style', 1]]);
      expect(images[1].data.equals(inputs.styles[0])).toBe(true);
      expect((db.pragma('journal_mode', { simple: true }) as string).toLowerCase()).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('keeps queued jobs, their order and meta across a restart', async () => {
    const ids = ['a', 'b', 'a', 'c'].map((u) => job(svc.submit({ owner: owner(u), inputs, options: small })).id);
    svc.updateMeta(ids[1], { messageId: 'x' });
    svc.updateMeta(ids[1], { channel: 'y' });
    const before = svc.listActive('discord', 'g1').map((j) => j.id);
    await svc.stop();
    svc = open();
    expect(svc.listActive('discord', 'g1').map((j) => j.id)).toEqual(before);
    expect(svc.queueLength()).toBe(4);
    expect(svc.get(ids[1])?.meta).toEqual({ messageId: 'x', channel: 'y' });
    // The fair order survives too: a's second job is still in the second round, so a newcomer's
    // first job goes before it (position 4 of 5), and b's second job after it.
    expect(svc.submit({ owner: owner('d'), inputs, options: small })).toMatchObject({ ok: true, position: 4 });
    expect(svc.submit({ owner: owner('b'), inputs, options: small })).toMatchObject({ ok: true, position: 6 });
  });
});

describe('cancel', () => {
  it('lets the owner or an admin cancel a queued job, and refuses others', async () => {
    const rec = recordEvents(svc);
    const a1 = job(svc.submit({ owner: owner('a'), inputs, options: small }));
    const a2 = job(svc.submit({ owner: owner('a'), inputs, options: small }));
    expect(svc.cancel(a1.id, { userId: 'b', isAdmin: false })).toEqual({ ok: false, reason: 'only the person who submitted this job or an admin can cancel it' });
    expect(svc.cancel(a1.id, { userId: 'a', isAdmin: false })).toEqual({ ok: true });
    expect(svc.cancel(a2.id, { userId: 'mod', isAdmin: true })).toEqual({ ok: true });
    expect(svc.cancel(a1.id, { userId: 'a', isAdmin: false })).toEqual({ ok: false, reason: `job ${a1.id} has already been cancelled` });
    expect(svc.cancel('nope', { userId: 'a', isAdmin: true })).toEqual({ ok: false, reason: 'there is no job nope' });
    expect(svc.queueLength()).toBe(0);
    expect(svc.get(a1.id)).toMatchObject({ state: 'cancelled', finishedAt: expect.any(Number) });
    await rec.waitEnd(a2.id);
    expect(rec.of(a1.id)).toEqual([{ type: 'cancelled', by: 'a' }]);
    expect(rec.of(a2.id)).toEqual([{ type: 'cancelled', by: 'mod' }]);
    // The cap counts only unfinished jobs.
    expect(svc.submit({ owner: owner('a'), inputs, options: small }).ok).toBe(true);
  });
});

describe('rerun and retention', () => {
  it('refuses unknown, unfinished and purged jobs; purges only after the retention time', async () => {
    await svc.stop();
    svc = open({ retentionHours: 1 });
    const j = job(svc.submit({ owner: owner('a'), inputs, options: small }));
    expect(svc.rerun('nope', 'texture', owner('a'))).toEqual({ ok: false, reason: 'there is no job nope' });
    expect(svc.rerun(j.id, 'texture', owner('a'))).toEqual({ ok: false, reason: `job ${j.id} is still queued: re-run it once it has finished` });
    svc.cancel(j.id, { userId: 'a', isAdmin: false });
    const finishedAt = svc.get(j.id)!.finishedAt!;
    expect(svc.purgeExpired(finishedAt + 59 * 60_000)).toBe(0);
    const texture = job(svc.rerun(j.id, 'texture', owner('b'), { via: 'reaction' }));
    expect(texture).toMatchObject({ parentJobId: j.id, owner: owner('b'), meta: { via: 'reaction' }, options: { mode: 'texture', init: 'noise', size: 16 } });
    expect(svc.purgeExpired(finishedAt + 61 * 60_000)).toBe(1);
    expect(svc.rerun(j.id, 'reconstruct', owner('a'))).toEqual({
      ok: false,
      reason: `the images of job ${j.id} were deleted (they are kept 1 h after a job ends): send them again`,
    });
    // The re-run has its own copy of the images: it is not affected by its parent's purge.
    const db = new Database(path.join(tmp.dir, 'stylize.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT role FROM job_inputs WHERE job_id = ?').all(texture.id)).toEqual([{ role: 'style' }]);
      expect(db.prepare('SELECT count(*) AS n FROM job_inputs WHERE job_id = ?').get(j.id)).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});
