// Text for losses and times: losses span many orders of magnitude, so they get 4 significant digits.
import type { Losses, Progress } from '../engine/types.ts';

export function formatLoss(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs >= 1e5 || abs < 1e-3) return x.toExponential(3);
  return String(Number(x.toPrecision(4)));
}

export function formatLosses(l: Losses): string {
  return `total ${formatLoss(l.total)}  content ${formatLoss(l.content)}  style ${formatLoss(l.style)}  tv ${formatLoss(l.tv)}`;
}

/** `scale 2/3  ` in a coarse-to-fine run, else nothing. */
export function formatScale(p: Progress): string {
  return p.scale !== undefined && p.scales !== undefined ? `scale ${p.scale}/${p.scales}  ` : '';
}

/** `iter 50/300  total …  content …  style …  tv …  (1.23 s/it)`, after `scale 2/3  ` in a coarse-to-fine run. */
export function formatProgressLine(p: Progress): string {
  return `${formatScale(p)}iter ${p.iteration}/${p.steps}  ${formatLosses(p.losses)}  (${(p.iterationMs / 1000).toFixed(2)} s/it)`;
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
