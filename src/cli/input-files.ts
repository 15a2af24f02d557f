// Checks the files named on the command line before the (slow) backend and weights load, so a typo
// costs a second rather than a minute.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunArgs } from './args.ts';
import { UsageError } from './errors.ts';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
};

export function fsReason(e: unknown): string {
  const code = (e as { code?: string }).code;
  return (code && REASONS[code]) ?? (e instanceof Error ? e.message.split('\n')[0] : String(e));
}

async function readable(flag: string, file: string): Promise<void> {
  try {
    const s = await stat(file);
    if (s.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    await access(file, constants.R_OK);
  } catch (e) {
    throw new UsageError(`--${flag}: cannot read "${file}" (${fsReason(e)})`);
  }
}

async function writableDirFor(flag: string, file: string): Promise<void> {
  const dir = dirname(file);
  try {
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    await access(dir, constants.W_OK);
  } catch (e) {
    throw new UsageError(`--${flag}: cannot write into "${dir}" (${fsReason(e)})`);
  }
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory()) throw new UsageError(`--${flag}: "${file}" is a directory`);
}

export async function checkInputFiles(a: RunArgs): Promise<void> {
  if (a.content !== undefined) await readable('content', a.content);
  for (const s of a.styles) await readable('style', s);
  if (a.initImage !== undefined) await readable('init-image', a.initImage);
  await writableDirFor('output', a.output);
  if (a.logJson !== undefined) await writableDirFor('log-json', a.logJson);
  for (const flag of ['timelapse', 'plot', 'compare'] as const) {
    const file = a[flag];
    if (file !== undefined) await writableDirFor(flag, file);
  }
}
