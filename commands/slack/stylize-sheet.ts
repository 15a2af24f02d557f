// /stylize-sheet: opens the experiment-sheet modal (kind, images, layers, steps, size).
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../../src/slack/context.ts';
import { buildSheetModal } from '../../src/slack/sheet-modal.ts';
import { SHEET_MENTION_USAGE } from '../../src/slack/sheet-mention.ts';
import { logger } from '../../src/log.ts';

const log = logger.child({ module: 'slack' });

export function stylizeSheetCommand(_deps: SlackDeps) {
  return async ({ ack, body, client, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    if (/^\s*help\b/i.test(body.text ?? '')) {
      await respond({ response_type: 'ephemeral', text: `\`/stylize-sheet\` opens a form for an experiment sheet.\n${SHEET_MENTION_USAGE}` }).catch(() => {});
      return;
    }
    try {
      await client.views.open({ trigger_id: body.trigger_id, view: buildSheetModal({ channel: body.channel_id }) });
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'views.open failed');
      await respond({ response_type: 'ephemeral', text: `Could not open the sheet form: ${(e as Error).message}` }).catch(() => {});
    }
  };
}
