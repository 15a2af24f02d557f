// Where the VGG-19 weights come from, in order: --weights PATH, STYLIZE_WEIGHTS, the cached
// models/vgg19.safetensors, else a one-time download into that cache.
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logger } from '../../log.ts';
import { WeightsError } from './errors.ts';
import { DEFAULT_WEIGHTS_URL, downloadVggWeights } from './download.ts';
import type { DownloadProgressFn } from './download.ts';
import { consoleDownloadProgress } from './progress.ts';

/** <repo>/models, next to src/. */
export const DEFAULT_MODELS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../models');
export const WEIGHTS_FILE_NAME = 'vgg19.safetensors';

export interface ResolveWeightsOptions {
  /** The --weights flag's value. */
  flag?: string;
  env?: NodeJS.ProcessEnv;
  modelsDir?: string;
  /** Download URL; defaults to STYLIZE_WEIGHTS_URL, then timm/vgg19.tv_in1k on Hugging Face. */
  url?: string;
  /** Download progress; defaults to a bar on a TTY stderr, else a log line every 10%. */
  onProgress?: DownloadProgressFn;
  fetchImpl?: typeof fetch;
  stallTimeoutMs?: number;
  signal?: AbortSignal;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function explicitPath(value: string, what: string): Promise<string> {
  const path = resolve(value);
  let kind: 'file' | 'other' | 'missing';
  try {
    kind = (await stat(path)).isFile() ? 'file' : 'other';
  } catch {
    kind = 'missing';
  }
  if (kind === 'missing') throw new WeightsError(`${what} ${path}: no such file`);
  if (kind === 'other') throw new WeightsError(`${what} ${path}: not a file`);
  return path;
}

/**
 * The path of a VGG-19 weights file, downloading it first when no source has one. A flag or env path
 * that does not exist is an error (a typo must not trigger a 80 MB download).
 */
export async function resolveWeightsPath(opts: ResolveWeightsOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  if (opts.flag !== undefined && opts.flag !== '') return explicitPath(opts.flag, '--weights');
  if (env.STYLIZE_WEIGHTS) return explicitPath(env.STYLIZE_WEIGHTS, 'STYLIZE_WEIGHTS');
  const modelsDir = resolve(opts.modelsDir ?? DEFAULT_MODELS_DIR);
  const cached = join(modelsDir, WEIGHTS_FILE_NAME);
  if (await isFile(cached)) return cached;

  const url = opts.url ?? (env.STYLIZE_WEIGHTS_URL || DEFAULT_WEIGHTS_URL);
  await mkdir(modelsDir, { recursive: true });
  logger.info({ url, dest: cached }, `downloading VGG-19 weights from ${url} to ${cached}`);
  const progress = opts.onProgress ? undefined : consoleDownloadProgress('VGG-19 weights');
  try {
    await downloadVggWeights({
      url,
      dest: cached,
      onProgress: opts.onProgress ?? progress?.update,
      fetchImpl: opts.fetchImpl,
      stallTimeoutMs: opts.stallTimeoutMs,
      signal: opts.signal,
      manualHint: 'or point STYLIZE_WEIGHTS at it',
    });
  } finally {
    progress?.stop();
  }
  return cached;
}

/**
 * The weights of a long-running process (the bot, a queue worker): resolveWeightsPath from the
 * environment alone, with a download's progress titled by its URL.
 */
export async function resolveWeightsForProcess(env: NodeJS.ProcessEnv): Promise<string> {
  const url = env.STYLIZE_WEIGHTS_URL || DEFAULT_WEIGHTS_URL;
  const progress = consoleDownloadProgress(`downloading VGG-19 weights from ${url}`);
  try {
    return await resolveWeightsPath({ env, url, modelsDir: env.STYLIZE_MODELS_DIR || undefined, onProgress: progress.update });
  } finally {
    progress.stop();
  }
}
