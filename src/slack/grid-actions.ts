// Pressing a grid's U or V button on Slack. Anyone in the channel may press; the job is the
// presser's, under their caps, in the grid's thread.
import type { webApi } from '@slack/bolt';
import type { GridPick } from '../jobs/types.ts';
import type { SlackDeps } from './context.ts';
import { pickLabel } from './grid-buttons.ts';
import { slackMetaOf, type SlackJobMeta } from './job-meta.ts';
import { tellUser } from './replies.ts';

export interface GridActionRequest {
  jobId: string;
  pick: GridPick;
  user: string;
  /** Where the button was. */
  channel: string;
  ts: string;
  teamId?: string;
}

/** Queues the upscale or the vary grid; the job view then posts it in the grid's thread. */
export async function runGridAction(deps: SlackDeps, client: webApi.WebClient, req: GridActionRequest): Promise<void> {
  const job = deps.jobs.get(req.jobId);
  const meta = job ? slackMetaOf(job) : undefined;
  if (!job || !meta) {
    await tellUser(client, { channel: req.channel, user: req.user }, 'That grid is no longer known to the bot.');
    return;
  }
  const threadTs = meta.threadTs ?? meta.rootTs ?? req.ts;
  const teamId = req.teamId ?? meta.teamId;
  const slack: SlackJobMeta = { teamId, channel: req.channel, threadTs };
  const owner = { platform: 'slack' as const, workspaceId: teamId, channelId: req.channel, threadId: threadTs, userId: req.user };
  const result = deps.jobs.fromGrid(req.jobId, req.pick, owner, { slack });
  if (result.ok) deps.jobView.announce(result.job, result.position);
  else await tellUser(client, { channel: req.channel, user: req.user, threadTs }, `Cannot queue ${pickLabel(req.pick)}: ${result.reason}`);
}
