// What a finished result offers on Slack, by reaction (:thread: :bricks: :film_frames:
// :chart_with_upwards_trend:) or by its Block Kit buttons: re-run the inputs as texture or
// reconstruction in the same thread, or upload the job's time-lapse GIF or loss chart there.
import type { webApi } from '@slack/bolt';
import { visualRefusalText, visualText } from '../chat/format.ts';
import { RERUN_REACTIONS, type ResultVisual } from '../chat/reactions.ts';
import { logger } from '../log.ts';
import type { ResultActionName } from './messages.ts';
import type { SlackDeps } from './context.ts';
import { tellUser } from './replies.ts';
import { slackMetaOf, type SlackJobMeta } from './job-meta.ts';

const log = logger.child({ module: 'slack' });

export interface ResultActionRequest {
  jobId: string;
  action: ResultActionName;
  user: string;
  /** Where the reaction or button was. */
  channel: string;
  ts: string;
  teamId?: string;
}

export async function runResultAction(deps: SlackDeps, client: webApi.WebClient, req: ResultActionRequest): Promise<void> {
  const job = deps.jobs.get(req.jobId);
  const meta = job ? slackMetaOf(job) : undefined;
  const to = { channel: req.channel, user: req.user, ...(meta?.threadTs ? { threadTs: meta.threadTs } : {}) };
  if (!job || !meta) {
    await tellUser(client, to, 'That result is no longer known to the bot.');
    return;
  }
  const threadTs = meta.threadTs ?? meta.rootTs ?? req.ts;
  const rerun = RERUN_REACTIONS.find((r) => r.mode === req.action);
  if (rerun) {
    const teamId = req.teamId ?? meta.teamId;
    const slack: SlackJobMeta = { teamId, channel: req.channel, threadTs };
    const result = deps.jobs.rerun(req.jobId, rerun.mode, { platform: 'slack', workspaceId: teamId, channelId: req.channel, threadId: threadTs, userId: req.user }, { slack });
    if (result.ok) deps.jobView.announce(result.job, result.position);
    else await tellUser(client, { ...to, threadTs }, `Cannot re-run as ${rerun.mode}: ${result.reason}`);
    return;
  }
  await postVisual(deps, client, req.action as ResultVisual, { ...req, channel: meta.channel }, threadTs);
}

/** Uploads the time-lapse (GIF) or the loss chart into the job's thread; says why not, if not. */
async function postVisual(deps: SlackDeps, client: webApi.WebClient, visual: ResultVisual, req: ResultActionRequest, threadTs: string): Promise<void> {
  const made = visual === 'timelapse' ? await deps.jobs.timelapse(req.jobId, { format: 'gif' }) : await deps.jobs.lossChart(req.jobId);
  if (!made.ok) {
    await tellUser(client, { channel: req.channel, user: req.user, threadTs }, visualRefusalText(visual, made.reason));
    return;
  }
  try {
    await client.files.uploadV2({
      channel_id: req.channel,
      thread_ts: threadTs,
      file: made.file.data,
      filename: made.file.name,
      title: visual === 'timelapse' ? 'Time-lapse' : 'Loss curves',
      initial_comment: `<@${req.user}> ${visualText(visual, req.jobId)}`,
    });
  } catch (e) {
    log.error({ err: (e as Error).message, jobId: req.jobId }, 'could not upload a time-lapse or chart');
    await tellUser(client, { channel: req.channel, user: req.user, threadTs }, visualRefusalText(visual, 'the upload to Slack failed'));
  }
}
