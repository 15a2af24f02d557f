// Reads a --log-json file as the tests expect it to be: one JSON object per line. The fields are
// written out here rather than taken from src/cli/log-json.ts, so that a change to the format the CLI
// writes shows up as a failing test instead of silently changing what the tests expect.
import { readFileSync } from 'node:fs';

export interface LogLine {
  iter: number;
  content: number;
  style: number;
  tv: number;
  total: number;
  ms: number;
}

/** A coarse-to-fine run's line: the plain fields, then the scale and the peak memory. */
export interface MultiresLogLine extends LogLine {
  scale: number;
  rss_mb: number;
}

export function readLog<T extends LogLine = LogLine>(file: string): T[] {
  return readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as T);
}
