// /stylize content:<image> style:<image> style_name:<names> [mode preset steps size strength init colors seed]
// Everything a refusal can be decided on from the payload (options, missing or wrong attachments)
// is refused privately before the public "thinking…" reply; downloads and queueing come after it.
// style_name names library styles (completed as typed); the job service turns them into images,
// after the attached style, which is then one more style of the blend.
import {
  ChannelType,
  InteractionContextType,
  SlashCommandBuilder,
  type Attachment,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { jobTitle, queuedText } from '../../src/chat/format.ts';
import { checkAttachment, downloadAttachment } from '../../src/discord/input-images.ts';
import { addChatOptions, readChatOptions } from '../../src/discord/command-options.ts';
import type { DiscordContext } from '../../src/discord/context.ts';
import { attachmentInfo, interactionMeta, interactionOwner } from '../../src/discord/interaction-job.ts';
import { describeError } from '../../src/discord/discord-io.ts';
import type { DiscordJobMeta } from '../../src/discord/job-meta.ts';
import { replyText } from '../../src/discord/messages.ts';
import { respondWithStyleNames } from '../../src/discord/style-names.ts';
import { refuse } from '../../src/discord/replies.ts';
import type { JobInputs, JobRecord } from '../../src/jobs/types.ts';
import { logger } from '../../src/log.ts';
import { GRID_REFUSALS, parseOption, type Mode, type OptionsInput } from '../../src/options.ts';

export const data = addChatOptions(
  new SlashCommandBuilder()
    .setName('stylize')
    .setDescription("Paint the content image in the style image's style (neural style transfer)")
    .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM)
    // Both optional: texture needs only a style, reconstruct only a content image.
    .addAttachmentOption((o) => o.setName('content').setDescription('content image (transfer, reconstruct)'))
    .addAttachmentOption((o) => o.setName('style').setDescription('style image (transfer, texture)')),
);

function effectiveMode(options: OptionsInput, adminDefaults: OptionsInput): Mode {
  const raw = options.mode ?? adminDefaults.mode;
  return raw === undefined ? 'transfer' : parseOption('mode', raw);
}

/** Threads can be opened on messages in text and announcement channels only. */
function canThread(type: ChannelType | undefined): boolean {
  return type === ChannelType.GuildText || type === ChannelType.GuildAnnouncement;
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void> {
  const workspaceId = interaction.guildId ?? 'dm';
  let options: OptionsInput;
  // Only to know which images are needed; the job service applies the admin defaults itself.
  let mode: Mode;
  try {
    options = readChatOptions(interaction);
    mode = effectiveMode(options, ctx.jobs.settings.get('discord', workspaceId).defaults);
  } catch (e) {
    return refuse(interaction, (e as Error).message);
  }
  if (options.grid === true && mode !== 'transfer') return refuse(interaction, GRID_REFUSALS[mode]);

  const content = interaction.options.getAttachment('content');
  const style = interaction.options.getAttachment('style');
  if (mode !== 'texture' && !content) return refuse(interaction, `A ${mode} needs a content image: attach one as \`content\`.`);
  if (mode !== 'reconstruct' && !style && options.styleName === undefined) {
    return refuse(interaction, `A ${mode} needs a style: attach an image as \`style\` or name one from the library with \`style_name\` (\`/stylize-style list\`).`);
  }
  // Both images are kept when given, so that 🧵/🧱 on the result can re-run either mode.
  const given = [
    ['content', content],
    ['style', style],
  ].filter((p): p is [string, Attachment] => p[1] !== null);
  for (const [role, a] of given) {
    const problem = checkAttachment(role, attachmentInfo(a), ctx.config);
    if (problem) return refuse(interaction, problem);
  }

  await interaction.deferReply();

  const inputs: JobInputs = { styles: [] };
  try {
    const bytes = await Promise.all(given.map(([role, a]) => downloadAttachment(role, attachmentInfo(a), ctx.config, ctx.config.downloadTimeoutMs)));
    given.forEach(([role], i) => {
      if (role === 'content') inputs.content = bytes[i];
      else inputs.styles.push(bytes[i]);
    });
  } catch (e) {
    return refuse(interaction, (e as Error).message);
  }

  const meta = interactionMeta(interaction);
  const submitted = ctx.jobs.submit({
    owner: interactionOwner(interaction),
    inputs,
    options,
    meta: { discord: meta },
  });
  if (!submitted.ok) return refuse(interaction, submitted.reason);

  await openConversation(interaction, ctx, submitted.job, submitted.position, meta);
}

/** style_name: the workspace's library names completing what is typed (the last name of a blend). */
export async function autocomplete(interaction: AutocompleteInteraction, ctx: DiscordContext): Promise<void> {
  await respondWithStyleNames(interaction, ctx);
}

/** The public reply, the thread on it, and from then on the job view posts there (also used by /stylize-sheet). */
export async function openConversation(
  interaction: ChatInputCommandInteraction,
  ctx: DiscordContext,
  job: JobRecord,
  position: number,
  meta: DiscordJobMeta,
): Promise<void> {
  const channelType = interaction.channel?.type;
  const threaded = canThread(channelType);
  const out: DiscordJobMeta = { ...meta, postChannelId: meta.channelId };
  try {
    const reply = await interaction.editReply({ content: replyText(job, position, threaded), allowedMentions: { parse: [] } });
    out.replyMessageId = reply.id;
    if (threaded) {
      try {
        out.postChannelId = await ctx.io.startThread(meta.channelId, reply.id, `${jobTitle(job)} · ${interaction.user.username}`);
      } catch (e) {
        // No thread permission here: answer below the reply instead.
        logger.warn({ jobId: job.id, err: describeError(e) }, 'could not open a thread; posting in the channel');
      }
    }
  } catch (e) {
    logger.warn({ jobId: job.id, err: describeError(e) }, 'could not edit the reply; posting in the channel');
  }
  ctx.jobView.attach(job, out, queuedText(position), {
    applicationId: interaction.applicationId,
    token: interaction.token,
    createdAt: interaction.createdTimestamp,
  });
}
