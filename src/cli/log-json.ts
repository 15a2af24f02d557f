// --log-json: one JSON object per progress callback. Each line is written synchronously and whole,
// so the file is a complete record of the iterations so far even if the run is interrupted. The file
// is created at the first iteration, so a run that fails before optimising leaves none behind.
// Coarse-to-fine runs add the scale and the process's peak memory to every line.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Progress } from '../engine/types.ts';
import { fsReason } from './input-files.ts';

export interface JsonLog {
  write(p: Progress): void;
  close(): void;
}

export interface ProgressRecord {
  iter: number;
  content: number;
  style: number;
  tv: number;
  total: number;
  ms: number;
  /**
   * Coarse-to-fine runs only: the scale (1-based), and the process's peak resident memory so far in
   * MiB (getrusage's high-water mark, which catches the peak inside an evaluation). Each scale is
   * larger than the one before, so at a scale's last line it is that scale's peak.
   */
  scale?: number;
  rss_mb?: number;
}

export function progressRecord(p: Progress, rssMb?: number): ProgressRecord {
  const { content, style, tv, total } = p.losses;
  const record: ProgressRecord = { iter: p.iteration, content, style, tv, total, ms: p.iterationMs };
  if (p.scale !== undefined) {
    record.scale = p.scale;
    if (rssMb !== undefined) record.rss_mb = rssMb;
  }
  return record;
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
      const peakMb = p.scale === undefined ? undefined : Math.round(process.resourceUsage().maxRSS / 1024);
      writeSync(fd, JSON.stringify(progressRecord(p, peakMb)) + '\n');
    },
    close() {
      closed = true;
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
