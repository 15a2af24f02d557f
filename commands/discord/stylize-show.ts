// /stylize-show job:<id>: posts a kept result of yours again with its buttons (re-run as texture or
// reconstruction, time-lapse, loss curve), like Midjourney's /show; or says it has expired.
// Managers may show any of the server's; in DMs only your own (all DMs share one workspace).
import { InteractionContextType, SlashCommandBuilder, type AutocompleteInteraction, type ChatInputCommandInteraction } from 'discord.js';
import { jobTitle } from '../../src/chat/format.ts';
import type { DiscordContext } from '../../src/discord/context.ts';
import { resultButtons, resultFileBase, resultMessage } from '../../src/discord/messages.ts';
import { refuse } from '../../src/discord/replies.ts';
import { actorOf, workspaceOf } from '../../src/discord/style-names.ts';

export const data = new SlashCommandBuilder()
  .setName('stylize-show')
  .setDescription('Post a result of yours again, with its buttons')
  .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM)
  .addStringOption((o) => o.setName('job').setDescription('the job id (see /stylize-history)').setRequired(true).setAutocomplete(true));

export async function execute(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void> {
  const jobId = interaction.options.getString('job', true);
  const found = ctx.jobs.history.result('discord', workspaceOf(interaction), jobId, actorOf(interaction));
  if (!found.ok) return refuse(interaction, `Nothing to show: ${found.reason}.`);
  await interaction.reply({
    content: resultMessage(found.job, found.runtimeMs, undefined, found.summary),
    files: [{ attachment: found.png, name: `${resultFileBase(found.job)}.png` }],
    // Sheets offer no re-runs (see resultText); their buttons would only refuse.
    components: found.job.sheet ? [] : resultButtons(found.job.id),
    allowedMentions: { parse: [] },
  });
}

/** The caller's completed jobs, newest first, filtered by what is typed. */
export async function autocomplete(interaction: AutocompleteInteraction, ctx: DiscordContext): Promise<void> {
  const typed = String(interaction.options.getFocused(true).value ?? '').toLowerCase();
  const jobs = ctx.jobs.history.recent('discord', workspaceOf(interaction), interaction.user.id, 25).filter((j) => j.state === 'completed' && j.id.toLowerCase().includes(typed));
  await interaction.respond(jobs.map((j) => ({ name: `${j.id} · ${jobTitle(j)} · ${new Date(j.createdAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`, value: j.id })));
}
