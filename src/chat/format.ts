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

type JobView = Pick<JobRecord, 'options' | 'sheet'> & Partial<Pick<JobRecord, 'kind' | 'grid'>>;

/** What a job makes: its mode ("transfer"), its sheet ("texture sheet"), a grid or an upscale ("upscale of candidate 2"). */
export function jobTitle(job: JobView): string {
  if (job.kind === 'grid') return job.grid?.spec.kind === 'vary' ? 'vary grid' : 'strength grid';
  if (job.kind === 'upscale') return `upscale of candidate ${(job.grid?.pick ?? 0) + 1}`;
  return job.sheet ? `${job.sheet.kind} sheet` : job.options.mode;
}

/** Under a finished grid: what its buttons do (the same on Discord and Slack). */
export function gridOffer(job: JobView): string {
  return `Press U1–U4 to upscale a candidate to ${job.options.size}px (${job.options.steps} steps), V1–V4 for a new grid around it. Anyone here may press; the job is yours.`;
}

export function settingsText(job: JobView): string {
  const o = job.options;
  if (job.sheet) {
    const layers = job.sheet.layers ? ` · layers ${job.sheet.layers.join(',')}` : '';
    const combo = job.sheet.combo ? ` · combo ${job.sheet.combo.join(',')}` : '';
    return `${jobTitle(job)} · preset ${o.preset} · ${o.size}px · ${o.steps} steps per run · ${o.optimizer}${layers}${combo} · seed ${o.seed}`;
  }
  if (job.kind === 'grid' && job.grid) {
    return `${jobTitle(job)} · 4 candidates at ${job.grid.spec.size}px · ${job.grid.spec.steps} steps each · preset ${o.preset} · style weight ${o.styleWeight} · seed ${o.seed}`;
  }
  const colors = colorsOf(o);
  const named = o.styleName?.length ? ` · styles ${formatStyleNames(o.styleName)}` : '';
  return `${o.mode}${named} · preset ${o.preset} · ${o.size}px · ${o.steps} steps · ${o.optimizer} · style weight ${o.styleWeight} · init ${o.init}${colors !== 'style' ? ` · colors ${colors}` : ''} · seed ${o.seed}`;
}

/** The result's first lines; sheets offer no re-run reactions (a sheet is not one image to re-run). */
export function resultText(job: JobView, runtimeMs: number): string {
  const done = `Done in ${formatDuration(runtimeMs)} — ${settingsText(job)}`;
  if (job.sheet) return done;
  if (job.kind === 'grid') return `${done}\n${gridOffer(job)}`;
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
export function jobProgressText(job: JobView, p: Parameters<typeof progressText>[0] & { candidate?: { index: number; of: number } }): string {
  const text = progressText(p);
  const candidate = p.candidate;
  if (candidate) return `candidate ${candidate.index + 1}/${candidate.of} · ${text}`;
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
export function resumedText(event: { from?: { iteration: number; source: 'checkpoint' | 'preview' }; runsDone?: number }, runs?: number, job?: Pick<JobRecord, 'kind'>): string {
  if (event.runsDone !== undefined && event.runsDone > 0) {
    // A grid's runs are its four candidates.
    if (job?.kind === 'grid') return `Resumed after a restart at candidate ${event.runsDone + 1} of 4 (the candidates before it were kept).`;
    return `Resumed after a restart at run ${event.runsDone + 1}${runs ? ` of ${runs}` : ''} (the runs before it were kept).`;
  }
  if (event.from?.source === 'checkpoint') return `Resumed after a restart from its checkpoint at step ${event.from.iteration}.`;
  if (event.from) return `Resumed after a restart from its last preview, at step ${event.from.iteration}.`;
  return 'Resumed after a restart.';
}
