// The fault schedule: which process is killed when, with which signal, and for how long it stays
// down, all drawn from the seed before the soak starts (printed with --seed so a failure replays).
import type { Random } from './random.ts';

export type FaultKind = 'worker' | 'bot' | 'redis' | 'engine';
export type SoakMode = 'redis' | 'local';

export interface Fault {
  /** Milliseconds after the load started. */
  at: number;
  kind: FaultKind;
  signal: 'SIGKILL' | 'SIGTERM';
  /** Which worker (worker and engine faults on the shared queue). */
  target: number;
  /** How long the process stays down before it is started again. */
  downMs: number;
}

/** Seconds between two faults of a kind (the figures), and how long the process stays down. */
const EVERY: Record<FaultKind, { gapS: [number, number]; downS: [number, number] }> = {
  worker: { gapS: [5, 15], downS: [1, 4] },
  bot: { gapS: [30, 60], downS: [1, 3] },
  redis: { gapS: [60, 120], downS: [1, 4] },
  engine: { gapS: [20, 40], downS: [0, 0] },
};

/** Fault kinds per mode: without Redis there is no worker process, only the bot (and its engine). */
export function faultKinds(mode: SoakMode): FaultKind[] {
  return mode === 'redis' ? ['worker', 'bot', 'redis', 'engine'] : ['bot', 'engine'];
}

/**
 * Faults over durationMs, sorted by time. With atLeastOneEach, a kind whose first gap is longer
 * than the run gets one fault anyway, somewhere in its middle (the short soak in npm test).
 */
export function faultSchedule(rng: Random, mode: SoakMode, durationMs: number, workers: number, atLeastOneEach = false): Fault[] {
  const faults: Fault[] = [];
  for (const kind of faultKinds(mode)) {
    const { gapS, downS } = EVERY[kind];
    const draw = (at: number): Fault => ({
      at,
      kind,
      // An engine child ends abruptly in real life (OOM): always SIGKILL.
      signal: kind === 'engine' || rng.chance(0.5) ? 'SIGKILL' : 'SIGTERM',
      target: rng.int(0, Math.max(0, workers - 1)),
      downMs: rng.int(downS[0] * 1000, downS[1] * 1000),
    });
    let at = rng.int(gapS[0] * 1000, gapS[1] * 1000);
    let count = 0;
    for (; at < durationMs && count < 10_000; at += rng.int(gapS[0] * 1000, gapS[1] * 1000), count++) faults.push(draw(at));
    if (count === 0 && atLeastOneEach) faults.push(draw(rng.int(Math.round(durationMs * 0.2), Math.round(durationMs * 0.8))));
  }
  return faults.sort((a, b) => a.at - b.at);
}
