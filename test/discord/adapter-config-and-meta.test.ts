import { describe, expect, test } from 'vitest';
import { DEFAULT_DISCORD_CONFIG, discordConfigFromEnv } from '../../src/discord/adapter-config.ts';
import { jobTag, parseJobTag, readDiscordMeta } from '../../src/discord/job-meta.ts';

describe('discordConfigFromEnv', () => {
  test('defaults, and overrides in the units the variables name', () => {
    expect(discordConfigFromEnv({})).toEqual(DEFAULT_DISCORD_CONFIG);
    const c = discordConfigFromEnv({
      STYLIZE_MAX_UPLOAD_MB: '2.5',
      STYLIZE_MAX_INPUT_PIXELS: '1000000',
      STYLIZE_DISCORD_EDIT_INTERVAL_MS: '250',
      STYLIZE_DISCORD_UPLOAD_LIMIT_MB: '25',
      STYLIZE_DISCORD_RETRY_BASE_MS: '100',
      STYLIZE_DISCORD_RETRY_ATTEMPTS: '3',
    });
    expect(c).toMatchObject({
      maxUploadBytes: 2.5 * 1024 * 1024,
      maxInputPixels: 1_000_000,
      editIntervalMs: 250,
      defaultUploadLimitBytes: 25 * 1024 * 1024,
      retryBaseMs: 100,
      retryAttempts: 3,
    });
  });
  test('a malformed value names the variable', () => {
    expect(() => discordConfigFromEnv({ STYLIZE_DISCORD_EDIT_INTERVAL_MS: 'soon' })).toThrow(/STYLIZE_DISCORD_EDIT_INTERVAL_MS: got "soon"/);
    expect(() => discordConfigFromEnv({ STYLIZE_DISCORD_RETRY_ATTEMPTS: '2.5' })).toThrow(/whole number/);
  });
});

describe('job meta', () => {
  test('reads what the adapter wrote and ignores malformed fields', () => {
    expect(readDiscordMeta({ meta: {} })).toBeUndefined();
    expect(readDiscordMeta({ meta: { discord: { postChannelId: '1' } } })).toBeUndefined();
    expect(readDiscordMeta({ meta: { discord: { channelId: '1', postChannelId: '2', progressMessageId: 3, delivered: 'yes', uploadLimitBytes: -1 } } })).toEqual({
      channelId: '1',
      postChannelId: '2',
    });
  });
  test('job tags round-trip', () => {
    expect(parseJobTag(`Done!\n${jobTag('aB3xQ9')}`)).toBe('aB3xQ9');
    expect(parseJobTag('no tag here')).toBeUndefined();
  });
});
