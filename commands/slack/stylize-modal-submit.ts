// The modal's submit: options and file objects are checked before ack (errors go back onto the right
// block with response_action: 'errors'); downloading and queueing happen after ack, with any problem
// sent to the user as an ephemeral message in the channel the modal was opened from.
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { SlackDeps } from '../../src/slack/context.ts';
import { CONTENT_BLOCK, readStylizeModal, type SubmittedView } from '../../src/slack/modal.ts';
import { submitFromForm } from '../../src/slack/submit.ts';
import { logger } from '../../src/log.ts';
import type { OptionsInput } from '../../src/options.ts';

const log = logger.child({ module: 'slack' });

export function stylizeModalSubmit(deps: SlackDeps) {
  return async ({ ack, body, view, client }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const teamId = body.team?.id ?? body.user.team_id ?? view.team_id;
    let defaults: OptionsInput = {};
    try {
      defaults = deps.jobs.settings.get('slack', teamId).defaults;
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'could not read workspace defaults');
    }
    const form = readStylizeModal(view as unknown as SubmittedView, defaults, deps.config);
    if (!form.metadata) form.errors[CONTENT_BLOCK] ??= 'This form lost track of its channel: close it and run /stylize again.';
    if (Object.keys(form.errors).length > 0 || !form.metadata) {
      await ack({ response_action: 'errors', errors: form.errors });
      return;
    }
    await ack();
    const { channel, threadTs } = form.metadata;
    await submitFromForm(
      deps,
      client,
      {
        teamId,
        channel,
        userId: body.user.id,
        ...(threadTs ? { threadTs } : {}),
        contentFile: form.contentFile,
        styleFile: form.styleFile,
        options: form.options,
      },
      'modal',
    );
  };
}
