// /stylize-config: workspace defaults and limits, for workspace admins and owners (users.info).
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { runConfigCommand } from '../../src/slack/config-command.ts';
import type { SlackDeps } from '../../src/slack/context.ts';

export function stylizeConfig(deps: SlackDeps) {
  return async ({ ack, body, client, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    let text: string;
    try {
      const admin = await deps.admins.isAdmin(client, body.user_id);
      text = admin ? runConfigCommand(deps.jobs.settings, body.team_id, body.text ?? '') : 'Only workspace admins and owners can view or change the Stylize settings.';
    } catch (e) {
      text = `Could not check your admin status with Slack: ${(e as Error).message}`;
    }
    await respond({ response_type: 'ephemeral', text }).catch(() => {});
  };
}
