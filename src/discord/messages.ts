// The Discord wording around the shared chat texts (src/chat/format.ts): which lines a reply, a
// progress message and a result carry, the Cancel button and the result's buttons.
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, type APIActionRowComponent, type APIComponentInMessageActionRow } from 'discord.js';
import { cancelHint, jobProgressText, jobTitle, queuedText, resultText, settingsText } from '../chat/format.ts';
import { formatDuration } from '../jobs/summary.ts';
import { RERUN_REACTIONS, VISUAL_REACTIONS, type ResultVisual, type RerunReaction } from '../chat/reactions.ts';
import type { FinalEvent, ProgressEvent } from '../chat/job-events.ts';
import type { JobRecord } from '../jobs/types.ts';
import { jobTag } from './job-meta.ts';

export const CANCEL_PREFIX = 'stylize:cancel:';

export function cancelCustomId(jobId: string): string {
  return `${CANCEL_PREFIX}${jobId}`;
}

export function jobIdFromCustomId(customId: string): string | undefined {
  return customId.startsWith(CANCEL_PREFIX) ? customId.slice(CANCEL_PREFIX.length) || undefined : undefined;
}

export function cancelRow(jobId: string): APIActionRowComponent<APIComponentInMessageActionRow>[] {
  const button = new ButtonBuilder().setCustomId(cancelCustomId(jobId)).setLabel('Cancel').setStyle(ButtonStyle.Danger).setEmoji('❌');
  return [new ActionRowBuilder<ButtonBuilder>().addComponents(button).toJSON()];
}

export const RESULT_PREFIX = 'stylize:result:';

export type ResultAction = { kind: 'rerun'; rerun: RerunReaction } | { kind: 'visual'; visual: ResultVisual };

const BUTTONS: readonly { id: string; label: string; emoji: string; action: ResultAction }[] = [
  ...RERUN_REACTIONS.map((r) => ({ id: r.mode, label: r.mode === 'texture' ? 'Texture' : 'Reconstruct', emoji: r.unicode, action: { kind: 'rerun' as const, rerun: r } })),
  ...VISUAL_REACTIONS.map((r) => ({ id: r.visual, label: r.visual === 'timelapse' ? 'Time-lapse' : 'Loss curve', emoji: r.unicode, action: { kind: 'visual' as const, visual: r.visual } })),
];

export function resultCustomId(action: string, jobId: string): string {
  return `${RESULT_PREFIX}${action}:${jobId}`;
}

export function parseResultCustomId(customId: string): { action: ResultAction; jobId: string } | undefined {
  if (!customId.startsWith(RESULT_PREFIX)) return undefined;
  const [id, jobId] = customId.slice(RESULT_PREFIX.length).split(':');
  const button = BUTTONS.find((b) => b.id === id);
  return button && jobId ? { action: button.action, jobId } : undefined;
}

/** Texture 🧵, Reconstruct 🧱, Time-lapse 🎞️, Loss curve 📈 under a result. */
export function resultButtons(jobId: string): APIActionRowComponent<APIComponentInMessageActionRow>[] {
  const buttons = BUTTONS.map((b) => new ButtonBuilder().setCustomId(resultCustomId(b.id, jobId)).setLabel(b.label).setEmoji(b.emoji).setStyle(ButtonStyle.Secondary));
  return [new ActionRowBuilder<ButtonBuilder>().addComponents(buttons).toJSON()];
}

export function mention(userId: string): string {
  return `<@${userId}>`;
}

/** The public reply to /stylize once the job is queued. */
export function replyText(job: JobRecord, position: number, threaded: boolean): string {
  return [
    `🎨 ${mention(job.owner.userId)} asked for a **${jobTitle(job)}** — ${queuedText(position)}`,
    `-# ${settingsText(job)}`,
    threaded ? '-# Progress and the result follow in the thread.' : '-# Progress and the result follow below.',
  ].join('\n');
}

export interface LiveState {
  status: string;
  progress?: ProgressEvent;
  /** Stays under the progress once it comes (e.g. where a resumed job went on from). */
  note?: string;
}

function header(job: JobRecord): string {
  const steps = job.sheet ? `${job.options.steps} steps per run` : job.grid && job.kind === 'grid' ? `4 × ${job.grid.spec.steps} steps at ${job.grid.spec.size}px` : `${job.options.steps} steps`;
  return `**${jobTitle(job)}** for ${mention(job.owner.userId)} · ${job.options.size}px · ${steps}`;
}

export function progressMessage(job: JobRecord, live: LiveState): string {
  const body = live.progress ? jobProgressText(job, live.progress) : live.status;
  const note = live.note && live.note !== body ? [`-# ↻ ${live.note}`] : [];
  return [header(job), body, ...note, `-# ${cancelHint()} Or press Cancel.`, jobTag(job.id)].join('\n');
}

export function finishedProgressMessage(job: JobRecord, event: FinalEvent): string {
  let line: string;
  if (event.type === 'completed') line = `✅ Finished in ${formatDuration(event.runtimeMs)}; the result is below.`;
  else if (event.type === 'failed') line = `⚠️ Failed: ${event.reason}`;
  else line = `🛑 Cancelled by ${/^\d+$/.test(event.by) ? mention(event.by) : event.by}.`;
  return [header(job), line, jobTag(job.id)].join('\n');
}

/** Discord caps a message at 2000 characters; a sheet's summary is clipped to leave room for the rest. */
const MAX_SUMMARY_CHARS = 1200;

/** The result's text; a sheet's also carries the engine's summary (one line per run). */
export function resultMessage(job: JobRecord, runtimeMs: number, note?: string, summary?: string): string {
  const lines = [`${mention(job.owner.userId)} ${resultText(job, runtimeMs)}`];
  if ((job.sheet || job.kind === 'grid') && summary) lines.push('```', summary.length <= MAX_SUMMARY_CHARS ? summary : `${summary.slice(0, MAX_SUMMARY_CHARS - 1)}…`, '```');
  return [...lines, ...(note ? [`-# ${note}`] : []), jobTag(job.id)].join('\n');
}

/** Name of the uploaded result, without its extension. */
export function resultFileBase(job: JobRecord): string {
  return job.sheet ? `sheet-${job.sheet.kind}` : job.kind === 'grid' ? 'grid' : 'stylized';
}
