// Reading an @mention's words and files, and the adapter's env settings.
import { describe, expect, it } from 'vitest';
import { slackOptionsFromEnv } from '../../src/slack/app.ts';
import { readLibraryMention } from '../../src/slack/library-mention.ts';
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

  it('style= names library styles in place of the style image, or beside it', () => {
    const named = [{ name: 'starry-night', weight: 3 }, { name: 'scream', weight: 1 }];
    expect(readMention('<@U1> style=starry-night:3,scream', [a], {})).toEqual({ ok: true, mode: 'transfer', options: { styleName: named }, contentFile: a });
    expect(readMention('<@U1> style=scream', [a, b], {})).toMatchObject({ ok: true, contentFile: a, styleFile: b });
    expect(readMention('<@U1> texture style=scream', [], {})).toMatchObject({ ok: true, mode: 'texture', options: { styleName: [{ name: 'scream', weight: 1 }] } });
    expect(readMention('<@U1> style_name=scream', [a], {})).toMatchObject({ ok: true, options: { styleName: [{ name: 'scream', weight: 1 }] } });
    expect(readMention('<@U1> style=scream', [a, b, a], {})).toMatchObject({ ok: false, reason: expect.stringMatching(/at most one style image; it has 3/) });
    expect(readMention('<@U1> style=Scream', [a], {})).toMatchObject({ ok: false, reason: expect.stringMatching(/style-name: style name "Scream" is not valid/) });
    // The old name still works where typed; the job service folds it into colors.
    expect(readMention('<@U1> original_colors=true', [a, b], {})).toMatchObject({ ok: true, options: { originalColors: true } });
  });

  it('tells library and history requests apart from jobs', () => {
    expect(readLibraryMention('save style scream-blue')).toEqual({ verb: 'save', name: 'scream-blue' });
    expect(readLibraryMention('Remove style x')).toEqual({ verb: 'remove', name: 'x' });
    expect(readLibraryMention('styles')).toEqual({ verb: 'list' });
    expect(readLibraryMention('list styles')).toEqual({ verb: 'list' });
    expect(readLibraryMention('history')).toEqual({ verb: 'history' });
    expect(readLibraryMention('show J123')).toEqual({ verb: 'show', jobId: 'J123' });
    for (const job of ['texture style=scream', 'steps=300', 'sheet texture', 'style=scream history']) expect(readLibraryMention(job)).toBeUndefined();
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
