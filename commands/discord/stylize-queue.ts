// /stylize-queue: the caller's queued and running jobs in this server (or DM), and the queue length.
import { InteractionContextType, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { settingsText } from '../../src/chat/format.ts';
import type { DiscordContext } from '../../src/discord/context.ts';
import { readDiscordMeta } from '../../src/discord/job-meta.ts';
import { answerPrivately } from '../../src/discord/replies.ts';
import type { JobRecord } from '../../src/jobs/types.ts';

export const data = new SlashCommandBuilder()
  .setName('stylize-queue')
  .setDescription('Your queued and running stylize jobs, and how long the queue is')
  .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM);

function jobLine(job: JobRecord, guildId: string | null): string {
  const meta = readDiscordMeta(job);
  const where = meta?.postChannelId ? ` — https://discord.com/channels/${guildId ?? '@me'}/${meta.postChannelId}` : '';
  return `• **${job.state}** · ${settingsText(job)}${where}`;
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void> {
  const mine = ctx.jobs.listActive('discord', interaction.guildId ?? 'dm', interaction.user.id);
  const total = ctx.jobs.queueLength();
  const lines = [`Jobs in the queue: ${total}.`];
  if (mine.length === 0) lines.push('You have no jobs queued or running here.');
  else lines.push(`Your jobs (oldest first):`, ...mine.map((j) => jobLine(j, interaction.guildId)), '-# Press Cancel or react ❌ on a progress message to stop a job.');
  await answerPrivately(interaction, lines.join('\n'));
}
