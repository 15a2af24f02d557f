// Progress on the terminal: a bar when a person is watching, plain lines for logs and pipes.
import { Presets, SingleBar } from 'cli-progress';
import type { Progress } from '../engine/types.ts';
import { formatLoss, formatProgressLine, formatScale, formatSeconds } from './format.ts';

export interface ProgressReporter {
  update(p: Progress): void;
  /** After the run: prints the last iteration if it was not printed yet (e.g. L-BFGS stopped early). */
  finish(): void;
  /** Stops drawing without a final line (cancel, failure). */
  stop(): void;
}

export interface Writable {
  write(chunk: string): unknown;
}

/**
 * Plain lines: the first iteration, every `printEvery`-th and the last one. 0 prints none at all, as
 * the option's help says ("0: never"); the final "done" line still appears.
 */
export function createLineReporter(out: Writable, printEvery: number): ProgressReporter {
  if (printEvery === 0) return { update() {}, finish() {}, stop() {} };
  let last: Progress | undefined;
  let lastPrinted = -1;
  let seen = false;
  const print = (p: Progress) => {
    out.write(formatProgressLine(p) + '\n');
    lastPrinted = p.iteration;
  };
  return {
    update(p) {
      const first = !seen;
      seen = true;
      last = p;
      if (first || p.iteration === p.steps || p.iteration % printEvery === 0) print(p);
    },
    finish() {
      if (last && lastPrinted !== last.iteration) print(last);
    },
    stop() {},
  };
}

/** A cli-progress bar on a TTY: [scale,] iteration/steps, ETA from the engine's estimate, total loss. */
export function createBarReporter(stream: NodeJS.WritableStream): ProgressReporter {
  const bar = new SingleBar(
    {
      stream,
      format: '{scaleText}iter {value}/{total} {bar} {percentage}% | ETA {etaText} | total {loss}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 1,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      // In a coarse-to-fine run the bar restarts at each scale; the ETA is the whole run's.
      const payload = { scaleText: formatScale(p), etaText: formatSeconds(p.etaMs), loss: formatLoss(p.losses.total) };
      if (!started) {
        bar.start(p.steps, p.iteration, payload);
        started = true;
      } else {
        bar.setTotal(p.steps);
        bar.update(p.iteration, payload);
      }
    },
    finish() {
      if (started) bar.stop();
      started = false;
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
