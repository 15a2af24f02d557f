// The Cancel button on a job's messages (action_id stylize_cancel, value = job id).
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { cancelJobAs } from '../../src/slack/cancel.ts';
import type { SlackDeps } from '../../src/slack/context.ts';

export function cancelButton(deps: SlackDeps) {
  return async ({ ack, body, action, client, respond }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const jobId = action.value;
    const result = jobId ? await cancelJobAs(deps, client, jobId, body.user.id) : { ok: false as const, reason: 'the button names no job.' };
    if (!result.ok) await respond({ response_type: 'ephemeral', replace_original: false, text: `Cannot cancel: ${result.reason}` }).catch(() => {});
  };
}
