// A finished grid's buttons: U1–U4 upscale a candidate to the requested size, V1–V4 make a new grid
// around it (pressing them: grid-actions.ts).
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, type APIActionRowComponent, type APIComponentInMessageActionRow } from 'discord.js';
import type { GridPick } from '../jobs/types.ts';

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
