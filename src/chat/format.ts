// Text shown in chat, shared by the Discord and Slack adapters so both read the same.
import type { Losses } from '../engine/types.ts';
import type { JobRecord } from '../jobs/types.ts';
import { RERUN_REACTIONS, CANCEL_REACTION } from './reactions.ts';

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export function formatLoss(x: number): string {
  return x === 0 ? '0' : Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toPrecision(4);
}

export function formatLosses(l: Losses): string {
  return `total ${formatLoss(l.total)} · content ${formatLoss(l.content)} · style ${formatLoss(l.style)} · tv ${formatLoss(l.tv)}`;
}

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

export function settingsText(job: JobRecord): string {
  const o = job.options;
  return `${o.mode} · preset ${o.preset} · ${o.size}px · ${o.steps} steps · ${o.optimizer} · style weight ${o.styleWeight} · init ${o.init}${o.originalColors ? ' · original colours' : ''} · seed ${o.seed}`;
}

export function resultText(job: JobRecord, runtimeMs: number): string {
  const offers = RERUN_REACTIONS.map((r) => `${r.unicode} ${r.label}`).join(' · ');
  return `Done in ${formatDuration(runtimeMs)} — ${settingsText(job)}\nReact ${offers}.`;
}

export function cancelHint(): string {
  return `React ${CANCEL_REACTION.unicode} to cancel.`;
}
