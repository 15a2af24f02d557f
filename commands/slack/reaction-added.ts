// Reactions on the bot's job messages: 🧵 (`thread`) / 🧱 (`bricks`) on a result re-run the job's
// inputs as texture / reconstruction in the same thread; ❌ (`x`) on a running job's message cancels it.
import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { CANCEL_REACTION, rerunForSlack } from '../../src/chat/reactions.ts';
import { cancelJobAs } from '../../src/slack/cancel.ts';
import type { SlackDeps } from '../../src/slack/context.ts';
import { tellUser } from '../../src/slack/notify.ts';
import { slackMetaOf, type SlackJobMeta } from '../../src/slack/renderer.ts';

export function reactionAdded(deps: SlackDeps) {
  return async ({ event, body, client, context }: SlackEventMiddlewareArgs<'reaction_added'> & AllMiddlewareArgs): Promise<void> => {
    if (event.item.type !== 'message') return;
    // Only the bot's own messages can be job messages: skip the rest without an API call.
    if (context.botUserId && event.item_user && event.item_user !== context.botUserId) return;
    const name = event.reaction.split('::')[0];
    const rerun = rerunForSlack(name);
    const cancel = name === CANCEL_REACTION.slackName;
    if (!rerun && !cancel) return;
    const { channel, ts } = event.item;
    const ref = await deps.index.resolve(client, channel, ts);
    if (!ref) return;
    const job = deps.jobs.get(ref.jobId);
    const meta = job ? slackMetaOf(job) : undefined;
    const to = { channel, user: event.user, ...(meta?.threadTs ? { threadTs: meta.threadTs } : {}) };
    if (cancel) {
      if (ref.role !== 'root' && ref.role !== 'progress') return;
      const result = await cancelJobAs(deps, client, ref.jobId, event.user);
      if (!result.ok) await tellUser(client, to, `Cannot cancel: ${result.reason}`);
      return;
    }
    if (!rerun || (ref.role !== 'result' && ref.role !== 'file')) return;
    if (!job || !meta) {
      await tellUser(client, to, 'That result is no longer known to the bot, so it cannot be re-run.');
      return;
    }
    const teamId = body.team_id ?? context.teamId ?? meta.teamId;
    const threadTs = meta.threadTs ?? meta.rootTs ?? ts;
    const slack: SlackJobMeta = { teamId, channel, threadTs };
    const result = deps.jobs.rerun(ref.jobId, rerun.mode, { platform: 'slack', workspaceId: teamId, channelId: channel, threadId: threadTs, userId: event.user }, { slack });
    if (result.ok) deps.renderer.announce(result.job, result.position);
    else await tellUser(client, { ...to, threadTs }, `Cannot re-run as ${rerun.mode}: ${result.reason}`);
  };
}
