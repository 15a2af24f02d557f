// /stylize-style save name:<name> image:<attachment> | list | remove name:<name>: the server's style
// library. Saved styles are used by name in /stylize style_name:<names>. Saving follows the
// server's style_savers setting; removing is for the person who saved it or a Manage Server member.
import { InteractionContextType, MessageFlags, SlashCommandBuilder, type AutocompleteInteraction, type ChatInputCommandInteraction } from 'discord.js';
import type { DiscordContext } from '../../src/discord/context.ts';
import { checkAttachment, downloadAttachment } from '../../src/discord/input-images.ts';
import { attachmentInfo } from '../../src/discord/interaction-job.ts';
import { answerPrivately, refuse } from '../../src/discord/replies.ts';
import { actorOf, respondWithStyleNames, workspaceOf } from '../../src/discord/style-names.ts';
import type { LibraryEntry } from '../../src/jobs/types.ts';
import { STYLE_NAME_MAX_LENGTH } from '../../src/styles/index.ts';

export const data = new SlashCommandBuilder()
  .setName('stylize-style')
  .setDescription("This server's style library: save, list and remove styles to use by name")
  .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM)
  .addSubcommand((s) =>
    s
      .setName('save')
      .setDescription('Save an image as a style of this server, to use with /stylize style_name:')
      .addStringOption((o) => o.setName('name').setDescription('lower-case letters, digits and -, e.g. scream-blue').setRequired(true).setMaxLength(STYLE_NAME_MAX_LENGTH))
      .addAttachmentOption((o) => o.setName('image').setDescription('the style image').setRequired(true)),
  )
  .addSubcommand((s) => s.setName('list').setDescription("One picture of this server's styles with their names"))
  .addSubcommand((s) =>
    s
      .setName('remove')
      .setDescription('Remove a saved style (yours, or any as a Manage Server member)')
      .addStringOption((o) => o.setName('name').setDescription('the style to remove').setRequired(true).setAutocomplete(true)),
  );

function entryLine(e: LibraryEntry): string {
  return e.source === 'builtin' ? `\`${e.name}\` (built-in)` : `\`${e.name}\` (saved by <@${e.savedBy}>)`;
}

async function save(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void> {
  // Every DM shares one 'dm' workspace (settings, limits): a style saved there would be everyone's.
  if (!interaction.guildId) return refuse(interaction, 'Saved styles belong to a server: save it there. In DMs the built-in styles are available by name.');
  const name = interaction.options.getString('name', true);
  const attachment = interaction.options.getAttachment('image', true);
  const problem = checkAttachment('style', attachmentInfo(attachment), ctx.config);
  if (problem) return refuse(interaction, problem);
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  let image: Buffer;
  try {
    image = await downloadAttachment('style', attachmentInfo(attachment), ctx.config, ctx.config.downloadTimeoutMs);
  } catch (e) {
    return refuse(interaction, (e as Error).message);
  }
  const saved = await ctx.jobs.styles.save('discord', workspaceOf(interaction), name, image, actorOf(interaction));
  if (!saved.ok) return refuse(interaction, `Not saved: ${saved.reason}.`);
  await interaction.editReply({
    content: `${saved.replaced ? 'Replaced' : 'Saved'} the style \`${saved.entry.name}\`. Use it with \`/stylize style_name:${saved.entry.name}\`.`,
    allowedMentions: { parse: [] },
  });
}

async function list(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void> {
  const workspace = workspaceOf(interaction);
  const entries = ctx.jobs.styles.entries('discord', workspace);
  if (entries.length === 0) return answerPrivately(interaction, 'This server has no styles: every built-in is hidden and none is saved. Save one with `/stylize-style save`.');
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const sheet = await ctx.jobs.styles.contactSheet('discord', workspace);
  const text = [`**${entries.length} style${entries.length === 1 ? '' : 's'}** to use with \`/stylize style_name:\` (blend with weights: \`starry-night:3 scream:1\`):`, entries.map(entryLine).join(' · ')].join('\n');
  await interaction.editReply({
    content: text.length <= 2000 ? text : `${text.slice(0, 1999)}…`,
    files: sheet ? [{ attachment: sheet, name: 'style-library.png' }] : [],
    allowedMentions: { parse: [] },
  });
}

async function remove(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void> {
  const name = interaction.options.getString('name', true);
  const removed = ctx.jobs.styles.remove('discord', workspaceOf(interaction), name, actorOf(interaction));
  if (!removed.ok) return refuse(interaction, `Not removed: ${removed.reason}.`);
  await answerPrivately(interaction, `Removed the style \`${name.trim()}\`.`);
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void> {
  const sub = interaction.options.getSubcommand();
  if (sub === 'save') return save(interaction, ctx);
  if (sub === 'list') return list(interaction, ctx);
  return remove(interaction, ctx);
}

export async function autocomplete(interaction: AutocompleteInteraction, ctx: DiscordContext): Promise<void> {
  await respondWithStyleNames(interaction, ctx, 'removable');
}
