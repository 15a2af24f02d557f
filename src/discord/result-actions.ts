// What a finished result offers, by reaction (🧵 🧱 🎞️ 📈) or by its buttons: re-run the inputs as
// texture or reconstruction, or post the job's time-lapse or loss chart. Everything is answered
// in the job's thread (or as a reply, where there is no thread).
import { MessageFlags, type ButtonInteraction } from 'discord.js';
import { visualRefusalText, visualText } from '../chat/format.ts';
import type { ResultVisual, RerunReaction } from '../chat/reactions.ts';
import type { JobOwner, JobRecord } from '../jobs/types.ts';
import { logger } from '../log.ts';
import type { DiscordContext } from './context.ts';
import { describeError } from './discord-io.ts';
import { readDiscordMeta, type DiscordJobMeta } from './job-meta.ts';
import { mention, parseResultCustomId, type ResultAction } from './messages.ts';
import { refuse } from './replies.ts';
import { fitForUpload } from './upload-fit.ts';

function postChannel(meta: DiscordJobMeta): string {
  return meta.postChannelId ?? meta.channelId;
}

/** Without a thread, answers reply to the result so they read as one conversation. */
function replyTarget(meta: DiscordJobMeta): string | undefined {
  return postChannel(meta) === meta.channelId ? meta.resultMessageId : undefined;
}

export async function say(ctx: DiscordContext, meta: DiscordJobMeta, userId: string, content: string): Promise<void> {
  try {
    await ctx.io.send(postChannel(meta), { content: `${mention(userId)} ${content}`, mentionUsers: [userId], replyTo: replyTarget(meta) });
  } catch (e) {
    logger.warn({ err: describeError(e) }, 'could not answer a result action');
  }
}

/** Where a job made from a finished one (a re-run, a grid's U/V) posts: the parent's thread. */
export function childJobMeta(meta: DiscordJobMeta): DiscordJobMeta {
  return {
    ...(meta.guildId ? { guildId: meta.guildId } : {}),
    channelId: meta.channelId,
    postChannelId: postChannel(meta),
    ...(meta.replyMessageId ? { replyMessageId: meta.replyMessageId } : {}),
    ...(meta.uploadLimitBytes ? { uploadLimitBytes: meta.uploadLimitBytes } : {}),
  };
}

/** The owner of such a job: whoever pressed or reacted, in the parent's thread. */
export function childJobOwner(job: JobRecord, meta: DiscordJobMeta, userId: string): JobOwner {
  const postChannelId = postChannel(meta);
  return {
    platform: 'discord',
    workspaceId: job.owner.workspaceId,
    channelId: meta.channelId,
    ...(postChannelId !== meta.channelId ? { threadId: postChannelId } : {}),
    userId,
  };
}

/** Queues the mode on the job's inputs; the job view then posts the new job in the same thread. */
export async function rerunFromResult(ctx: DiscordContext, job: JobRecord, meta: DiscordJobMeta, rerun: RerunReaction, userId: string): Promise<void> {
  const result = ctx.jobs.rerun(job.id, rerun.mode, childJobOwner(job, meta, userId), { discord: childJobMeta(meta) });
  if (!result.ok) await say(ctx, meta, userId, `${rerun.unicode} could not queue ${rerun.label}: ${result.reason}`);
}

/** Posts the job's time-lapse (a GIF under the channel's upload limit) or loss chart in its thread. */
export async function postVisual(ctx: DiscordContext, job: JobRecord, meta: DiscordJobMeta, visual: ResultVisual, userId: string): Promise<void> {
  const maxBytes = meta.uploadLimitBytes ?? ctx.config.defaultUploadLimitBytes;
  const made = visual === 'timelapse' ? await ctx.jobs.timelapse(job.id, { format: 'gif', maxBytes }) : await ctx.jobs.lossChart(job.id);
  if (!made.ok) return say(ctx, meta, userId, visualRefusalText(visual, made.reason));
  try {
    // The GIF was made to fit; a chart is a PNG like a result, fitted the same way.
    const file = visual === 'chart' ? (await fitForUpload(made.file.data, maxBytes, made.file.name.replace(/\.png$/, ''))).file : made.file;
    await ctx.io.send(postChannel(meta), {
      content: `${mention(userId)} ${visualText(visual, job.id)}`,
      files: [file],
      mentionUsers: [userId],
      replyTo: replyTarget(meta),
    });
  } catch (e) {
    logger.warn({ jobId: job.id, err: describeError(e) }, 'could not post a time-lapse or chart');
  }
}

export async function runResultAction(ctx: DiscordContext, job: JobRecord, meta: DiscordJobMeta, action: ResultAction, userId: string): Promise<void> {
  if (action.kind === 'rerun') await rerunFromResult(ctx, job, meta, action.rerun, userId);
  else await postVisual(ctx, job, meta, action.visual, userId);
}

/** A result button: acknowledged at once (making a GIF can take longer than Discord waits), answered in the thread. */
export async function handleResultButton(interaction: ButtonInteraction, ctx: DiscordContext): Promise<void> {
  const parsed = parseResultCustomId(interaction.customId);
  const job = parsed ? ctx.jobs.get(parsed.jobId) : undefined;
  const meta = job ? readDiscordMeta(job) : undefined;
  if (!parsed || !job || !meta) return refuse(interaction, 'This result is no longer known to the bot.');
  await interaction.deferUpdate().catch(() => interaction.reply({ content: 'On it…', flags: MessageFlags.Ephemeral }));
  await runResultAction(ctx, job, { ...meta, resultMessageId: meta.resultMessageId ?? interaction.message.id }, parsed.action, interaction.user.id);
}
