// Cancelling from Slack (❌ reaction or the Cancel button): the job's owner, or a workspace admin.
import type { webApi } from '@slack/bolt';
import type { CancelResult } from '../jobs/types.ts';
import type { SlackDeps } from './context.ts';

export async function cancelJobAs(deps: SlackDeps, client: webApi.WebClient, jobId: string, userId: string): Promise<CancelResult> {
  const job = deps.jobs.get(jobId);
  if (!job) return { ok: false, reason: 'this job is no longer known.' };
  let isAdmin = false;
  if (job.owner.userId !== userId) {
    try {
      isAdmin = await deps.admins.isAdmin(client, userId);
    } catch {
      return { ok: false, reason: 'could not check your admin status with Slack; try again.' };
    }
    if (!isAdmin) return { ok: false, reason: `only <@${job.owner.userId}> or a workspace admin can cancel this job.` };
  }
  return deps.jobs.cancel(jobId, { userId, isAdmin });
}
