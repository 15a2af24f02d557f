// /stylize-style save [name] | list | remove <name>: the workspace's style library. Saving opens a
// form with a file picker (slash commands carry no files); the list is a contact sheet posted in
// the channel; everything else is answered privately.
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../../src/slack/context.ts';
import { listStyles, removeStyle, STYLE_USAGE } from '../../src/slack/style-library.ts';
import { buildSaveStyleModal } from '../../src/slack/style-modal.ts';

export function stylizeStyleCommand(deps: SlackDeps) {
  return async ({ ack, body, client, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const [verb = '', ...rest] = (body.text ?? '').trim().split(/\s+/);
    const name = rest.join(' ');
    let text: string | undefined;
    try {
      if (verb === 'save') {
        await client.views.open({ trigger_id: body.trigger_id, view: buildSaveStyleModal({ channel: body.channel_id }, name || undefined) });
      } else if (verb === 'list' || verb === '') {
        text = await listStyles(deps, client, body.team_id, { channel: body.channel_id });
      } else if (verb === 'remove') {
        text = await removeStyle(deps, client, body.team_id, body.user_id, name);
      } else {
        text = `Unknown verb "${verb}". ${STYLE_USAGE}`;
      }
    } catch (e) {
      text = `Could not do that: ${(e as Error).message}`;
    }
    if (text) await respond({ response_type: 'ephemeral', text }).catch(() => {});
  };
}
