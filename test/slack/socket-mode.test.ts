// Socket Mode (SLACK_APP_TOKEN set): no public URL, the app opens a WebSocket from
// apps.connections.open and acks envelopes. Same listeners, same job service as over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, CHANNEL, startHarness, type Harness } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ mode: 'socket' });
});

afterAll(async () => {
  await h?.stop();
});

describe('Socket Mode', () => {
  it('connects with the app-level token and has no HTTP port', () => {
    expect(h.handle.port).toBeUndefined();
    expect(h.fake.socketConnections).toBe(1);
    // apps.connections.open is answered only for the app token; the bot token does the rest.
    expect(h.fake.callsTo('apps.connections.open').every((c) => c.ok)).toBe(true);
    expect(h.fake.callsTo('auth.test').at(-1)?.ok).toBe(true);
  });

  it('opens the modal from /stylize and returns validation errors in the ack', async () => {
    const res = await h.slack.command('/stylize', '', { user: ALICE, channel: CHANNEL });
    expect(res.json).toBeUndefined();
    await h.fake.waitFor('views.open', () => h.fake.callsTo('views.open').find((c) => c.ok));
    const ack = await h.slack.submitView(ALICE, { opt_mode: 'texture', opt_size: 32 });
    expect(ack.json).toEqual({ response_action: 'errors', errors: { style: expect.stringMatching(/Mode texture needs a style image/) } });
  });

  it('runs a mention job to its result', async () => {
    const content = await h.image('c.png', 41);
    const style = await h.image('s.png', 42);
    const { message } = await h.slack.mention({ user: ALICE, channel: CHANNEL, text: 'steps=2 size=24 preset=seed', files: [content, style] });
    const result = await h.fake.waitFor('the result', () => h.botThread(message.ts).find((m) => m.metadata?.event_payload.role === 'result'), 60_000);
    expect(result.text).toMatch(/transfer · preset seed · 24px · 2 steps/);
  });
});
