// Gateway and REST payload shapes as Discord sends them (API v10), just the fields discord.js reads.
import { ChannelType, PermissionFlagsBits } from 'discord.js';

let counter = 0n;
/** Discord-like snowflakes: milliseconds since the Discord epoch shifted left 22 bits, plus a counter. */
export function snowflake(): string {
  counter += 1n;
  return (((BigInt(Date.now()) - 1420070400000n) << 22n) + counter).toString();
}

export interface FakeUser {
  id: string;
  username: string;
  global_name: string | null;
  discriminator: string;
  avatar: string | null;
  bot?: boolean;
}

export function makeUser(username: string, bot = false): FakeUser {
  return { id: snowflake(), username, global_name: bot ? null : username, discriminator: '0', avatar: null, ...(bot ? { bot: true } : {}) };
}

export const EVERYONE_PERMISSIONS =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.SendMessagesInThreads |
  PermissionFlagsBits.AddReactions |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.AttachFiles |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.UseApplicationCommands;

export const ADMIN_PERMISSIONS = EVERYONE_PERMISSIONS | PermissionFlagsBits.ManageGuild;

export const BOT_PERMISSIONS = EVERYONE_PERMISSIONS | PermissionFlagsBits.CreatePublicThreads;

export function role(id: string, name: string, permissions: bigint, position: number) {
  return {
    id,
    name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position,
    permissions: permissions.toString(),
    managed: false,
    mentionable: false,
    flags: 0,
  };
}

export function member(user: FakeUser, roles: string[]) {
  return { user, roles, nick: null, avatar: null, joined_at: new Date(0).toISOString(), deaf: false, mute: false, flags: 0, pending: false };
}

export function textChannel(id: string, guildId: string, name: string) {
  return { id, type: ChannelType.GuildText, guild_id: guildId, name, position: 0, permission_overwrites: [], nsfw: false, parent_id: null, topic: null, last_message_id: null, rate_limit_per_user: 0 };
}

export function dmChannel(id: string, recipient: FakeUser) {
  return { id, type: ChannelType.DM, recipients: [recipient], last_message_id: null, flags: 0 };
}

export function threadChannel(id: string, guildId: string, parentId: string, name: string, ownerId: string) {
  return {
    id,
    type: ChannelType.PublicThread,
    guild_id: guildId,
    parent_id: parentId,
    name,
    owner_id: ownerId,
    last_message_id: null,
    rate_limit_per_user: 0,
    message_count: 0,
    member_count: 1,
    flags: 0,
    thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false },
  };
}

export interface FakeAttachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
  width?: number | null;
  height?: number | null;
}

export interface FakeMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: FakeUser;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: unknown[];
  mention_roles: string[];
  attachments: FakeAttachment[];
  embeds: unknown[];
  components: unknown[];
  pinned: boolean;
  type: number;
  flags: number;
  webhook_id?: string;
  application_id?: string;
  message_reference?: unknown;
  /** Not part of the API: the bytes of the message's attachments, by attachment id. */
  files: Map<string, Buffer>;
}

/** The API view of a stored message (without the private file bytes). */
export function apiMessage(m: FakeMessage): Omit<FakeMessage, 'files'> {
  const { files: _files, ...rest } = m;
  return rest;
}
