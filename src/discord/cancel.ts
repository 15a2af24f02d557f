// The Cancel button on a progress message. The owner or a server manager may cancel; anyone else
// gets a private refusal. On success the button press is only acknowledged: the job's 'cancelled'
// event edits the progress message, the same way as for a ❌ reaction.
import { MessageFlags, PermissionFlagsBits, type ButtonInteraction } from 'discord.js';
import type { DiscordContext } from './context.ts';
import { jobIdFromCustomId, mention } from './messages.ts';
import { refuse } from './replies.ts';

export async function handleCancelButton(interaction: ButtonInteraction, ctx: DiscordContext): Promise<void> {
  const jobId = jobIdFromCustomId(interaction.customId);
  const job = jobId ? ctx.jobs.get(jobId) : undefined;
  if (!jobId || !job) return refuse(interaction, 'This job no longer exists.');
  if (job.state !== 'queued' && job.state !== 'running') return refuse(interaction, `This job has already ${job.state === 'completed' ? 'finished' : job.state}.`);
  const isAdmin = interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false;
  if (job.owner.userId !== interaction.user.id && !isAdmin) {
    return refuse(interaction, `Only ${mention(job.owner.userId)} or someone with Manage Server can cancel this job.`);
  }
  const result = ctx.jobs.cancel(jobId, { userId: interaction.user.id, isAdmin });
  if (!result.ok) return refuse(interaction, result.reason);
  await interaction.deferUpdate().catch(() => interaction.reply({ content: 'Cancelling…', flags: MessageFlags.Ephemeral }));
}
