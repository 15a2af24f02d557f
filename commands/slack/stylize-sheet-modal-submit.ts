// The sheet modal's submit: checked before ack (errors go back onto their blocks); the images are
// downloaded and the sheet queued after ack, with any problem sent to the user ephemerally.
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { SlackDeps } from '../../src/slack/context.ts';
import type { SubmittedView } from '../../src/slack/modal.ts';
import { SHEET_BLOCKS, readSheetModal } from '../../src/slack/sheet-modal.ts';
import { submitFromForm } from '../../src/slack/submit.ts';

export function stylizeSheetModalSubmit(deps: SlackDeps) {
  return async ({ ack, body, view, client }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const teamId = body.team?.id ?? body.user.team_id ?? view.team_id;
    const form = readSheetModal(view as unknown as SubmittedView, deps.config);
    if (!form.metadata) form.errors[SHEET_BLOCKS.kind] ??= 'This form lost track of its channel: close it and run /stylize-sheet again.';
    if (Object.keys(form.errors).length > 0 || !form.metadata || !form.sheet) {
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
        sheet: form.sheet,
        contentFiles: form.contentFiles,
        styleFiles: form.styleFiles,
        options: form.options,
      },
      'sheet form',
    );
  };
}
