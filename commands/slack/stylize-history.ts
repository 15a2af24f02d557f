// /stylize-history: the caller's last 10 jobs in this workspace, privately, with links to the results.
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../../src/slack/context.ts';
import { historyText } from '../../src/slack/style-library.ts';

export function stylizeHistoryCommand(deps: SlackDeps) {
  return async ({ ack, body, client, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const text = await historyText(deps, client, body.team_id, body.user_id).catch((e: unknown) => `Could not read your history: ${(e as Error).message}`);
    await respond({ response_type: 'ephemeral', text }).catch(() => {});
  };
}
