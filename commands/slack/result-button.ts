// The four buttons under a result (action_id stylize_result_<action>, value = job id): each does
// what its reaction does, in the job's thread.
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { resultActionName } from '../../src/slack/messages.ts';
import type { SlackDeps } from '../../src/slack/context.ts';
import { runResultAction } from '../../src/slack/result-actions.ts';

export function resultButton(deps: SlackDeps) {
  return async ({ ack, body, action, client }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const name = resultActionName(action.action_id);
    const channel = body.channel?.id ?? body.container?.channel_id;
    const ts = body.message?.ts ?? body.container?.message_ts;
    if (!name || !action.value || !channel || !ts) return;
    await runResultAction(deps, client, { jobId: action.value, action: name, user: body.user.id, channel, ts, teamId: body.team?.id });
  };
}
