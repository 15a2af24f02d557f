// Progress over a whole sheet: the runs' iterations counted end to end, so one bar or ETA covers
// every run rather than restarting at each.
import type { Progress } from '../types.ts';
import type { CellProgress } from './render.ts';

/** Maps a run's Progress to the sheet's: steps = runs × stepsPerRun, iteration counted across runs. */
export function sheetProgress(stepsPerRun: number, start = performance.now()): (p: Progress, at: CellProgress) => Progress {
  return (p, at) => {
    const steps = at.runs * stepsPerRun;
    const iteration = at.run * stepsPerRun + p.iteration;
    const elapsedMs = performance.now() - start;
    // The pace of the runs so far predicts the rest better than the current run's own estimate.
    const etaMs = iteration > 0 ? (elapsedMs / iteration) * (steps - iteration) : p.etaMs * at.runs;
    return { ...p, iteration, steps, elapsedMs, etaMs: Math.max(0, etaMs) };
  };
}
