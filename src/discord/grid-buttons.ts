// A finished grid's buttons: U1–U4 upscale a candidate to the requested size, V1–V4 make a new grid
// around it. Anyone in the channel may press (like the re-run reactions); the job is the presser's,
// under their caps, and is posted in the grid's thread by the job view like any job.
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, MessageFlags, type APIActionRowComponent, type APIComponentInMessageActionRow, type ButtonInteraction } from 'discord.js';
import type { GridPick } from '../jobs/types.ts';
import type { DiscordContext } from './context.ts';
import { readDiscordMeta } from './job-meta.ts';
import { refuse } from './replies.ts';
import { childJobMeta, childJobOwner, say } from './result-actions.ts';

export const GRID_PREFIX = 'stylize:grid:';

const CANDIDATES = [1, 2, 3, 4] as const;

/** stylize:grid:u2:<job id> — well under Discord's 100 characters, unique per message. */
export function gridCustomId(action: GridPick['action'], index: number, jobId: string): string {
  return `${GRID_PREFIX}${action === 'upscale' ? 'u' : 'v'}${index + 1}:${jobId}`;
}

export function parseGridCustomId(customId: string): { pick: GridPick; jobId: string } | undefined {
  const m = /^stylize:grid:([uv])([1-4]):([\w-]+)$/.exec(customId);
  if (!m) return undefined;
  return { pick: { action: m[1] === 'u' ? 'upscale' : 'vary', index: Number(m[2]) - 1 }, jobId: m[3]! };
}

/** Two rows of four (Discord allows five per row): U1–U4, then V1–V4. */
export function gridButtons(jobId: string): APIActionRowComponent<APIComponentInMessageActionRow>[] {
  const row = (action: GridPick['action'], style: ButtonStyle) =>
    new ActionRowBuilder<ButtonBuilder>()
      .addComponents(CANDIDATES.map((n) => new ButtonBuilder().setCustomId(gridCustomId(action, n - 1, jobId)).setLabel(`${action === 'upscale' ? 'U' : 'V'}${n}`).setStyle(style)))
      .toJSON();
  return [row('upscale', ButtonStyle.Primary), row('vary', ButtonStyle.Secondary)];
}

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
