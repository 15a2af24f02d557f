// A finished grid's Block Kit buttons on Slack: U1–U4 upscale a candidate to the requested size,
// V1–V4 make a new grid around it (action_id stylize_grid_u2, value = the grid's job id). Anyone in
// the channel may press; the job is the presser's, under their caps, in the grid's thread.
import type { types, webApi } from '@slack/bolt';
import type { GridPick } from '../jobs/types.ts';
import type { SlackDeps } from './context.ts';
import { slackMetaOf, type SlackJobMeta } from './job-meta.ts';
import { tellUser } from './replies.ts';

export const GRID_ACTION_PREFIX = 'stylize_grid_';

export function gridActionId(action: GridPick['action'], index: number): string {
  return `${GRID_ACTION_PREFIX}${action === 'upscale' ? 'u' : 'v'}${index + 1}`;
}

export function parseGridActionId(actionId: string): GridPick | undefined {
  const m = /^stylize_grid_([uv])([1-4])$/.exec(actionId);
  return m ? { action: m[1] === 'u' ? 'upscale' : 'vary', index: Number(m[2]) - 1 } : undefined;
}

function pickLabel(pick: GridPick): string {
  return `${pick.action === 'upscale' ? 'U' : 'V'}${pick.index + 1}`;
}

/** Two actions blocks: U1–U4 (primary), then V1–V4. */
export function gridActionsBlocks(jobId: string): types.ActionsBlock[] {
  const block = (action: GridPick['action']): types.ActionsBlock => ({
    type: 'actions',
    block_id: `stylize_grid_${action}`,
    elements: [0, 1, 2, 3].map((index) => ({
      type: 'button' as const,
      action_id: gridActionId(action, index),
      text: { type: 'plain_text' as const, text: pickLabel({ action, index }) },
      value: jobId,
      ...(action === 'upscale' ? { style: 'primary' as const } : {}),
    })),
  });
  return [block('upscale'), block('vary')];
}

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
