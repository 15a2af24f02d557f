// Reactions on the bot's messages: 🧵/🧱 on a result queue that mode on the same inputs (answered
// in the same thread), 🎞️/📈 on a result post its time-lapse / loss chart there, ❌ on a job's message cancels it (owner or server manager; others are
// ignored, reactions have no private answer).
//
// Reactions are taken from the gateway dispatch itself rather than discord.js's messageReactionAdd:
// that event is dropped when the channel is not cached (DM channels after a restart, a known
// discord.js 14.2x regression), even with partials. Nothing here needs the cache: the job is found
// through the in-memory index, else through the job tag the bot wrote in the message.
import { PermissionFlagsBits, type Client, type GatewayMessageReactionAddDispatchData } from 'discord.js';
import { CANCEL_REACTION, rerunForDiscord, visualForDiscord } from '../chat/reactions.ts';
import type { JobRecord } from '../jobs/types.ts';
import { logger } from '../log.ts';
import type { DiscordContext } from './context.ts';
import { parseJobTag, readDiscordMeta, type DiscordJobMeta } from './job-meta.ts';
import { runResultAction } from './result-actions.ts';

async function isManager(client: Client, guildId: string | undefined, userId: string): Promise<boolean> {
  const guild = guildId ? client.guilds.cache.get(guildId) : undefined;
  if (!guild) return false;
  const member = await guild.members.fetch(userId).catch(() => null);
  return member?.permissions.has(PermissionFlagsBits.ManageGuild) ?? false;
}

function mentionsMessage(meta: DiscordJobMeta | undefined, messageId: string): boolean {
  return meta !== undefined && [meta.replyMessageId, meta.progressMessageId, meta.resultMessageId].includes(messageId);
}

async function findJob(ctx: DiscordContext, channelId: string, messageId: string): Promise<JobRecord | undefined> {
  const known = ctx.jobView.jobForMessage(messageId);
  if (known) return ctx.jobs.get(known);
  let content: string;
  try {
    content = (await ctx.io.fetchMessage(channelId, messageId)).content;
  } catch {
    return undefined;
  }
  const jobId = parseJobTag(content);
  const job = jobId ? ctx.jobs.get(jobId) : undefined;
  // Anyone can type a job tag; only a message the job's meta names counts.
  if (!job || !mentionsMessage(readDiscordMeta(job), messageId)) return undefined;
  ctx.jobView.rememberMessage(messageId, job.id);
  return job;
}

export async function handleReaction(data: GatewayMessageReactionAddDispatchData, ctx: DiscordContext, client: Client): Promise<void> {
  const userId = data.user_id;
  // The bot's own 🧵/🧱 come back as events too.
  if (userId === client.user?.id || data.member?.user?.bot) return;
  const rerun = rerunForDiscord(data.emoji.name);
  const visual = visualForDiscord(data.emoji.name);
  const cancel = data.emoji.name === CANCEL_REACTION.unicode;
  if (!rerun && !visual && !cancel) return;
  // Discord names the reacted message's author: reactions on other people's messages need no lookup.
  if (data.message_author_id && data.message_author_id !== client.user?.id) return;
  const messageId = data.message_id;
  const job = await findJob(ctx, data.channel_id, messageId);
  if (!job || job.owner.platform !== 'discord') return;

  if (cancel) {
    if (job.state !== 'queued' && job.state !== 'running') return;
    const isAdmin = await isManager(client, data.guild_id, userId);
    const result = ctx.jobs.cancel(job.id, { userId, isAdmin });
    if (!result.ok) logger.info({ jobId: job.id, userId, reason: result.reason }, 'cancel by reaction refused');
    return;
  }

  const meta = readDiscordMeta(job);
  if (!meta || meta.resultMessageId !== messageId) return;
  if (rerun) await runResultAction(ctx, job, meta, { kind: 'rerun', rerun }, userId);
  else if (visual) await runResultAction(ctx, job, meta, { kind: 'visual', visual: visual.visual }, userId);
}
