// Ordinary channel messages through discord.js's REST client. Everything after the first reply to a
// command goes through here rather than the interaction webhook: interaction tokens die after 15
// minutes, jobs can run longer, and channel routes work for channels discord.js has not cached
// (after a restart). The REST client queues per route bucket and waits out 429s by itself.
import {
  DiscordAPIError,
  HTTPError,
  Routes,
  type APIActionRowComponent,
  type APIComponentInMessageActionRow,
  type APIMessage,
  type REST,
} from 'discord.js';

export interface OutgoingFile {
  name: string;
  data: Buffer;
  contentType: string;
}

export interface OutgoingMessage {
  content?: string;
  files?: OutgoingFile[];
  /** Replaces the message's buttons; [] removes them. */
  components?: APIActionRowComponent<APIComponentInMessageActionRow>[];
  /** Edits only: drop the attachments the message already has (new files still come in). */
  replaceAttachments?: boolean;
  /** Users this message may ping; nobody else (no @everyone from echoed text). */
  mentionUsers?: string[];
  /** Post as a reply to this message (DMs and channels without threads). */
  replyTo?: string;
}

/** Discord's JSON error codes the adapter reacts to. */
export const DiscordCodes = {
  UnknownChannel: 10003,
  UnknownMessage: 10008,
  MissingAccess: 50001,
  MissingPermissions: 50013,
  RequestEntityTooLarge: 40005,
  InvalidWebhookToken: 50027,
} as const;

export function discordErrorCode(e: unknown): number | undefined {
  return e instanceof DiscordAPIError && typeof e.code === 'number' ? e.code : undefined;
}

/** 413 / 40005: the upload was over this channel's cap. */
export function isTooLarge(e: unknown): boolean {
  return (e instanceof DiscordAPIError || e instanceof HTTPError) && (e.status === 413 || discordErrorCode(e) === DiscordCodes.RequestEntityTooLarge);
}

/** 403 / Missing Access or Permissions: the bot cannot post in that channel. */
export function isForbidden(e: unknown): boolean {
  return e instanceof DiscordAPIError && (e.status === 403 || e.code === DiscordCodes.MissingAccess || e.code === DiscordCodes.MissingPermissions);
}

/** Errors that will not go away by retrying the same call. */
export function isPermanent(e: unknown): boolean {
  if (!(e instanceof DiscordAPIError)) return false;
  return e.status === 401 || e.status === 403 || e.status === 404 || (e.status === 400 && !isTooLarge(e));
}

/**
 * One line for the log. Never the error object itself: REST errors carry the request URL (webhook
 * URLs contain interaction tokens) and the request body (uploaded images).
 */
export function describeError(e: unknown): string {
  if (e instanceof DiscordAPIError) return `Discord ${e.status} (code ${e.code}): ${e.message}`;
  if (e instanceof HTTPError) return `Discord HTTP ${e.status}: ${e.message}`;
  if (e instanceof Error) return e.name === 'Error' ? e.message : `${e.name}: ${e.message}`;
  return String(e);
}

export class DiscordIO {
  constructor(private readonly rest: REST) {}

  private body(msg: OutgoingMessage, edit: boolean): Record<string, unknown> {
    const body: Record<string, unknown> = {
      allowed_mentions: { parse: [], users: msg.mentionUsers ?? [] },
    };
    if (msg.content !== undefined) body.content = msg.content;
    if (msg.components !== undefined) body.components = msg.components;
    const files = msg.files ?? [];
    if (files.length > 0 || (edit && msg.replaceAttachments)) {
      // Listing only the new files makes an edit drop the old attachments.
      body.attachments = files.map((f, i) => ({ id: i, filename: f.name }));
    }
    if (msg.replyTo && !edit) body.message_reference = { message_id: msg.replyTo, fail_if_not_exists: false };
    return body;
  }

  private files(msg: OutgoingMessage) {
    return (msg.files ?? []).map((f) => ({ name: f.name, data: f.data, contentType: f.contentType }));
  }

  async send(channelId: string, msg: OutgoingMessage): Promise<APIMessage> {
    return (await this.rest.post(Routes.channelMessages(channelId), { body: this.body(msg, false), files: this.files(msg) })) as APIMessage;
  }

  async edit(channelId: string, messageId: string, msg: OutgoingMessage): Promise<APIMessage> {
    return (await this.rest.patch(Routes.channelMessage(channelId, messageId), { body: this.body(msg, true), files: this.files(msg) })) as APIMessage;
  }

  /**
   * A follow-up through the interaction webhook: works where the bot cannot see the channel (a
   * command in a private channel), but only while the interaction token lives (15 minutes).
   */
  async followUp(applicationId: string, token: string, msg: OutgoingMessage): Promise<APIMessage> {
    const body = this.body({ ...msg, replyTo: undefined }, false);
    return (await this.rest.post(Routes.webhook(applicationId, token), { body, files: this.files(msg), auth: false, query: new URLSearchParams({ wait: 'true' }) })) as APIMessage;
  }

  async editFollowUp(applicationId: string, token: string, messageId: string, msg: OutgoingMessage): Promise<APIMessage> {
    return (await this.rest.patch(Routes.webhookMessage(applicationId, token, messageId), { body: this.body(msg, true), files: this.files(msg), auth: false })) as APIMessage;
  }

  async fetchMessage(channelId: string, messageId: string): Promise<APIMessage> {
    return (await this.rest.get(Routes.channelMessage(channelId, messageId))) as APIMessage;
  }

  /** The channel's latest messages, newest first (Read Message History). */
  async recentMessages(channelId: string, limit = 100): Promise<APIMessage[]> {
    return (await this.rest.get(Routes.channelMessages(channelId), { query: new URLSearchParams({ limit: String(limit) }) })) as APIMessage[];
  }

  async react(channelId: string, messageId: string, emoji: string): Promise<void> {
    await this.rest.put(Routes.channelMessageOwnReaction(channelId, messageId, encodeURIComponent(emoji)));
  }

  /** A public thread on a message; the thread's id equals the message's. */
  async startThread(channelId: string, messageId: string, name: string): Promise<string> {
    const thread = (await this.rest.post(Routes.threads(channelId, messageId), {
      body: { name: name.slice(0, 100), auto_archive_duration: 1440 },
    })) as { id: string };
    return thread.id;
  }
}
