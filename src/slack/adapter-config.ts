// The Slack adapter's own knobs, read from the environment once at start-up. Job limits (steps,
// size, queue) belong to the job service; these only guard what the adapter downloads and how often
// it edits messages.
import { envNumber } from '../env.ts';

export interface SlackConfig {
  /** Largest accepted upload, in bytes (STYLIZE_MAX_UPLOAD_MB). */
  maxUploadBytes: number;
  /** Largest accepted input image, in pixels (STYLIZE_MAX_INPUT_PIXELS). */
  maxInputPixels: number;
  /** Minimum time between two edits of the progress message (STYLIZE_SLACK_UPDATE_INTERVAL_MS). */
  updateIntervalMs: number;
  /** Minimum time between two preview uploads of a job; previews in between are skipped (STYLIZE_SLACK_PREVIEW_INTERVAL_MS). */
  previewIntervalMs: number;
}

export const DEFAULT_SLACK_CONFIG: SlackConfig = {
  maxUploadBytes: 10 * 1024 * 1024,
  maxInputPixels: 25_000_000,
  // chat.update is a Tier 3 method (~50 calls a minute per workspace): one edit every 5 s per job
  // leaves room for several jobs at once.
  updateIntervalMs: 5000,
  // Each preview is a file in the thread: a few per job show the picture forming without flooding it.
  previewIntervalMs: 30_000,
};

export function slackConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SlackConfig {
  const mb = envNumber(env, 'STYLIZE_MAX_UPLOAD_MB');
  const pixels = envNumber(env, 'STYLIZE_MAX_INPUT_PIXELS');
  const interval = envNumber(env, 'STYLIZE_SLACK_UPDATE_INTERVAL_MS', { allowZero: true });
  const previews = envNumber(env, 'STYLIZE_SLACK_PREVIEW_INTERVAL_MS', { allowZero: true });
  return {
    maxUploadBytes: mb !== undefined ? Math.round(mb * 1024 * 1024) : DEFAULT_SLACK_CONFIG.maxUploadBytes,
    maxInputPixels: pixels !== undefined ? Math.round(pixels) : DEFAULT_SLACK_CONFIG.maxInputPixels,
    updateIntervalMs: interval !== undefined ? Math.round(interval) : DEFAULT_SLACK_CONFIG.updateIntervalMs,
    previewIntervalMs: previews !== undefined ? Math.round(previews) : DEFAULT_SLACK_CONFIG.previewIntervalMs,
  };
}
