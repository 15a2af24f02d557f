// The one-line summary stored with a completed job and shown under its result, and the duration
// and loss formats it is written in (the chat adapters show them the same way).
import type { Losses } from '../engine/types.ts';
import type { StyleOptions } from '../options.ts';

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

/** "transfer · 512×384 · 300 lbfgs iterations in 1m 05s · total … · content … · style … · tv …" */
export function runSummary(
  options: Pick<StyleOptions, 'mode' | 'optimizer'>,
  run: { width: number; height: number; iterations: number; runtimeMs: number; losses: Losses },
): string {
  return `${options.mode} · ${run.width}×${run.height} · ${run.iterations} ${options.optimizer} iterations in ${formatDuration(run.runtimeMs)} · ${formatLosses(run.losses)}`;
}
