// `npm run register-commands`: registers the slash commands (for one guild when DISCORD_GUILD_ID is
// set: instant; otherwise globally, which Discord may take a while to show) and prints the invite
// URL with exactly the scopes and permissions the bot uses.
import { pathToFileURL } from 'node:url';
import { PermissionFlagsBits, PermissionsBitField, REST, Routes } from 'discord.js';
import { config as loadDotenv } from 'dotenv';
import { commandBodies } from '../../commands/discord/index.ts';
import { describeError } from './discord-io.ts';

/** Each permission the bot asks for, and why; nothing else is requested. */
export const BOT_PERMISSIONS: readonly { flag: bigint; why: string }[] = [
  // Seeing the channel a command is used in, and the thread the bot opens there.
  { flag: PermissionFlagsBits.ViewChannel, why: 'see the channel and its threads' },
  // Posting in the channel itself where no thread can be opened (threads, voice text chats).
  { flag: PermissionFlagsBits.SendMessages, why: 'post progress and results where no thread can be opened' },
  // Progress messages, previews and results go into the thread on the command's reply.
  { flag: PermissionFlagsBits.SendMessagesInThreads, why: 'post progress and results in the job thread' },
  // One public thread per job, started on the command's reply.
  { flag: PermissionFlagsBits.CreatePublicThreads, why: 'open a thread on the reply' },
  // The result PNG and preview images are uploads.
  { flag: PermissionFlagsBits.AttachFiles, why: 'upload previews and the result image' },
  // The 🧵 and 🧱 offers on each result are the bot's own reactions.
  { flag: PermissionFlagsBits.AddReactions, why: 'add 🧵 and 🧱 to results' },
  // Reacting to, replying to and fetching earlier messages (uncached after a restart) needs history.
  { flag: PermissionFlagsBits.ReadMessageHistory, why: 'react to, reply to and look up earlier messages' },
  // Attachments and links render as embeds only with this permission.
  { flag: PermissionFlagsBits.EmbedLinks, why: 'show images and thread links inline' },
];

export function invitePermissions(): bigint {
  return BOT_PERMISSIONS.reduce((acc, p) => acc | p.flag, 0n);
}

/** The OAuth2 URL a server manager opens to add the bot: bot + applications.commands scopes. */
export function inviteUrl(appId: string): string {
  if (!/^\d+$/.test(appId)) throw new Error(`application id must be numeric, got "${appId}"`);
  const params = new URLSearchParams({ client_id: appId, scope: 'bot applications.commands', permissions: invitePermissions().toString() });
  return `https://discord.com/oauth2/authorize?${params.toString()}`;
}

export interface RegisterOptions {
  token: string;
  applicationId: string;
  guildId?: string;
  apiUrl?: string;
}

/** Overwrites the application's commands with ours (bulk PUT); returns how many were registered. */
export async function registerCommands(opts: RegisterOptions): Promise<number> {
  const rest = new REST(opts.apiUrl ? { api: opts.apiUrl } : {}).setToken(opts.token);
  const route = opts.guildId ? Routes.applicationGuildCommands(opts.applicationId, opts.guildId) : Routes.applicationCommands(opts.applicationId);
  const registered = (await rest.put(route, { body: commandBodies() })) as unknown[];
  return registered.length;
}

async function main(): Promise<void> {
  loadDotenv({ quiet: true });
  const token = process.env.DISCORD_TOKEN;
  const applicationId = process.env.DISCORD_APPLICATION_ID;
  const guildId = process.env.DISCORD_GUILD_ID || undefined;
  if (!token || !applicationId) throw new Error('set DISCORD_TOKEN and DISCORD_APPLICATION_ID (in .env or the environment)');
  const n = await registerCommands({ token, applicationId, guildId, apiUrl: process.env.DISCORD_API_URL || undefined });
  console.log(guildId ? `Registered ${n} commands for guild ${guildId} (available now).` : `Registered ${n} global commands (may take up to an hour to appear).`);
  console.log(`Invite the bot: ${inviteUrl(applicationId)}`);
  console.log(`Permissions: ${new PermissionsBitField(invitePermissions()).toArray().join(', ')}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(`register-commands: ${describeError(e)}`);
    process.exitCode = 1;
  });
}
