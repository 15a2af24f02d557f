// Discord's autocomplete for style names: the workspace's library (saved styles and the built-ins
// it offers) completing the last name of what is typed, at most 25 choices, as Discord allows.
import { PermissionFlagsBits, type AutocompleteInteraction, type ChatInputCommandInteraction } from 'discord.js';
import type { Actor } from '../jobs/types.ts';
import { styleNameSuggestions } from '../styles/index.ts';
import type { DiscordContext } from './context.ts';

/** DMs share one 'dm' workspace, as jobs do. */
export function workspaceOf(interaction: { guildId: string | null }): string {
  return interaction.guildId ?? 'dm';
}

/** Who acts: server managers (Manage Server) are admins, as for cancelling. */
export function actorOf(interaction: ChatInputCommandInteraction | AutocompleteInteraction): Actor {
  return { userId: interaction.user.id, isAdmin: interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false };
}

/**
 * Answers the focused option with matching names. `only`: which styles to offer (default: all of
 * the library); removing offers the saved styles the user may remove.
 */
export async function respondWithStyleNames(
  interaction: AutocompleteInteraction,
  ctx: DiscordContext,
  only: 'all' | 'removable' = 'all',
): Promise<void> {
  const typed = String(interaction.options.getFocused(true).value ?? '');
  const actor = actorOf(interaction);
  const entries = ctx.jobs.styles
    .entries('discord', workspaceOf(interaction))
    .filter((e) => only === 'all' || (e.source === 'saved' && (actor.isAdmin || e.savedBy === actor.userId)));
  // Removing takes one name: complete the whole text, not the last word of a blend.
  const names = entries.map((e) => e.name);
  const values = only === 'all' ? styleNameSuggestions(typed, names) : styleNameSuggestions(typed.trim().split(/\s+/).pop() ?? '', names);
  await interaction.respond(values.map((v) => ({ name: v, value: v })));
}
