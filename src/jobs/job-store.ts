// Job rows, their input images, the latest checkpoint, finished sheet runs and undelivered results,
// over the SQLite database.
// Every write is synchronous: submit() must have the job durably stored before it returns.
import type { LossPoint } from '../engine/visuals/loss-trace.ts';
import type { StyleOptions } from '../options.ts';
import type { Db } from './db.ts';
import type { GridJob, JobInputs, JobKind, JobOwner, JobRecord, JobState, Platform, SheetSpec, StoredCandidate } from './types.ts';

export interface StoredJob {
  record: JobRecord;
  seq: number;
  turn: number;
  timeoutSec: number;
  cancelledBy?: string;
  inputsPurged: boolean;
}

export interface NewJob {
  id: string;
  kind: JobKind;
  owner: JobOwner;
  options: StyleOptions;
  userOptions: unknown;
  sheet?: SheetSpec;
  grid?: GridJob;
  parentJobId?: string;
  meta: Record<string, unknown>;
  turn: number;
  timeoutSec: number;
  createdAt: number;
}

export interface JobRow {
  seq: number;
  id: string;
  kind: string;
  state: string;
  platform: string;
  workspace_id: string;
  channel_id: string;
  thread_id: string | null;
  user_id: string;
  options_json: string;
  sheet_json: string | null;
  grid_json: string | null;
  parent_job_id: string | null;
  meta_json: string;
  turn: number;
  timeout_sec: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
  cancelled_by: string | null;
  inputs_purged_at: number | null;
}

export type CheckpointSource = 'preview' | 'shutdown';

export interface Checkpoint {
  iteration: number;
  png: Buffer;
  source: CheckpointSource;
}

/** A completed job's result as the chat adapter needs it to post it. */
export interface StoredResult {
  png: Buffer;
  runtimeMs: number;
  summary: string;
  reportJson?: string;
}

export interface StoredSheetRun {
  run: number;
  png: Buffer;
  runJson: string;
}

const FINISHED: readonly JobState[] = ['completed', 'failed', 'cancelled'];

/** A jobs row as the service sees it. */
export function jobFromRow(row: JobRow): StoredJob {
  const owner: JobOwner = {
    platform: row.platform as Platform,
    workspaceId: row.workspace_id,
    channelId: row.channel_id,
    userId: row.user_id,
  };
  if (row.thread_id !== null) owner.threadId = row.thread_id;
  const record: JobRecord = {
    id: row.id,
    kind: row.kind as JobKind,
    state: row.state as JobState,
    owner,
    options: JSON.parse(row.options_json) as StyleOptions,
    meta: JSON.parse(row.meta_json) as Record<string, unknown>,
    createdAt: row.created_at,
  };
  if (row.sheet_json !== null) record.sheet = JSON.parse(row.sheet_json) as SheetSpec;
  if (row.grid_json) record.grid = JSON.parse(row.grid_json) as GridJob;
  if (row.parent_job_id !== null) record.parentJobId = row.parent_job_id;
  if (row.started_at !== null) record.startedAt = row.started_at;
  if (row.finished_at !== null) record.finishedAt = row.finished_at;
  if (row.error !== null) record.error = row.error;
  const stored: StoredJob = { record, seq: row.seq, turn: row.turn, timeoutSec: row.timeout_sec, inputsPurged: row.inputs_purged_at !== null };
  if (row.cancelled_by !== null) stored.cancelledBy = row.cancelled_by;
  return stored;
}

export class JobStore {
  private readonly insertJob;
  private readonly insertInput;
  private readonly selectJob;
  private readonly selectActive;
  private readonly selectInputs;
  private readonly setRunning;
  private readonly setQueued;
  private readonly setFinished;
  private readonly deleteCheckpoint;
  private readonly setMeta;
  private readonly upsertCheckpoint;
  private readonly selectCheckpoint;
  private readonly insertResult;
  private readonly selectResult;
  private readonly setDelivered;
  private readonly selectUndelivered;
  private readonly setFailurePosted;
  private readonly upsertSheetRun;
  private readonly selectSheetRuns;
  private readonly deleteSheetRuns;
  private readonly insertTx;

  constructor(private readonly db: Db) {
    this.insertJob = db.prepare(
      `INSERT INTO jobs (id, kind, state, platform, workspace_id, channel_id, thread_id, user_id, options_json,
         user_options_json, sheet_json, grid_json, parent_job_id, meta_json, turn, timeout_sec, created_at)
       VALUES (@id, @kind, 'queued', @platform, @workspaceId, @channelId, @threadId, @userId, @options,
         @userOptions, @sheet, @grid, @parentJobId, @meta, @turn, @timeoutSec, @createdAt)`,
    );
    this.insertInput = db.prepare('INSERT INTO job_inputs (job_id, role, idx, data) VALUES (?, ?, ?, ?)');
    this.selectJob = db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?');
    this.selectActive = db.prepare<[], JobRow>("SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY seq");
    this.selectInputs = db.prepare<[string], { role: string; idx: number; data: Buffer }>(
      'SELECT role, idx, data FROM job_inputs WHERE job_id = ? ORDER BY role, idx',
    );
    this.setRunning = db.prepare("UPDATE jobs SET state = 'running', started_at = ? WHERE id = ?");
    this.setQueued = db.prepare("UPDATE jobs SET state = 'queued' WHERE id = ?");
    this.setFinished = db.prepare('UPDATE jobs SET state = ?, finished_at = ?, error = ?, cancelled_by = ? WHERE id = ?');
    this.deleteCheckpoint = db.prepare('DELETE FROM job_checkpoints WHERE job_id = ?');
    this.setMeta = db.prepare('UPDATE jobs SET meta_json = ? WHERE id = ?');
    this.upsertCheckpoint = db.prepare(
      `INSERT INTO job_checkpoints (job_id, iteration, png, updated_at, source) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (job_id) DO UPDATE SET iteration = excluded.iteration, png = excluded.png, updated_at = excluded.updated_at, source = excluded.source`,
    );
    this.selectCheckpoint = db.prepare<[string], Checkpoint>('SELECT iteration, png, source FROM job_checkpoints WHERE job_id = ?');
    this.insertResult = db.prepare(
      `INSERT OR REPLACE INTO job_results (job_id, png, runtime_ms, summary, report_json, delivered_at) VALUES (?, ?, ?, ?, ?, NULL)`,
    );
    this.selectResult = db.prepare<[string], { png: Buffer; runtime_ms: number; summary: string; report_json: string | null }>(
      'SELECT png, runtime_ms, summary, report_json FROM job_results WHERE job_id = ?',
    );
    this.setDelivered = db.prepare('UPDATE job_results SET delivered_at = ? WHERE job_id = ? AND delivered_at IS NULL');
    this.setFailurePosted = db.prepare("UPDATE jobs SET failure_posted_at = ? WHERE id = ? AND state = 'failed' AND failure_posted_at IS NULL");
    this.selectUndelivered = db.prepare<[], JobRow>(
      `SELECT jobs.* FROM jobs LEFT JOIN job_results ON job_results.job_id = jobs.id
       WHERE (jobs.state = 'completed' AND job_results.delivered_at IS NULL AND job_results.job_id IS NOT NULL)
          OR (jobs.state = 'failed' AND jobs.failure_posted_at IS NULL)
       ORDER BY jobs.seq`,
    );
    this.upsertSheetRun = db.prepare('INSERT OR REPLACE INTO job_sheet_runs (job_id, run, png, run_json) VALUES (?, ?, ?, ?)');
    this.selectSheetRuns = db.prepare<[string], { run: number; png: Buffer; run_json: string }>(
      'SELECT run, png, run_json FROM job_sheet_runs WHERE job_id = ? ORDER BY run',
    );
    this.deleteSheetRuns = db.prepare('DELETE FROM job_sheet_runs WHERE job_id = ?');
    this.insertTx = db.transaction((job: NewJob, inputs: JobInputs): number => {
      const info = this.insertJob.run({
        id: job.id,
        kind: job.kind,
        platform: job.owner.platform,
        workspaceId: job.owner.workspaceId,
        channelId: job.owner.channelId,
        threadId: job.owner.threadId ?? null,
        userId: job.owner.userId,
        options: JSON.stringify(job.options),
        userOptions: JSON.stringify(job.userOptions ?? {}),
        sheet: job.sheet ? JSON.stringify(job.sheet) : null,
        grid: job.grid ? JSON.stringify(job.grid) : null,
        parentJobId: job.parentJobId ?? null,
        meta: JSON.stringify(job.meta),
        turn: job.turn,
        timeoutSec: job.timeoutSec,
        createdAt: job.createdAt,
      });
      if (inputs.content) this.insertInput.run(job.id, 'content', 0, inputs.content);
      else inputs.contents?.forEach((c, i) => this.insertInput.run(job.id, 'content', i, c));
      inputs.styles.forEach((s, i) => this.insertInput.run(job.id, 'style', i, s));
      inputs.candidates?.forEach((c) => this.saveCandidate(job.id, c));
      return Number(info.lastInsertRowid);
    });
  }

  /** Stores the job and its images in one transaction; returns its submission sequence number. */
  insert(job: NewJob, inputs: JobInputs): number {
    return this.insertTx(job, inputs);
  }

  get(id: string): StoredJob | undefined {
    const row = this.selectJob.get(id);
    return row ? jobFromRow(row) : undefined;
  }

  /** Queued and running jobs in submission order. */
  active(): StoredJob[] {
    return this.selectActive.all().map(jobFromRow);
  }

  /** The kept input images, or undefined once purged. Several content images (sheets) come as contents. */
  inputs(id: string): JobInputs | undefined {
    const rows = this.selectInputs.all(id);
    if (rows.length === 0) return undefined;
    const out: JobInputs = { styles: [] };
    const contents: Buffer[] = [];
    for (const r of rows) {
      if (r.role === 'content') contents[r.idx] = r.data;
      else out.styles[r.idx] = r.data;
    }
    if (contents.length === 1) out.content = contents[0];
    else if (contents.length > 1) out.contents = contents;
    const candidates = this.candidates(id);
    if (candidates.length > 0) out.candidates = candidates;
    return out;
  }

  markRunning(id: string, at: number): void {
    this.setRunning.run(at, id);
  }

  /** Counts one more crash of the engine under the job; returns how many there have been. */
  engineCrashed(id: string): number {
    const row = this.db.prepare('UPDATE jobs SET engine_crashes = engine_crashes + 1 WHERE id = ? RETURNING engine_crashes').get(id) as { engine_crashes: number } | undefined;
    return row?.engine_crashes ?? 0;
  }

  markQueued(id: string): void {
    this.setQueued.run(id);
  }

  /** A completed job's result is stored in the same transaction, so it cannot be lost between the two. */
  markFinished(id: string, state: JobState, at: number, error?: string, cancelledBy?: string, result?: StoredResult): void {
    if (!FINISHED.includes(state)) throw new Error(`not a final state: ${state}`);
    this.db.transaction(() => {
      this.setFinished.run(state, at, error ?? null, cancelledBy ?? null, id);
      this.deleteCheckpoint.run(id);
      this.deleteSheetRuns.run(id);
      if (result) this.insertResult.run(id, result.png, result.runtimeMs, result.summary, result.reportJson ?? null);
    })();
  }

  result(id: string): StoredResult | undefined {
    const row = this.selectResult.get(id);
    if (!row) return undefined;
    const r: StoredResult = { png: row.png, runtimeMs: row.runtime_ms, summary: row.summary };
    if (row.report_json !== null) r.reportJson = row.report_json;
    return r;
  }

  /** The adapter posted the result or the failure (or gave up for good): it is not offered again after a restart. */
  markDelivered(id: string, at = Date.now()): void {
    this.setDelivered.run(at, id);
    this.setFailurePosted.run(at, id);
  }

  /** Completed jobs whose result, and failed jobs whose failure, no adapter has confirmed, in submission order. */
  undelivered(): StoredJob[] {
    return this.selectUndelivered.all().map(jobFromRow);
  }

  saveSheetRun(id: string, run: number, png: Buffer, runJson: string): void {
    this.upsertSheetRun.run(id, run, png, runJson);
  }

  sheetRuns(id: string): StoredSheetRun[] {
    return this.selectSheetRuns.all(id).map((r) => ({ run: r.run, png: r.png, runJson: r.run_json }));
  }

  /** A grid candidate (kept until the inputs are purged: the grid's buttons use it). */
  saveCandidate(id: string, c: StoredCandidate): void {
    this.db.prepare('INSERT OR REPLACE INTO job_grid_candidates (job_id, idx, png, candidate_json) VALUES (?, ?, ?, ?)').run(id, c.run, c.png, c.runJson);
  }

  candidates(id: string): StoredCandidate[] {
    return this.db
      .prepare<[string], { idx: number; png: Buffer; candidate_json: string }>('SELECT idx, png, candidate_json FROM job_grid_candidates WHERE job_id = ? ORDER BY idx')
      .all(id)
      .map((r) => ({ run: r.idx, png: r.png, runJson: r.candidate_json }));
  }

  /** The store answers (readiness). */
  ping(): void {
    this.db.prepare('SELECT 1').get();
  }

  updateMeta(id: string, meta: Record<string, unknown>): void {
    this.setMeta.run(JSON.stringify(meta), id);
  }

  saveCheckpoint(id: string, iteration: number, png: Buffer, source: CheckpointSource = 'preview'): void {
    this.upsertCheckpoint.run(id, iteration, png, Date.now(), source);
  }

  checkpoint(id: string): Checkpoint | undefined {
    return this.selectCheckpoint.get(id);
  }

  /** A finished job's time-lapse frames and loss curve, in one transaction. */
  saveVisuals(id: string, frames: readonly Buffer[], curve: readonly LossPoint[]): void {
    this.db.transaction(() => {
      const insert = this.db.prepare('INSERT OR REPLACE INTO job_frames (job_id, idx, png) VALUES (?, ?, ?)');
      frames.forEach((png, i) => insert.run(id, i, png));
      // Four significant digits are more than a log-scale chart can show, and halve the JSON.
      const compact = JSON.stringify(curve, (_key, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(4)) : v));
      if (curve.length > 0) this.db.prepare('INSERT OR REPLACE INTO job_curves (job_id, points_json) VALUES (?, ?)').run(id, compact);
    })();
  }

  /** The frames in order; empty when there are none (purged, or never recorded). */
  frames(id: string): Buffer[] {
    return this.db
      .prepare<[string], { png: Buffer }>('SELECT png FROM job_frames WHERE job_id = ? ORDER BY idx')
      .all(id)
      .map((r) => r.png);
  }

  curve(id: string): LossPoint[] | undefined {
    const row = this.db.prepare<[string], { points_json: string }>('SELECT points_json FROM job_curves WHERE job_id = ?').get(id);
    return row ? (JSON.parse(row.points_json) as LossPoint[]) : undefined;
  }

  /** Deletes the inputs, results, time-lapse frames and losses of jobs finished before `before` (ms); returns how many jobs were purged. */
  purgeInputs(before: number, now = Date.now()): number {
    return this.db.transaction(() => {
      const ids = this.db
        .prepare<[number], { id: string }>(
          `SELECT id FROM jobs WHERE state IN ('completed', 'failed', 'cancelled') AND finished_at < ? AND inputs_purged_at IS NULL`,
        )
        .all(before)
        .map((r) => r.id);
      const del = this.db.prepare('DELETE FROM job_inputs WHERE job_id = ?');
      const delFrames = this.db.prepare('DELETE FROM job_frames WHERE job_id = ?');
      const delCurve = this.db.prepare('DELETE FROM job_curves WHERE job_id = ?');
      const delResult = this.db.prepare('DELETE FROM job_results WHERE job_id = ?');
      const delCandidates = this.db.prepare('DELETE FROM job_grid_candidates WHERE job_id = ?');
      const mark = this.db.prepare('UPDATE jobs SET inputs_purged_at = ? WHERE id = ?');
      for (const id of ids) {
        del.run(id);
        delFrames.run(id);
        delCurve.run(id);
        delResult.run(id);
        delCandidates.run(id);
        mark.run(now, id);
      }
      return ids.length;
    })();
  }
}
