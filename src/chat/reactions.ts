// The reactions a result offers. Discord reports the unicode emoji, Slack the emoji's short name,
// so each entry carries both. A re-run's mode is what reacting queues on the same inputs; a
// visual is a file made from the finished job (its time-lapse, its loss chart), posted in its thread.
// The result's buttons offer the same four actions.
import type { Mode } from '../options.ts';

export interface RerunReaction {
  unicode: string;
  slackName: string;
  mode: Mode;
  label: string;
}

export const RERUN_REACTIONS: readonly RerunReaction[] = [
  { unicode: '🧵', slackName: 'thread', mode: 'texture', label: 'texture synthesis (style only, from noise)' },
  { unicode: '🧱', slackName: 'bricks', mode: 'reconstruct', label: 'content reconstruction (content only, from noise)' },
];

export type ResultVisual = 'timelapse' | 'chart';

export interface VisualReaction {
  unicode: string;
  slackName: string;
  visual: ResultVisual;
  label: string;
}

export const VISUAL_REACTIONS: readonly VisualReaction[] = [
  { unicode: '🎞️', slackName: 'film_frames', visual: 'timelapse', label: 'time-lapse of the run' },
  { unicode: '📈', slackName: 'chart_with_upwards_trend', visual: 'chart', label: 'loss curves' },
];

/** Every reaction the bot puts on a result, in order. */
export const RESULT_REACTIONS: readonly { unicode: string; slackName: string; label: string }[] = [...RERUN_REACTIONS, ...VISUAL_REACTIONS];

export const CANCEL_REACTION = { unicode: '❌', slackName: 'x' } as const;

// Discord may send 🎞 with or without the emoji variation selector (U+FE0F).
const bare = (s: string | null) => (s ?? '').replace(/\uFE0F/g, '');

export function visualForDiscord(emoji: string | null): VisualReaction | undefined {
  return VISUAL_REACTIONS.find((r) => bare(r.unicode) === bare(emoji));
}

export function visualForSlack(name: string): VisualReaction | undefined {
  return VISUAL_REACTIONS.find((r) => r.slackName === name.split('::')[0]);
}

export function rerunForDiscord(emoji: string | null): RerunReaction | undefined {
  return RERUN_REACTIONS.find((r) => r.unicode === emoji);
}

export function rerunForSlack(name: string): RerunReaction | undefined {
  // Slack appends skin tones as "::skin-tone-N"; these emoji have none, but be lenient.
  return RERUN_REACTIONS.find((r) => r.slackName === name.split('::')[0]);
}
