// The eight buttons under a finished grid (action_id stylize_grid_u1…v4, value = the grid's job id).
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../../src/slack/context.ts';
import { runGridAction } from '../../src/slack/grid-actions.ts';
import { parseGridActionId } from '../../src/slack/grid-buttons.ts';

export function gridButton(deps: SlackDeps) {
  return async ({ ack, body, action, client }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const pick = parseGridActionId(action.action_id);
    const channel = body.channel?.id ?? body.container?.channel_id;
    const ts = body.message?.ts ?? body.container?.message_ts;
    if (!pick || !action.value || !channel || !ts) return;
    await runGridAction(deps, client, { jobId: action.value, pick, user: body.user.id, channel, ts, teamId: body.team?.id });
  };
}
