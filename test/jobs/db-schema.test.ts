// Schema 6 (engine crashes counted per job): a database of an older schema gains the column in
// place, its jobs start at no crash, and opening an up-to-date database again changes nothing.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { openDatabase, SCHEMA_VERSION } from '../../src/jobs/db.ts';
import { JobStore } from '../../src/jobs/job-store.ts';
import { tempDir } from './helpers.ts';

const tmp = tempDir('db-schema');
afterAll(() => tmp.remove());

function columns(dir: string): string[] {
  const db = new Database(path.join(dir, 'stylize.db'));
  try {
    return (db.pragma('table_info(jobs)') as { name: string }[]).map((c) => c.name);
  } finally {
    db.close();
  }
}

it('upgrades a schema 3 database: engine_crashes (schema 6) added, counted from 0, idempotent', () => {
  const dir = tmp.dir;
  openDatabase(dir).close();
  const raw = new Database(path.join(dir, 'stylize.db'));
  raw.exec('ALTER TABLE jobs DROP COLUMN engine_crashes');
  raw
    .prepare("INSERT INTO jobs (id, kind, state, platform, workspace_id, channel_id, user_id, options_json, user_options_json, timeout_sec, created_at) VALUES ('old', 'stylize', 'queued', 'discord', 'g', 'c', 'u', '{}', '{}', 60, 1)")
    .run();
  raw.pragma('user_version = 3');
  raw.close();
  expect(columns(dir)).not.toContain('engine_crashes');

  const db = openDatabase(dir);
  expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  const store = new JobStore(db);
  expect(store.engineCrashed('old')).toBe(1);
  expect(store.engineCrashed('old')).toBe(2);
  expect(store.engineCrashed('missing')).toBe(0);
  db.close();
  // Already up to date: opening again keeps the count.
  const again = openDatabase(dir);
  expect(new JobStore(again).engineCrashed('old')).toBe(3);
  again.close();
});
