// Block Kit pieces of the job messages. Every message also carries a plain `text`, which Slack
// shows in notifications and screen readers.
import type { types } from '@slack/bolt';

export const CANCEL_ACTION_ID = 'stylize_cancel';

/** The result's buttons: action_id stylize_result_<action>, value = job id. */
export const RESULT_ACTION_PREFIX = 'stylize_result_';
export const RESULT_ACTIONS = ['texture', 'reconstruct', 'timelapse', 'chart'] as const;
export type ResultActionName = (typeof RESULT_ACTIONS)[number];
const RESULT_BUTTON_TEXT: Record<ResultActionName, string> = {
  texture: ':thread: Texture',
  reconstruct: ':bricks: Reconstruct',
  timelapse: ':film_frames: Time-lapse',
  chart: ':chart_with_upwards_trend: Loss curve',
};

export function resultActionsBlock(jobId: string): types.ActionsBlock {
  return {
    type: 'actions',
    block_id: 'stylize_result_actions',
    elements: RESULT_ACTIONS.map((a) => ({
      type: 'button' as const,
      action_id: `${RESULT_ACTION_PREFIX}${a}`,
      text: { type: 'plain_text' as const, text: RESULT_BUTTON_TEXT[a], emoji: true },
      value: jobId,
    })),
  };
}

export function resultActionName(actionId: string): ResultActionName | undefined {
  const name = actionId.slice(RESULT_ACTION_PREFIX.length);
  return actionId.startsWith(RESULT_ACTION_PREFIX) && (RESULT_ACTIONS as readonly string[]).includes(name) ? (name as ResultActionName) : undefined;
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack user ids render as mentions; anything else ("timeout", "shutdown") as plain text. */
export function mentionOrName(who: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(who) ? `<@${who}>` : escapeMrkdwn(who);
}

export function cancelButton(jobId: string): types.ActionsBlock {
  return {
    type: 'actions',
    block_id: 'stylize_job_actions',
    elements: [
      {
        type: 'button',
        action_id: CANCEL_ACTION_ID,
        text: { type: 'plain_text', text: 'Cancel', emoji: true },
        style: 'danger',
        value: jobId,
      },
    ],
  };
}

/** A section with the message text, plus the Cancel button while the job can still be stopped. */
// Section text is limited to 3000 characters, context elements to 2000.
function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

export function statusBlocks(mrkdwn: string, jobId: string, cancellable: boolean, context?: string): types.KnownBlock[] {
  const blocks: types.KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: clip(mrkdwn, 3000) } }];
  if (context) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(context, 2000) }] });
  if (cancellable) blocks.push(cancelButton(jobId));
  return blocks;
}
