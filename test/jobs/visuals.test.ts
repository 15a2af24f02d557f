// What a finished stylize job keeps for later: time-lapse frames (expiring with its images) and its
// losses, and the before/after image on its completed event. Real engine worker, tiny jobs.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import path from 'node:path';
import { COMPARE_GAP } from '../../src/engine/visuals/compare.ts';
import { CHART_HEIGHT, CHART_WIDTH } from '../../src/engine/visuals/loss-chart.ts';
import { createJobService } from '../../src/jobs/create-job-service.ts';
import type { JobCoordinator } from '../../src/jobs/job-coordinator.ts';
import type { JobRecord, SubmitResult } from '../../src/jobs/types.ts';
import { makePng, owner, recordEvents, tempDir, weightsFile } from './helpers.ts';

let tmp: ReturnType<typeof tempDir>;
let svc: JobCoordinator;
let rec: ReturnType<typeof recordEvents>;

function job(r: SubmitResult): JobRecord {
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r.job;
}

beforeAll(async () => {
  tmp = tempDir('visuals');
  const weightsPath = await weightsFile(tmp.dir);
  // ~2 s retention, so expiry can be seen.
  svc = createJobService({ dataDir: tmp.dir, weightsPath, backend: 'wasm', engineThreads: 1, retentionHours: 2 / 3600 });
  rec = recordEvents(svc);
  await svc.start();
});

afterAll(async () => {
  await svc?.stop();
  tmp?.remove();
});

describe('a finished job’s time-lapse, loss chart and before/after', () => {
  it('keeps frames and losses; the completed event carries the composite; both expire with the images', async () => {
    const content = await makePng(32, 24, 1);
    const style = await makePng(24, 24, 2);
    const j = job(svc.submit({ owner: owner('u1'), inputs: { content, styles: [style] }, options: { size: 32, steps: 6, optimizer: 'adam', preset: 'seed' } }));
    expect(await svc.timelapse(j.id)).toMatchObject({ ok: false, reason: expect.stringMatching(/still (queued|running)/) });
    const end = await rec.waitEnd(j.id);
    expect(end.event.type).toBe('completed');
    if (end.event.type !== 'completed') return;
    const compare = await sharp(end.event.compare!).metadata();
    // content 32×24, style 24×24 at 24 px high, result 32×24.
    expect([compare.width, compare.height]).toEqual([32 + 24 + 32 + 2 * COMPARE_GAP, 24]);

    const film = await svc.timelapse(j.id, { format: 'gif' });
    if (!film.ok) throw new Error(film.reason);
    expect(film.file).toMatchObject({ name: `timelapse-${j.id}.gif`, contentType: 'image/gif' });
    const meta = await sharp(film.file.data, { animated: true }).metadata();
    expect([meta.pages, meta.loop, meta.width, meta.pageHeight]).toEqual([7, 0, 32, 24]);

    const chart = await svc.lossChart(j.id);
    if (!chart.ok) throw new Error(chart.reason);
    expect(chart.file.contentType).toBe('image/png');
    expect(await sharp(chart.file.data).metadata()).toMatchObject({ width: CHART_WIDTH, height: CHART_HEIGHT });

    expect(await svc.timelapse('nope')).toEqual({ ok: false, reason: 'there is no job nope' });
    await new Promise((r) => setTimeout(r, 2500));
    svc.purgeExpired(); // the periodic sweep may have done it already
    expect(await svc.timelapse(j.id)).toEqual({ ok: false, reason: `the time-lapse frames of job ${j.id} have expired (they are kept 2 s after a job ends, like its images)` });
    expect(await svc.lossChart(j.id)).toEqual({ ok: false, reason: `the recorded losses of job ${j.id} have expired (they are kept 2 s after a job ends, like its images)` });
    const db = new Database(path.join(tmp.dir, 'stylize.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM job_frames WHERE job_id = ?').get(j.id)).toEqual({ n: 0 });
      expect(db.prepare('SELECT COUNT(*) AS n FROM job_curves WHERE job_id = ?').get(j.id)).toEqual({ n: 0 });
      expect(db.pragma('user_version', { simple: true })).toBe(6);
    } finally {
      db.close();
    }
  });
});
