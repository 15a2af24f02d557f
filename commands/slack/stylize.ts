// /stylize: opens the modal. Slash commands cannot carry files, so the images come from the modal's
// file pickers (or from an @mention).
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../../src/slack/context.ts';
import { MENTION_USAGE } from '../../src/slack/mention.ts';
import { buildStylizeModal } from '../../src/slack/modal.ts';
import { logger } from '../../src/log.ts';

const log = logger.child({ module: 'slack' });

export function stylizeCommand(deps: SlackDeps) {
  return async ({ ack, body, client, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    if (/^\s*help\b/i.test(body.text ?? '')) {
      await respond({ response_type: 'ephemeral', text: `\`/stylize\` opens a form with two image pickers and the options.\n${MENTION_USAGE}` }).catch(() => {});
      return;
    }
    try {
      const defaults = deps.jobs.settings.get('slack', body.team_id).defaults;
      const library = deps.jobs.styles.entries('slack', body.team_id).map((e) => e.name);
      await client.views.open({ trigger_id: body.trigger_id, view: buildStylizeModal({ channel: body.channel_id }, defaults, library) });
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'views.open failed');
      await respond({ response_type: 'ephemeral', text: `Could not open the Stylize form: ${(e as Error).message}` }).catch(() => {});
    }
  };
}
