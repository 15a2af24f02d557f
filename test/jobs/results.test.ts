// A completed job's result stays in the database until an adapter confirms it was posted (a
// restarted service announces it again until then; a failure likewise), retention removes it with the inputs, a
// service that is shutting down refuses new jobs with "restarting", and a schema 2 database is
// upgraded in place. Real engine worker process, 16 px, a few steps.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobService } from '../../src/jobs/create-job-service.ts';
import { SCHEMA_VERSION } from '../../src/jobs/db.ts';
import { RESTARTING_REASON, type JobCoordinator } from '../../src/jobs/job-coordinator.ts';
import type { JobEvent, JobInputs, JobRecord, SubmitResult } from '../../src/jobs/types.ts';
import { makePng, owner, recordEvents, tempDir, weightsFile } from './helpers.ts';

let tmp: ReturnType<typeof tempDir>;
let weights: string;
let inputs: JobInputs;
const services: JobCoordinator[] = [];

function job(r: SubmitResult): JobRecord {
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r.job;
}

function open(dataDir: string, retentionHours?: number): JobCoordinator {
  const svc = createJobService({ dataDir, weightsPath: weights, backend: 'wasm', engineThreads: 1, retentionHours });
  services.push(svc);
  return svc;
}

function rows(dataDir: string, sql: string, ...args: unknown[]): unknown[] {
  const db = new Database(path.join(dataDir, 'stylize.db'), { readonly: true });
  try {
    return db.prepare(sql).all(...args);
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  tmp = tempDir('results');
  weights = await weightsFile(tmp.dir);
  inputs = { content: await makePng(16, 16, 1), styles: [await makePng(16, 16, 2)] };
});

afterAll(async () => {
  for (const s of services) await s.stop().catch(() => undefined);
  tmp?.remove();
});

describe('results that survive a restart', () => {
  it('announces an unconfirmed result again at the next start, and no more once confirmed; retention removes it', async () => {
    const dir = path.join(tmp.dir, 'redeliver');
    let svc = open(dir);
    let rec = recordEvents(svc);
    await svc.start();
    const j = job(svc.submit({ owner: owner('a'), inputs, options: { size: 16, steps: 2 } }));
    const done = (await rec.waitEnd(j.id)).event as Extract<JobEvent, { type: 'completed' }>;
    expect(done.type).toBe('completed');
    expect(rows(dir, 'SELECT length(png) AS n, delivered_at FROM job_results WHERE job_id = ?', j.id)).toEqual([{ n: done.png.length, delivered_at: null }]);

    // Shutting down: new work is refused with a message saying to come back.
    svc.beginShutdown();
    expect(svc.submit({ owner: owner('b'), inputs, options: { size: 16, steps: 2 } })).toEqual({ ok: false, reason: RESTARTING_REASON });
    expect(RESTARTING_REASON).toMatch(/restarting, try again in a minute/);
    expect(svc.notReady()).toBe('shutting down');
    await svc.stop();

    // Nobody confirmed it: the restarted service announces the same result once.
    svc = open(dir);
    rec = recordEvents(svc);
    await svc.start();
    const again = await rec.waitFor((e) => e.job.id === j.id && e.event.type === 'completed');
    expect(again.job.state).toBe('completed');
    expect((again.event as Extract<JobEvent, { type: 'completed' }>).png.equals(done.png)).toBe(true);
    expect((again.event as Extract<JobEvent, { type: 'completed' }>).summary).toBe(done.summary);
    await new Promise((r) => setTimeout(r, 200));
    expect(rec.of(j.id).filter((e) => e.type === 'completed')).toHaveLength(1);
    svc.confirmDelivered(j.id);
    await svc.stop();

    // Confirmed: not announced again; retention then removes the result with the inputs.
    svc = open(dir, 1 / 3600);
    rec = recordEvents(svc);
    await new Promise((r) => setTimeout(r, 1100));
    await svc.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(rec.of(j.id)).toEqual([]);
    expect(rows(dir, 'SELECT count(*) AS n FROM job_results WHERE job_id = ?', j.id)).toEqual([{ n: 0 }]);
    expect(rows(dir, 'SELECT count(*) AS n FROM job_inputs WHERE job_id = ?', j.id)).toEqual([{ n: 0 }]);
    await svc.stop();
  }, 120_000);

  it('announces an unconfirmed failure again at the next start, with its reason, and no more once confirmed', async () => {
    const dir = path.join(tmp.dir, 'failure');
    let svc = open(dir);
    let rec = recordEvents(svc);
    await svc.start();
    // 16×8 is too small for the gatys preset's deepest layers: the engine fails the job.
    const j = job(svc.submit({ owner: owner('a'), inputs: { content: await makePng(16, 8, 3), styles: inputs.styles }, options: { size: 16, steps: 2, preset: 'gatys' } }));
    const failed = (await rec.waitEnd(j.id)).event;
    expect(failed).toEqual({ type: 'failed', reason: expect.stringMatching(/16×8 px/) });
    expect(rows(dir, 'SELECT failure_posted_at FROM jobs WHERE id = ?', j.id)).toEqual([{ failure_posted_at: null }]);
    await svc.stop();

    svc = open(dir);
    rec = recordEvents(svc);
    await svc.start();
    const again = await rec.waitFor((e) => e.job.id === j.id && e.event.type === 'failed');
    expect(again.event).toEqual({ ...failed, afterRestart: true });
    expect(again.job.state).toBe('failed');
    svc.confirmDelivered(j.id);
    await svc.stop();
    expect(rows(dir, 'SELECT failure_posted_at > 0 AS posted FROM jobs WHERE id = ?', j.id)).toEqual([{ posted: 1 }]);

    svc = open(dir);
    rec = recordEvents(svc);
    await svc.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(rec.of(j.id)).toEqual([]);
    await svc.stop();
  }, 120_000);

  it('keeps a sheet result with its summary and report until confirmed, too', async () => {
    const dir = path.join(tmp.dir, 'sheet');
    let svc = open(dir);
    let rec = recordEvents(svc);
    await svc.start();
    const j = job(svc.submit({ owner: owner('a'), sheet: { kind: 'texture', layers: ['conv_1'] }, inputs: { styles: inputs.styles }, options: { size: 16, steps: 1 } }));
    const done = (await rec.waitEnd(j.id)).event as Extract<JobEvent, { type: 'completed' }>;
    expect(done.type).toBe('completed');
    await svc.stop();

    svc = open(dir);
    rec = recordEvents(svc);
    await svc.start();
    const again = (await rec.waitFor((e) => e.job.id === j.id && e.event.type === 'completed')).event as Extract<JobEvent, { type: 'completed' }>;
    expect(again.png.equals(done.png)).toBe(true);
    expect(again.summary).toBe(done.summary);
    expect(again.report).toEqual(done.report);
    // Its kept runs went with the completion.
    expect(rows(dir, 'SELECT count(*) AS n FROM job_sheet_runs WHERE job_id = ?', j.id)).toEqual([{ n: 0 }]);
    svc.confirmDelivered(j.id);
    await svc.stop();
  }, 120_000);

  it('upgrades a schema 2 database in place (checkpoints keep their rows and gain a source)', async () => {
    const dir = path.join(tmp.dir, 'schema2');
    const svc = open(dir);
    const kept = job(svc.submit({ owner: owner('a'), inputs, options: { size: 16, steps: 2 } }));
    await svc.stop();
    const raw = new Database(path.join(dir, 'stylize.db'));
    raw.exec('DROP TABLE job_results; DROP TABLE job_sheet_runs; DROP TABLE job_checkpoints');
    raw.exec('CREATE TABLE job_checkpoints (job_id TEXT PRIMARY KEY, iteration INTEGER NOT NULL, png BLOB NOT NULL, updated_at INTEGER NOT NULL)');
    raw.prepare('INSERT INTO job_checkpoints VALUES (?, 3, ?, 0)').run(kept.id, inputs.content);
    raw.pragma('user_version = 2');
    raw.close();
    const upgraded = open(dir);
    expect(upgraded.get(kept.id)?.state).toBe('queued');
    await upgraded.stop();
    expect(rows(dir, 'SELECT iteration, source FROM job_checkpoints WHERE job_id = ?', kept.id)).toEqual([{ iteration: 3, source: 'preview' }]);
    expect(rows(dir, "SELECT name FROM sqlite_master WHERE name IN ('job_results', 'job_sheet_runs') ORDER BY name")).toEqual([{ name: 'job_results' }, { name: 'job_sheet_runs' }]);
    expect(rows(dir, 'PRAGMA user_version')).toEqual([{ user_version: SCHEMA_VERSION }]);
  });

  it('upgrades a schema 3 database to grid jobs (schema 5): a grid_json column and the candidates table, old rows kept', async () => {
    const dir = path.join(tmp.dir, 'schema3');
    const svc = open(dir);
    const kept = job(svc.submit({ owner: owner('a'), inputs, options: { size: 16, steps: 2 } }));
    await svc.stop();
    const raw = new Database(path.join(dir, 'stylize.db'));
    raw.exec('DROP TABLE job_grid_candidates; ALTER TABLE jobs DROP COLUMN grid_json');
    raw.pragma('user_version = 3');
    raw.close();
    const upgraded = open(dir);
    expect(upgraded.get(kept.id)?.state).toBe('queued');
    expect(upgraded.get(kept.id)?.grid).toBeUndefined();
    await upgraded.stop();
    expect(rows(dir, "SELECT name FROM sqlite_master WHERE name = 'job_grid_candidates'")).toEqual([{ name: 'job_grid_candidates' }]);
    expect(rows(dir, 'SELECT grid_json FROM jobs WHERE id = ?', kept.id)).toEqual([{ grid_json: null }]);
    expect(rows(dir, 'PRAGMA user_version')).toEqual([{ user_version: SCHEMA_VERSION }]);
    // Opening it again is a no-op.
    await open(dir).stop();
    expect(rows(dir, 'PRAGMA user_version')).toEqual([{ user_version: SCHEMA_VERSION }]);
  });

  it('upgrades a schema 6 database (schema 7): failures finished before it count as posted, a queued job keeps NULL', async () => {
    const dir = path.join(tmp.dir, 'schema6');
    const svc = open(dir);
    const kept = job(svc.submit({ owner: owner('a'), inputs, options: { size: 16, steps: 2 } }));
    const old = job(svc.submit({ owner: owner('b'), inputs, options: { size: 16, steps: 2 } }));
    await svc.stop();
    const raw = new Database(path.join(dir, 'stylize.db'));
    raw.prepare("UPDATE jobs SET state = 'failed', finished_at = 1234, error = 'old news' WHERE id = ?").run(old.id);
    raw.exec('ALTER TABLE jobs DROP COLUMN failure_posted_at');
    raw.pragma('user_version = 6');
    raw.close();
    const upgraded = open(dir);
    const rec = recordEvents(upgraded);
    await upgraded.start();
    await rec.waitFor((e) => e.job.id === kept.id && e.event.type === 'completed');
    expect(rec.of(old.id)).toEqual([]);
    await upgraded.stop();
    expect(rows(dir, 'SELECT id, failure_posted_at FROM jobs ORDER BY seq')).toEqual([
      { id: kept.id, failure_posted_at: null },
      { id: old.id, failure_posted_at: 1234 },
    ]);
    expect(rows(dir, 'PRAGMA user_version')).toEqual([{ user_version: SCHEMA_VERSION }]);
  }, 120_000);
});

