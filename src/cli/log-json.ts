// --log-json: one JSON object per progress callback. Each line is written synchronously and whole,
// so the file is a complete record of the iterations so far even if the run is interrupted. The file
// is created at the first iteration, so a run that fails before optimising leaves none behind.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Progress } from '../engine/types.ts';
import { fsReason } from './input-files.ts';

export interface JsonLog {
  write(p: Progress): void;
  close(): void;
}

export function progressRecord(p: Progress): { iter: number; content: number; style: number; tv: number; total: number; ms: number } {
  const { content, style, tv, total } = p.losses;
  return { iter: p.iteration, content, style, tv, total, ms: p.iterationMs };
}

export function openJsonLog(file: string): JsonLog {
  let fd: number | undefined;
  let closed = false;
  return {
    write(p) {
      if (closed) return;
      try {
        fd ??= openSync(file, 'w');
      } catch (e) {
        throw new Error(`--log-json: cannot write "${file}" (${fsReason(e)})`);
      }
      writeSync(fd, JSON.stringify(progressRecord(p)) + '\n');
    },
    close() {
      closed = true;
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
