// The job database: one embedded SQLite file in the data directory.
//
// Input images are BLOBs in the same database rather than files under dataDir/inputs/: the job row
// and its images are then written in ONE transaction, so a crash (or kill -9) can never leave a job
// without its inputs or orphaned files without a job, and submit() needs a single durable commit
// (one fsync with synchronous=FULL) instead of fsyncing each file and its directory. Purging is a
// DELETE; SQLite reuses the freed pages for the next inputs, so the file does not grow without bound.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

export const SCHEMA_VERSION = 7;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  platform TEXT NOT NULL,
  workspace_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  thread_id TEXT,
  user_id TEXT NOT NULL,
  options_json TEXT NOT NULL,
  user_options_json TEXT NOT NULL,
  -- Sheet jobs: {kind, layers?, combo?} (schema 2).
  sheet_json TEXT,
  -- Grid and upscale jobs: {spec, pick?} (schema 5).
  grid_json TEXT,
  parent_job_id TEXT,
  meta_json TEXT NOT NULL DEFAULT '{}',
  turn INTEGER NOT NULL DEFAULT 0,
  timeout_sec INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  error TEXT,
  cancelled_by TEXT,
  inputs_purged_at INTEGER,
  -- How many times the job's engine process died under it (schema 6): the second time fails it.
  engine_crashes INTEGER NOT NULL DEFAULT 0,
  -- A failed job: when a chat adapter confirmed posting its failure message (schema 7); until then
  -- a restarted service announces the failure again, as it does an unconfirmed result.
  failure_posted_at INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs(finished_at) WHERE inputs_purged_at IS NULL;

CREATE TABLE IF NOT EXISTS job_inputs (
  job_id TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('content', 'style')),
  idx INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (job_id, role, idx)
);

-- The latest preview of a running job, to resume from after a crash; source 'shutdown' when it was
-- taken on purpose at a graceful stop (schema 3).
CREATE TABLE IF NOT EXISTS job_checkpoints (
  job_id TEXT PRIMARY KEY,
  iteration INTEGER NOT NULL,
  png BLOB NOT NULL,
  updated_at INTEGER NOT NULL,
  source TEXT NOT NULL DEFAULT 'preview'
);

-- A completed job's result, kept until the chat adapter confirms it was posted (schema 3).
CREATE TABLE IF NOT EXISTS job_results (
  job_id TEXT PRIMARY KEY,
  png BLOB NOT NULL,
  runtime_ms REAL NOT NULL,
  summary TEXT NOT NULL,
  report_json TEXT,
  delivered_at INTEGER
);

-- The finished runs of a running sheet job, so a restart continues at the first unfinished one (schema 3).
CREATE TABLE IF NOT EXISTS job_sheet_runs (
  job_id TEXT NOT NULL,
  run INTEGER NOT NULL,
  png BLOB NOT NULL,
  run_json TEXT NOT NULL,
  PRIMARY KEY (job_id, run)
);

-- The candidates of a grid job as they finish (a restart continues at the first unfinished one), kept
-- after it completes for its U/V buttons; an upscale job's starting candidate. Deleted with the inputs (schema 5).
CREATE TABLE IF NOT EXISTS job_grid_candidates (
  job_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  png BLOB NOT NULL,
  candidate_json TEXT NOT NULL,
  PRIMARY KEY (job_id, idx)
);

-- Time-lapse frames of a finished job (schema 3): small PNGs, deleted with the inputs.
CREATE TABLE IF NOT EXISTS job_frames (
  job_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  png BLOB NOT NULL,
  PRIMARY KEY (job_id, idx)
);

-- The losses of every iteration of a finished job, for its chart (schema 3); deleted with the inputs.
CREATE TABLE IF NOT EXISTS job_curves (
  job_id TEXT PRIMARY KEY,
  points_json TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS settings (
  platform TEXT NOT NULL,
  workspace_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value_json TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (platform, workspace_id, key)
);
`;

// Schema 4: a chat workspace's saved styles (the style library), kept until removed: the job
// retention never touches them. And the index behind a user's job history.
const SAVED_STYLES = `
CREATE TABLE IF NOT EXISTS saved_styles (
  platform TEXT NOT NULL,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  saved_by TEXT NOT NULL,
  saved_at INTEGER NOT NULL,
  image BLOB NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  PRIMARY KEY (platform, workspace_id, name)
);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs(platform, workspace_id, user_id, seq);
`;

/** Brings a database of an older schema up to date; each step is a no-op where already applied. */
function migrate(db: Db): void {
  const columns = new Set((db.pragma('table_info(jobs)') as { name: string }[]).map((c) => c.name));
  // 1 → 2: sheet jobs. Older rows are stylize jobs and keep NULL.
  if (!columns.has('sheet_json')) db.exec('ALTER TABLE jobs ADD COLUMN sheet_json TEXT');
  // 2 → 3: checkpoints say whether they are a preview or taken at shutdown.
  const checkpointColumns = new Set((db.pragma('table_info(job_checkpoints)') as { name: string }[]).map((c) => c.name));
  if (!checkpointColumns.has('source')) db.exec("ALTER TABLE job_checkpoints ADD COLUMN source TEXT NOT NULL DEFAULT 'preview'");
  // 3 → 4: saved styles and the history index (IF NOT EXISTS: nothing to do where they are).
  db.exec(SAVED_STYLES);
  // → 5: grid and upscale jobs (job_grid_candidates is created by SCHEMA). Older rows keep NULL.
  if (!columns.has('grid_json')) db.exec('ALTER TABLE jobs ADD COLUMN grid_json TEXT');
  // → 6: engine crashes are counted per job (engine-crashes.ts); older jobs start at none.
  if (!columns.has('engine_crashes')) db.exec('ALTER TABLE jobs ADD COLUMN engine_crashes INTEGER NOT NULL DEFAULT 0');
  // → 7: failures wait for their posting to be confirmed. Those of older versions were posted (or
  // lost) long ago: announcing them again after the upgrade would only repeat old news.
  if (!columns.has('failure_posted_at')) {
    db.exec('ALTER TABLE jobs ADD COLUMN failure_posted_at INTEGER');
    db.exec("UPDATE jobs SET failure_posted_at = finished_at WHERE state = 'failed'");
  }
}

export function openDatabase(dataDir: string): Db {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'stylize.db');
  let db: Db;
  try {
    db = new Database(file);
  } catch (e) {
    throw new Error(`cannot open the job database ${file}: ${(e as Error).message}`);
  }
  db.pragma('journal_mode = WAL');
  // FULL: a commit is on disk when submit() returns, even across a power cut, not only a process crash.
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    db.close();
    throw new Error(`the job database ${file} was written by a newer stylize (schema ${version} > ${SCHEMA_VERSION})`);
  }
  db.transaction(() => {
    db.exec(SCHEMA);
    migrate(db);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
  return db;
}
