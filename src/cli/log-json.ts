// --log-json: one JSON object per progress callback. Each line is written synchronously and whole,
// so the file is a complete record of the iterations so far even if the run is interrupted.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Progress } from '../engine/types.ts';

export interface JsonLog {
  write(p: Progress): void;
  close(): void;
}

export function progressRecord(p: Progress): { iter: number; content: number; style: number; tv: number; total: number; ms: number } {
  const { content, style, tv, total } = p.losses;
  return { iter: p.iteration, content, style, tv, total, ms: p.iterationMs };
}

/** Creates (or truncates) `file`; throws the fs error if it cannot. */
export function openJsonLog(file: string): JsonLog {
  let fd: number | undefined = openSync(file, 'w');
  return {
    write(p) {
      if (fd !== undefined) writeSync(fd, JSON.stringify(progressRecord(p)) + '\n');
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
