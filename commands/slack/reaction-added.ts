// Reactions on the bot's job messages: 🧵 (`thread`) / 🧱 (`bricks`) on a result re-run the job's
// inputs as texture / reconstruction in the same thread, 🎞️ (`film_frames`) / 📈
// (`chart_with_upwards_trend`) post its time-lapse / loss chart there; ❌ (`x`) on a running job's
// message cancels it.
import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { CANCEL_REACTION, rerunForSlack, visualForSlack } from '../../src/chat/reactions.ts';
import { cancelJobAs } from '../../src/slack/cancel.ts';
import type { SlackDeps } from '../../src/slack/context.ts';
import { tellUser } from '../../src/slack/replies.ts';
import { slackMetaOf } from '../../src/slack/job-meta.ts';
import { runResultAction } from '../../src/slack/result-actions.ts';

export function reactionAdded(deps: SlackDeps) {
  return async ({ event, body, client, context }: SlackEventMiddlewareArgs<'reaction_added'> & AllMiddlewareArgs): Promise<void> => {
    if (event.item.type !== 'message') return;
    // Only the bot's own messages can be job messages: skip the rest without an API call.
    if (context.botUserId && event.item_user && event.item_user !== context.botUserId) return;
    const name = event.reaction.split('::')[0];
    const rerun = rerunForSlack(name);
    const visual = visualForSlack(name);
    const cancel = name === CANCEL_REACTION.slackName;
    if (!rerun && !visual && !cancel) return;
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
    if (ref.role !== 'result' && ref.role !== 'file') return;
    if (!job || !meta) {
      await tellUser(client, to, 'That result is no longer known to the bot.');
      return;
    }
    const action = rerun ? rerun.mode : visual!.visual;
    if (action === 'transfer') return;
    const teamId = body.team_id ?? context.teamId ?? meta.teamId;
    await runResultAction(deps, client, { jobId: ref.jobId, action, user: event.user, channel, ts, teamId });
  };
}
