// The losses of every iteration of a run, on one iteration axis: a coarse-to-fine run restarts its
// iteration count at each scale, so later scales are shifted to follow on from the earlier ones.
import type { Losses, Progress } from '../types.ts';

export interface LossPoint extends Losses {
  /** Counted from the start of the run, across scales. */
  iter: number;
  /** 1-based scale (1 for a single-scale run). */
  scale: number;
}

export class LossTrace {
  readonly points: LossPoint[] = [];
  private scale = 1;
  private offset = 0;
  private lastIteration = 0;

  add(p: Pick<Progress, 'iteration' | 'losses' | 'scale'>): void {
    const scale = p.scale ?? 1;
    if (scale !== this.scale) {
      this.offset += this.lastIteration;
      this.scale = scale;
    }
    this.lastIteration = p.iteration;
    const { content, style, tv, total } = p.losses;
    this.points.push({ iter: this.offset + p.iteration, scale, content, style, tv, total });
  }
}

/** Where each scale after the first starts on the iteration axis. */
export function scaleStarts(points: readonly LossPoint[]): { iter: number; scale: number }[] {
  const starts: { iter: number; scale: number }[] = [];
  for (let i = 1; i < points.length; i++) if (points[i].scale !== points[i - 1].scale) starts.push({ iter: points[i].iter, scale: points[i].scale });
  return starts;
}
