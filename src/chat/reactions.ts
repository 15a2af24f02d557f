// The reactions a result offers. Discord reports the unicode emoji, Slack the emoji's short name,
// so each entry carries both; the mode is what reacting queues on the same inputs.
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

export const CANCEL_REACTION = { unicode: '❌', slackName: 'x' } as const;

export function rerunForDiscord(emoji: string | null): RerunReaction | undefined {
  return RERUN_REACTIONS.find((r) => r.unicode === emoji);
}

export function rerunForSlack(name: string): RerunReaction | undefined {
  // Slack appends skin tones as "::skin-tone-N"; these emoji have none, but be lenient.
  return RERUN_REACTIONS.find((r) => r.slackName === name.split('::')[0]);
}
