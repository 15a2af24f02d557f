// /stylize-sheet kind:<reconstruct|texture|init|grid> [content… style… layers combo steps size seed preset]
// One queued job that renders a whole experiment sheet (many runs) and posts it as one image in the
// job's thread. Refusals that need no image bytes (kind, missing or extra images, layer names, the
// run cap) are private and come before the public reply, as for /stylize.
import { InteractionContextType, SlashCommandBuilder, type Attachment, type ChatInputCommandInteraction, type SlashCommandOptionsOnlyBuilder } from 'discord.js';
import { SHEET_KIND_HELP, SHEET_KINDS, sheetNeeds, sheetRequestProblem, splitLayers } from '../../src/chat/sheet-request.ts';
import { checkAttachment, downloadAttachment } from '../../src/discord/input-images.ts';
import { addChatOptions, readChatOptions } from '../../src/discord/command-options.ts';
import type { DiscordContext } from '../../src/discord/context.ts';
import { attachmentInfo, interactionMeta, interactionOwner } from '../../src/discord/interaction-job.ts';
import { refuse } from '../../src/discord/replies.ts';
import { isSheetKind } from '../../src/engine/sheet/plan.ts';
import { aSheet } from '../../src/jobs/sheet-rules.ts';
import type { SheetSpec } from '../../src/jobs/types.ts';
import type { OptionsInput } from '../../src/options.ts';
import { openConversation } from './stylize.ts';

/** Attachment options per role, in order: content, content2, content3. */
const SLOTS = 3;
const slotName = (role: 'content' | 'style', i: number) => (i === 0 ? role : `${role}${i + 1}`);

function addSlots(b: SlashCommandOptionsOnlyBuilder, role: 'content' | 'style', what: string): SlashCommandOptionsOnlyBuilder {
  let out = b;
  for (let i = 0; i < SLOTS; i++) {
    out = out.addAttachmentOption((o) => o.setName(slotName(role, i)).setDescription(i === 0 ? what : `${role} image ${i + 1}`));
  }
  return out;
}

const withKind = new SlashCommandBuilder()
  .setName('stylize-sheet')
  .setDescription('Render a labelled experiment sheet: one run per layer, init or content × style pair')
  .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM)
  .addStringOption((o) =>
    o
      .setName('kind')
      .setDescription('which sheet')
      .setRequired(true)
      .addChoices(...SHEET_KINDS.map((k) => ({ name: `${k}: ${SHEET_KIND_HELP[k]}`.slice(0, 100), value: k }))),
  );
const base = addSlots(addSlots(withKind, 'content', 'content image (reconstruct, init, grid)'), 'style', 'style image (texture, init, grid)')
  .addStringOption((o) => o.setName('layers').setDescription('reconstruct/texture: layers swept, e.g. conv_1,conv_2,conv_3 (default conv_1…conv_5)').setMaxLength(200))
  .addStringOption((o) => o.setName('combo').setDescription('texture: the layers of the last, combined run (default conv_1,conv_2)').setMaxLength(200));

export const data = addChatOptions(base, ['preset', 'steps', 'size', 'seed']);

function attachments(interaction: ChatInputCommandInteraction, role: 'content' | 'style'): [string, Attachment][] {
  const out: [string, Attachment][] = [];
  for (let i = 0; i < SLOTS; i++) {
    const a = interaction.options.getAttachment(slotName(role, i));
    if (a) out.push([slotName(role, i), a]);
  }
  return out;
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void> {
  const kind = interaction.options.getString('kind', true);
  if (!isSheetKind(kind)) return refuse(interaction, `Unknown sheet "${kind}": use ${SHEET_KINDS.join(', ')}.`);
  let options: OptionsInput;
  try {
    options = readChatOptions(interaction);
  } catch (e) {
    return refuse(interaction, (e as Error).message);
  }
  const sheet: SheetSpec = { kind };
  const layers = splitLayers(interaction.options.getString('layers'));
  const combo = splitLayers(interaction.options.getString('combo'));
  if (layers) sheet.layers = layers;
  if (combo) sheet.combo = combo;

  const contents = attachments(interaction, 'content');
  const styles = attachments(interaction, 'style');
  const needs = sheetNeeds(kind);
  if (needs.content && contents.length === 0) return refuse(interaction, `${capitalised(aSheet(kind))} needs a content image: attach one as \`content\`.`);
  if (needs.style && styles.length === 0) return refuse(interaction, `${capitalised(aSheet(kind))} needs a style image: attach one as \`style\`.`);
  const problem = sheetRequestProblem(sheet, contents.length, styles.length);
  if (problem) return refuse(interaction, capitalised(problem));
  for (const [role, a] of [...contents, ...styles]) {
    const bad = checkAttachment(role, attachmentInfo(a), ctx.config);
    if (bad) return refuse(interaction, bad);
  }

  await interaction.deferReply();

  let bytes: { contents: Buffer[]; styles: Buffer[] };
  try {
    const get = (list: [string, Attachment][]) => Promise.all(list.map(([role, a]) => downloadAttachment(role, attachmentInfo(a), ctx.config, ctx.config.downloadTimeoutMs)));
    const [c, s] = await Promise.all([get(contents), get(styles)]);
    bytes = { contents: c, styles: s };
  } catch (e) {
    return refuse(interaction, (e as Error).message);
  }

  const meta = interactionMeta(interaction);
  const submitted = ctx.jobs.submit({
    owner: interactionOwner(interaction),
    kind: 'sheet',
    sheet,
    inputs: { contents: bytes.contents, styles: bytes.styles },
    options,
    meta: { discord: meta },
  });
  if (!submitted.ok) return refuse(interaction, capitalised(submitted.reason));

  await openConversation(interaction, ctx, submitted.job, submitted.position, meta);
}

function capitalised(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
