// What the Discord adapter persists in a job's meta (under meta.discord), so that a restarted bot
// finds the thread and messages of a job again and keeps editing them. The interaction token is
// deliberately not stored: it dies after 15 minutes and is a credential; everything after the first
// reply goes through ordinary channel messages.
import type { JobRecord } from '../jobs/types.ts';

export interface DiscordJobMeta {
  /** Guild id, absent in DMs. */
  guildId?: string;
  /** Channel the command was used in (or the thread of the parent job, for re-runs). */
  channelId: string;
  /** Where updates go: the thread opened on the reply, or channelId itself. */
  postChannelId?: string;
  /** When the interaction was created (ms); its token works until interactionAt + 15 min. */
  interactionAt?: number;
  /** The reply to the slash command (the thread starts on it). */
  replyMessageId?: string;
  progressMessageId?: string;
  resultMessageId?: string;
  /** Bot upload cap for this channel, from the interaction's attachment_size_limit. */
  uploadLimitBytes?: number;
  /** The result was posted. */
  delivered?: boolean;
  /** The bot may not post in the channel: messages went through the interaction webhook. */
  viaWebhook?: boolean;
}

export const INTERACTION_TOKEN_LIFETIME_MS = 15 * 60 * 1000;

function isString(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0;
}

/** Reads meta.discord defensively: the record comes from storage and may predate a field. */
export function readDiscordMeta(job: Pick<JobRecord, 'meta'>): DiscordJobMeta | undefined {
  const raw = job.meta?.discord;
  if (!raw || typeof raw !== 'object') return undefined;
  const m = raw as Record<string, unknown>;
  if (!isString(m.channelId)) return undefined;
  const out: DiscordJobMeta = { channelId: m.channelId };
  for (const k of ['guildId', 'postChannelId', 'replyMessageId', 'progressMessageId', 'resultMessageId'] as const) {
    if (isString(m[k])) out[k] = m[k];
  }
  if (typeof m.interactionAt === 'number') out.interactionAt = m.interactionAt;
  if (typeof m.uploadLimitBytes === 'number' && m.uploadLimitBytes > 0) out.uploadLimitBytes = m.uploadLimitBytes;
  if (m.delivered === true) out.delivered = true;
  if (m.viaWebhook === true) out.viaWebhook = true;
  return out;
}

/** The line every bot message of a job ends with; reactions on uncached messages are traced back through it. */
export function jobTag(jobId: string): string {
  return `-# job \`${jobId}\``;
}

export function parseJobTag(content: string): string | undefined {
  return /-# job `([\w-]+)`/.exec(content)?.[1];
}
