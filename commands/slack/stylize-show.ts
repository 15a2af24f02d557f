// /stylize-show <job id>: posts a kept result of yours again in this channel with its buttons, or says privately why not.
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../../src/slack/context.ts';
import { showResult } from '../../src/slack/style-library.ts';

export function stylizeShowCommand(deps: SlackDeps) {
  return async ({ ack, body, client, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const text = await showResult(deps, client, body.team_id, { channel: body.channel_id }, body.user_id, (body.text ?? '').trim()).catch(
      (e: unknown) => `Could not post the result: ${(e as Error).message}`,
    );
    if (text) await respond({ response_type: 'ephemeral', text }).catch(() => {});
  };
}
