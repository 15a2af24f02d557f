// Pressing a grid's U or V button. Anyone in the channel may press (like the re-run reactions); the
// job is the presser's, under their caps, and is posted in the grid's thread by the job view like any job.
import { MessageFlags, type ButtonInteraction } from 'discord.js';
import type { DiscordContext } from './context.ts';
import { parseGridCustomId } from './grid-buttons.ts';
import { readDiscordMeta } from './job-meta.ts';
import { refuse } from './replies.ts';
import { childJobMeta, childJobOwner, say } from './result-actions.ts';

export async function handleGridButton(interaction: ButtonInteraction, ctx: DiscordContext): Promise<void> {
  const parsed = parseGridCustomId(interaction.customId);
  const job = parsed ? ctx.jobs.get(parsed.jobId) : undefined;
  const meta = job ? readDiscordMeta(job) : undefined;
  if (!parsed || !job || !meta) return refuse(interaction, 'This grid is no longer known to the bot.');
  await interaction.deferUpdate().catch(() => interaction.reply({ content: 'On it…', flags: MessageFlags.Ephemeral }));
  const userId = interaction.user.id;
  const result = ctx.jobs.fromGrid(job.id, parsed.pick, childJobOwner(job, meta, userId), { discord: childJobMeta(meta) });
  const label = `${parsed.pick.action === 'upscale' ? 'U' : 'V'}${parsed.pick.index + 1}`;
  if (!result.ok) await say(ctx, { ...meta, resultMessageId: meta.resultMessageId ?? interaction.message.id }, userId, `could not queue ${label}: ${result.reason}`);
}
