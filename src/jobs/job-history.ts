// A user's past jobs in a workspace (/stylize-history) and a kept result shown again (/stylize-show):
// read-only views of the job store. Results are kept as long as the job's images (the retention).
import type { Db } from './db.ts';
import { retentionText } from './retention.ts';
import { jobFromRow, type JobRow, type JobStore } from './job-store.ts';
import type { Actor, JobHistoryService, JobRecord, Platform, StoredResultView } from './types.ts';

export const HISTORY_LENGTH = 10;

export class JobHistory implements JobHistoryService {
  private readonly selectRecent;

  constructor(
    db: Db,
    private readonly store: JobStore,
    private readonly retentionMs: number,
  ) {
    this.selectRecent = db.prepare<[string, string, string, number], JobRow>(
      'SELECT * FROM jobs WHERE platform = ? AND workspace_id = ? AND user_id = ? ORDER BY seq DESC LIMIT ?',
    );
  }

  recent(platform: Platform, workspaceId: string, userId: string, limit = HISTORY_LENGTH): JobRecord[] {
    return this.selectRecent.all(platform, workspaceId, userId, Math.max(1, Math.min(100, limit))).map((r) => jobFromRow(r).record);
  }

  result(platform: Platform, workspaceId: string, jobId: string, by: Actor): StoredResultView {
    const stored = this.store.get(jobId.trim());
    // Another workspace's job, or someone else's (unless an admin asks), is as good as unknown here.
    const owner = stored?.record.owner;
    const mayShow = owner && owner.platform === platform && owner.workspaceId === workspaceId && (owner.userId === by.userId || (by.isAdmin && workspaceId !== 'dm'));
    if (!stored || !mayShow) return { ok: false, reason: `there is no job ${jobId} of yours here` };
    const job = stored.record;
    if (job.state !== 'completed') return { ok: false, reason: `job ${job.id} ${job.state === 'queued' || job.state === 'running' ? `is still ${job.state}` : `has no result: it ${job.state === 'failed' ? 'failed' : 'was cancelled'}`}` };
    const result = stored.inputsPurged ? undefined : this.store.result(job.id);
    if (!result) return { ok: false, reason: `the result of job ${job.id} has expired (results are kept ${retentionText(this.retentionMs)} after a job ends)` };
    return { ok: true, job, png: result.png, runtimeMs: result.runtimeMs, summary: result.summary };
  }
}
