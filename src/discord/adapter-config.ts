// The Discord adapter's own knobs, read from the environment once at start-up. Job limits (steps,
// size, queue) belong to the job service; these only guard what the adapter downloads, how often
// it edits messages and how it retries deliveries.
import { envNumber } from '../env.ts';

export interface DiscordConfig {
  /** Largest accepted input attachment, in bytes (STYLIZE_MAX_UPLOAD_MB, shared with Slack). */
  maxUploadBytes: number;
  /** Largest accepted input image, in pixels (STYLIZE_MAX_INPUT_PIXELS, shared with Slack). */
  maxInputPixels: number;
  /** Minimum time between two edits of a progress message (STYLIZE_DISCORD_EDIT_INTERVAL_MS). */
  editIntervalMs: number;
  /**
   * Bot upload cap used when Discord does not tell (STYLIZE_DISCORD_UPLOAD_LIMIT_MB). Interactions
   * carry the guild's real limit (attachment_size_limit), which wins.
   */
  defaultUploadLimitBytes: number;
  /** First wait before re-posting a result that failed to post; doubles each time (STYLIZE_DISCORD_RETRY_BASE_MS). */
  retryBaseMs: number;
  /** Attempts to post a result before giving up (STYLIZE_DISCORD_RETRY_ATTEMPTS). */
  retryAttempts: number;
  /** Time allowed to download one input attachment. */
  downloadTimeoutMs: number;
}

const MIB = 1024 * 1024;

export const DEFAULT_DISCORD_CONFIG: Readonly<DiscordConfig> = {
  maxUploadBytes: 10 * MIB,
  maxInputPixels: 25_000_000,
  // Channel message edits share a per-channel bucket of about 5 per 5 s: one edit every 5 s per
  // job leaves room for the other messages of the thread.
  editIntervalMs: 5000,
  defaultUploadLimitBytes: 10 * MIB,
  // 2 s doubling over 8 attempts covers about 8 minutes of Discord trouble.
  retryBaseMs: 2000,
  retryAttempts: 8,
  downloadTimeoutMs: 30_000,
};

/** Throws a one-line Error naming the variable when a value is malformed. */
export function discordConfigFromEnv(env: NodeJS.ProcessEnv = process.env): DiscordConfig {
  const c: DiscordConfig = { ...DEFAULT_DISCORD_CONFIG };
  const uploadMb = envNumber(env, 'STYLIZE_MAX_UPLOAD_MB');
  if (uploadMb !== undefined) c.maxUploadBytes = Math.floor(uploadMb * MIB);
  c.maxInputPixels = envNumber(env, 'STYLIZE_MAX_INPUT_PIXELS', { integer: true }) ?? c.maxInputPixels;
  c.editIntervalMs = envNumber(env, 'STYLIZE_DISCORD_EDIT_INTERVAL_MS') ?? c.editIntervalMs;
  const limitMb = envNumber(env, 'STYLIZE_DISCORD_UPLOAD_LIMIT_MB');
  if (limitMb !== undefined) c.defaultUploadLimitBytes = Math.floor(limitMb * MIB);
  c.retryBaseMs = envNumber(env, 'STYLIZE_DISCORD_RETRY_BASE_MS') ?? c.retryBaseMs;
  c.retryAttempts = envNumber(env, 'STYLIZE_DISCORD_RETRY_ATTEMPTS', { integer: true }) ?? c.retryAttempts;
  return c;
}
