// Default download progress: a cli-progress bar when a person watches stderr, otherwise a log line
// every 10% (bot logs, CI), so a long first start never looks hung.
import cliProgress from 'cli-progress';
import { logger } from '../../log.ts';
import type { DownloadProgressFn } from './download.ts';

export interface ProgressReporter {
  update: DownloadProgressFn;
  stop: () => void;
}

const MB = 1024 * 1024;

export function formatMegabytes(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

export function consoleDownloadProgress(
  title: string,
  opts: { stream?: NodeJS.WriteStream; log?: (line: string) => void } = {},
): ProgressReporter {
  const stream = opts.stream ?? process.stderr;
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${title} [{bar}] {percentage}% {done}/{size} ETA {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (done, total) => {
        const payload = { done: formatMegabytes(done), size: total ? formatMegabytes(total) : '?' };
        if (!started) {
          bar.start(total || done || 1, done, payload);
          started = true;
        } else {
          if (total) bar.setTotal(total);
          bar.update(done, payload);
        }
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  const log = opts.log ?? ((line: string) => logger.info(line));
  let nextTenth = 0;
  let nextMegabytes = 0;
  return {
    update: (done, total) => {
      if (total > 0) {
        const tenth = Math.floor((done / total) * 10);
        if (tenth < nextTenth) return;
        nextTenth = tenth + 1;
        log(`${title}: ${tenth * 10}% (${formatMegabytes(done)} of ${formatMegabytes(total)})`);
      } else if (done >= nextMegabytes) {
        // Unknown size: report every 50 MB instead.
        nextMegabytes = done + 50 * MB;
        log(`${title}: ${formatMegabytes(done)}`);
      }
    },
    stop: () => undefined,
  };
}
