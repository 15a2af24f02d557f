// Reading an @mention's words and files, and the adapter's env settings.
import { describe, expect, it } from 'vitest';
import { slackOptionsFromEnv } from '../../src/slack/app.ts';
import { mentionText, readMention } from '../../src/slack/mention.ts';
import { DEFAULT_SLACK_CONFIG, slackConfigFromEnv } from '../../src/slack/adapter-config.ts';

const a = { id: 'F1', name: 'a.png' };
const b = { id: 'F2', name: 'b.png' };

describe('readMention', () => {
  it('strips mentions and links before reading the words', () => {
    expect(mentionText('<@U123> texture <#C1|general> <https://x.y|site> steps=3')).toBe('texture steps=3');
  });

  it('takes the first file as content and the second as style', () => {
    expect(readMention('<@U1> steps=300 size=512 please', [a, b], {})).toEqual({ ok: true, mode: 'transfer', options: { steps: 300, size: 512 }, contentFile: a, styleFile: b });
  });

  it('uses one style image for texture and one content image for reconstruct', () => {
    expect(readMention('<@U1> texture', [a], {})).toMatchObject({ ok: true, mode: 'texture', styleFile: a });
    expect(readMention('<@U1> reconstruct', [a], {})).toMatchObject({ ok: true, mode: 'reconstruct', contentFile: a });
    expect(readMention('<@U1>', [a], { mode: 'texture' })).toMatchObject({ ok: true, mode: 'texture', styleFile: a });
  });

  it('explains what is wrong in one line plus usage', () => {
    const r = (text: string, files = [a, b]) => {
      const out = readMention(text, files, {});
      if (out.ok) throw new Error('expected a refusal');
      return out.reason;
    };
    expect(r('<@U1> size=huge')).toMatch(/^size: got "huge", expected a whole number from 16 to 4096\nMention me/);
    expect(r('<@U1> hello', [])).toMatch(/^Mention me in a message with two images/);
    expect(r('<@U1>', [a, b, a])).toMatch(/exactly two images .* this message has 3/);
    expect(r('<@U1> texture', [a, b])).toBe('Mode texture uses one image (the style); this message has 2.');
  });
});

describe('Slack env settings', () => {
  it('reads the STYLIZE_* knobs with defaults', () => {
    expect(slackConfigFromEnv({})).toEqual(DEFAULT_SLACK_CONFIG);
    expect(slackConfigFromEnv({ STYLIZE_MAX_UPLOAD_MB: '2.5', STYLIZE_SLACK_UPDATE_INTERVAL_MS: '0', STYLIZE_MAX_INPUT_PIXELS: '1000000' })).toMatchObject({
      maxUploadBytes: 2.5 * 1024 * 1024,
      updateIntervalMs: 0,
      maxInputPixels: 1_000_000,
    });
    expect(() => slackConfigFromEnv({ STYLIZE_MAX_UPLOAD_MB: 'ten' })).toThrow('STYLIZE_MAX_UPLOAD_MB: got "ten", expected a positive number');
  });

  it('picks Socket Mode or HTTP mode from the tokens, with a clear message when one is missing', () => {
    expect(() => slackOptionsFromEnv({})).toThrow(/SLACK_BOT_TOKEN is not set/);
    expect(() => slackOptionsFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(/set SLACK_APP_TOKEN \(Socket Mode\) or SLACK_SIGNING_SECRET/);
    expect(slackOptionsFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' })).toMatchObject({ botToken: 'xoxb-1', appToken: 'xapp-1' });
    expect(slackOptionsFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', PORT: '8080', SLACK_API_URL: 'http://127.0.0.1:9/api/' })).toEqual({
      botToken: 'xoxb-1',
      appToken: undefined,
      signingSecret: 's',
      port: 8080,
      apiUrl: 'http://127.0.0.1:9/api/',
    });
    expect(() => slackOptionsFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', PORT: 'eighty' })).toThrow(/PORT: got "eighty"/);
  });
});
