// Text shown in chat, shared by the Discord and Slack adapters so both read the same.
import type { Losses } from '../engine/types.ts';
import { formatDuration, formatLosses } from '../jobs/summary.ts';
import type { JobRecord } from '../jobs/types.ts';
import { colorsOf } from '../options.ts';
import { formatStyleNames } from '../styles/index.ts';
import { RESULT_REACTIONS, CANCEL_REACTION, type ResultVisual } from './reactions.ts';

export function progressBar(fraction: number, width = 20): string {
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.round(f * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

export function progressText(p: { iteration: number; steps: number; losses: Losses; elapsedMs: number; etaMs: number }): string {
  const fraction = p.steps > 0 ? p.iteration / p.steps : 1;
  return (
    `${progressBar(fraction)} ${Math.round(fraction * 100)}% · step ${p.iteration}/${p.steps} · ` +
    `elapsed ${formatDuration(p.elapsedMs)} · ETA ${formatDuration(p.etaMs)}\n${formatLosses(p.losses)}`
  );
}

export function queuedText(position: number): string {
  return position <= 1 ? 'Queued: next in line.' : `Queued: position ${position} in the queue.`;
}

type JobView = Pick<JobRecord, 'options' | 'sheet'>;

/** What a job makes: its mode ("transfer"), or its sheet ("texture sheet"). */
export function jobTitle(job: JobView): string {
  return job.sheet ? `${job.sheet.kind} sheet` : job.options.mode;
}

export function settingsText(job: JobView): string {
  const o = job.options;
  if (job.sheet) {
    const layers = job.sheet.layers ? ` · layers ${job.sheet.layers.join(',')}` : '';
    const combo = job.sheet.combo ? ` · combo ${job.sheet.combo.join(',')}` : '';
    return `${jobTitle(job)} · preset ${o.preset} · ${o.size}px · ${o.steps} steps per run · ${o.optimizer}${layers}${combo} · seed ${o.seed}`;
  }
  const colors = colorsOf(o);
  const named = o.styleName?.length ? ` · styles ${formatStyleNames(o.styleName)}` : '';
  return `${o.mode}${named} · preset ${o.preset} · ${o.size}px · ${o.steps} steps · ${o.optimizer} · style weight ${o.styleWeight} · init ${o.init}${colors !== 'style' ? ` · colors ${colors}` : ''} · seed ${o.seed}`;
}

/** The result's first lines; sheets offer no re-run reactions (a sheet is not one image to re-run). */
export function resultText(job: JobView, runtimeMs: number): string {
  const done = `Done in ${formatDuration(runtimeMs)} — ${settingsText(job)}`;
  if (job.sheet) return done;
  const offers = RESULT_REACTIONS.map((r) => `${r.unicode} ${r.label}`).join(' · ');
  return `${done}\nReact (or press a button) for ${offers}.`;
}

/** The line over a posted time-lapse or loss chart. */
export function visualText(visual: ResultVisual, jobId: string): string {
  return visual === 'timelapse' ? `🎞️ The time-lapse of job ${jobId}.` : `📈 The loss curves of job ${jobId} (log scale).`;
}

/** Why a time-lapse or chart could not be posted. */
export function visualRefusalText(visual: ResultVisual, reason: string): string {
  return `${visual === 'timelapse' ? '🎞️ No time-lapse' : '📈 No loss chart'}: ${reason}.`;
}

/** progressText, led by "run 2 of 6" for a sheet (its steps count over all its runs). */
export function jobProgressText(job: JobView, p: Parameters<typeof progressText>[0]): string {
  const text = progressText(p);
  const per = job.options.steps;
  if (!job.sheet || per <= 0) return text;
  const runs = Math.max(1, Math.round(p.steps / per));
  const run = Math.min(runs, Math.max(1, Math.ceil(p.iteration / per)));
  return `run ${run} of ${runs} · ${text}`;
}

export function cancelHint(): string {
  return `React ${CANCEL_REACTION.unicode} to cancel.`;
}

/** What a job recovered after a restart says in its progress message. */
export function resumedText(event: { from?: { iteration: number; source: 'checkpoint' | 'preview' }; runsDone?: number }, runs?: number): string {
  if (event.runsDone !== undefined && event.runsDone > 0) {
    return `Resumed after a restart at run ${event.runsDone + 1}${runs ? ` of ${runs}` : ''} (the runs before it were kept).`;
  }
  if (event.from?.source === 'checkpoint') return `Resumed after a restart from its checkpoint at step ${event.from.iteration}.`;
  if (event.from) return `Resumed after a restart from its last preview, at step ${event.from.iteration}.`;
  return 'Resumed after a restart.';
}
