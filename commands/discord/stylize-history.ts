// /stylize-history: the caller's last 10 jobs in this server (or DM), only for them to see: what,
// how it ended, the size, when, and a link to the result message. /stylize-show posts one again.
import { InteractionContextType, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { jobTitle } from '../../src/chat/format.ts';
import type { DiscordContext } from '../../src/discord/context.ts';
import { readDiscordMeta } from '../../src/discord/job-meta.ts';
import { answerPrivately } from '../../src/discord/replies.ts';
import { workspaceOf } from '../../src/discord/style-names.ts';
import type { JobRecord } from '../../src/jobs/types.ts';

export const data = new SlashCommandBuilder()
  .setName('stylize-history')
  .setDescription('Your last 10 stylize jobs here, with links to their results')
  .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM);

function resultLink(job: JobRecord, guildId: string | null): string {
  const meta = readDiscordMeta(job);
  const channel = meta?.postChannelId ?? meta?.channelId;
  if (job.state !== 'completed' || !meta?.resultMessageId || !channel) return '';
  return ` — [result](https://discord.com/channels/${guildId ?? '@me'}/${channel}/${meta.resultMessageId})`;
}

export function historyLine(job: JobRecord, guildId: string | null): string {
  const when = `<t:${Math.floor(job.createdAt / 1000)}:R>`;
  return `• \`${job.id}\` **${jobTitle(job)}** · ${job.state} · ${job.options.size}px · ${when}${resultLink(job, guildId)}`;
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void> {
  const jobs = ctx.jobs.history.recent('discord', workspaceOf(interaction), interaction.user.id);
  if (jobs.length === 0) return answerPrivately(interaction, 'You have no stylize jobs here yet.');
  const lines = [`Your last ${jobs.length} job${jobs.length === 1 ? '' : 's'} here (newest first):`, ...jobs.map((j) => historyLine(j, interaction.guildId))];
  lines.push('-# `/stylize-show job:<id>` posts a result again while it is kept.');
  await answerPrivately(interaction, lines.join('\n'));
}
