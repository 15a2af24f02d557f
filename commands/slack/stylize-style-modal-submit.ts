// The save-style form's submit: the name and the file object are checked before ack (errors go onto
// their blocks); the image is downloaded, checked and stored after, and the user told privately.
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { SlackDeps } from '../../src/slack/context.ts';
import { tellUser } from '../../src/slack/replies.ts';
import { saveStyle } from '../../src/slack/style-library.ts';
import { readSaveStyleModal, STYLE_NAME_BLOCK } from '../../src/slack/style-modal.ts';
import { logger } from '../../src/log.ts';

const log = logger.child({ module: 'slack' });

export function stylizeStyleModalSubmit(deps: SlackDeps) {
  return async ({ ack, body, view, client }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const teamId = body.team?.id ?? body.user.team_id ?? view.team_id;
    const form = readSaveStyleModal(view as unknown as Parameters<typeof readSaveStyleModal>[0], deps.config);
    if (!form.metadata) form.errors[STYLE_NAME_BLOCK] ??= 'This form lost track of its channel: close it and run /stylize-style save again.';
    if (Object.keys(form.errors).length > 0 || !form.metadata) {
      await ack({ response_action: 'errors', errors: form.errors });
      return;
    }
    await ack();
    let text: string;
    try {
      text = await saveStyle(deps, client, teamId, body.user.id, form.name, form.file);
    } catch (e) {
      log.error({ err: (e as Error).message }, 'saving a style failed');
      text = `Not saved: ${(e as Error).message}`;
    }
    await tellUser(client, { channel: form.metadata.channel, user: body.user.id }, text);
  };
}
