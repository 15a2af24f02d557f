// End to end over HTTP: signed requests into the Bolt app, the real job service underneath, the
// fake Slack recording what the adapter sends back. /stylize → modal → submit → progress →
// uploaded result → 🧵 reaction → texture job in the same thread.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_OPTION_SPECS } from '../../src/chat/chat-options.ts';
import { WEB_API_METHOD_SCOPES } from '../../src/slack/api-scopes.ts';
import { optionBlockId } from '../../src/slack/modal.ts';
import type { FakeMessage } from '../../scripts/lib/fakes/slack/types.ts';
import { ALICE, BOB, CHANNEL, startHarness, type Harness } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.stop();
});

function jobIdOf(m: FakeMessage): string {
  const id = m.metadata?.event_payload.job_id;
  if (typeof id !== 'string') throw new Error(`message ${m.ts} carries no job id`);
  return id;
}

describe('request verification', () => {
  it('refuses a bad signature and a stale timestamp with 401, creating nothing', async () => {
    // A modal opened the proper way, so a forged submission would otherwise be a valid one.
    await h.slack.command('/stylize', '', { user: ALICE, channel: CHANNEL });
    await h.fake.waitFor('the modal', () => h.fake.views[0]);
    const content = await h.image('c.png', 1);
    const style = await h.image('s.png', 2);
    const before = h.fake.calls.length;
    const forged = { secret: 'not-the-secret' };
    const stale = { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 };
    const answers = { content: [content], style: [style], opt_steps: 2, opt_size: 32, opt_preset: 'seed' };
    for (const sign of [forged, stale]) {
      expect((await h.slack.command('/stylize', '', { user: ALICE, channel: CHANNEL }, sign)).status).toBe(401);
      expect((await h.slack.submitView(ALICE, answers, undefined, sign)).status).toBe(401);
      expect((await h.slack.mention({ user: ALICE, channel: CHANNEL, text: 'steps=2 size=32', files: [content, style] }, sign)).response.status).toBe(401);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(h.fake.calls.slice(before)).toEqual([]);
    expect(h.jobs.listActive('slack', h.fake.teamId)).toEqual([]);
    expect(h.fake.downloads).toEqual([]);

    // The same submission, signed, is a job: the refusals above were the signature's doing.
    const ok = await h.slack.submitView(ALICE, answers);
    expect(ok.status).toBe(200);
    await h.fake.waitFor('the job to finish', () => h.fake.messages.some((m) => m.metadata?.event_payload.role === 'result'), 60_000);
  });

  it('answers url_verification only when signed', async () => {
    const ok = await h.slack.urlVerification('challenge-123');
    expect(ok.status).toBe(200);
    expect(ok.json?.challenge).toBe('challenge-123');
    const forged = await h.slack.urlVerification('challenge-456', { secret: 'nope' });
    expect(forged.status).toBe(401);
  });
});

describe('/stylize modal', () => {
  it('opens a modal with two image pickers and the chat options', async () => {
    const opened = h.fake.callsTo('views.open').length;
    const res = await h.slack.command('/stylize', '', { user: ALICE, channel: CHANNEL });
    expect(res.status).toBe(200);
    const call = await h.fake.waitFor('views.open', () => h.fake.callsTo('views.open')[opened]);
    expect(call.ok).toBe(true);
    const view = h.fake.views.at(-1)!.view as { private_metadata: string; blocks: { block_id: string; element: Record<string, unknown> }[] };
    expect(JSON.parse(view.private_metadata)).toEqual({ channel: CHANNEL });
    for (const id of ['content', 'style']) {
      const el = view.blocks.find((b) => b.block_id === id)!.element;
      expect(el.type).toBe('file_input');
      expect(el.max_files).toBe(1);
      expect(el.filetypes).toEqual(expect.arrayContaining(['png', 'jpg']));
      expect((el.filetypes as string[]).every((t) => ['png', 'jpg', 'jpeg', 'gif', 'webp'].includes(t))).toBe(true);
    }
    const byKey = (key: string) => view.blocks.find((b) => b.block_id === optionBlockId(CHAT_OPTION_SPECS.find((s) => s.key === key)!))!.element;
    expect(byKey('mode').type).toBe('static_select');
    expect((byKey('mode').options as { value: string }[]).map((o) => o.value)).toEqual(['transfer', 'texture', 'reconstruct']);
    expect(byKey('preset').type).toBe('static_select');
    expect(byKey('steps')).toMatchObject({ type: 'number_input', is_decimal_allowed: false, min_value: '0', max_value: '10000' });
    expect(byKey('size')).toMatchObject({ type: 'number_input', min_value: '16', max_value: '4096' });
    expect(byKey('styleWeight').type).toBe('plain_text_input');
  });

  it('answers `/stylize help` privately instead of opening the modal', async () => {
    const opened = h.fake.callsTo('views.open').length;
    const n = h.fake.responses.length;
    await h.slack.command('/stylize', 'help', { user: ALICE, channel: CHANNEL });
    const reply = await h.fake.waitFor('the help', () => h.fake.responses[n]);
    expect(reply.body.response_type).toBe('ephemeral');
    expect(String(reply.body.text)).toMatch(/opens a form .*\nMention me in a message with two images attached/s);
    expect(h.fake.callsTo('views.open').length).toBe(opened);
  });

  it('puts schema errors on the right block and queues nothing', async () => {
    const views = h.fake.views.length;
    await h.slack.command('/stylize', '', { user: ALICE, channel: CHANNEL });
    await h.fake.waitFor('another modal', () => h.fake.views[views]);
    const content = await h.image('content.png', 3);
    const posted = h.fake.messages.length;
    const bad = await h.slack.submitView(ALICE, { content: [content], opt_styleWeight: 'lots', opt_steps: 2 });
    expect(bad.status).toBe(200);
    expect(bad.json?.response_action).toBe('errors');
    const errors = bad.json?.errors as Record<string, string>;
    expect(errors.opt_styleWeight).toMatch(/style-weight/);
    // Transfer (the default mode) also needs a style image.
    expect(errors.style).toMatch(/style image/);
    expect(errors.content).toBeUndefined();
    await new Promise((r) => setTimeout(r, 200));
    expect(h.fake.messages.length).toBe(posted);
  });

  it('submits a job: root message, throttled progress edits, the PNG in the thread, reactions on the result', async () => {
    const n = h.fake.views.length;
    await h.slack.command('/stylize', '', { user: ALICE, channel: CHANNEL });
    await h.fake.waitFor('a modal', () => h.fake.views[n]);
    const content = await h.image('photo.png', 4, 40, 30);
    const style = await h.image('painting.png', 5);
    const rootsBefore = h.fake.messages.filter((m) => m.metadata?.event_payload.role === 'root').length;
    // A slow file host: the modal must still close at once (ack first, download after).
    h.fake.fileDelayMs = 800;
    const res = await h.slack.submitView(ALICE, { content: [content], style: [style], opt_steps: 3, opt_size: 32, opt_preset: 'seed' });
    const answeredAt = Date.now();
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    const fetched = await h.fake.waitFor('both downloads', () => {
      const d = h.fake.downloads.filter((x) => x.fileId === content.id || x.fileId === style.id);
      return d.length === 2 ? d : undefined;
    });
    h.fake.fileDelayMs = 0;
    expect(Math.min(...fetched.map((d) => d.at))).toBeGreaterThan(answeredAt);

    const root = await h.fake.waitFor('the root message', () => h.fake.messages.filter((m) => m.metadata?.event_payload.role === 'root')[rootsBefore]);
    expect(root.thread_ts).toBeUndefined();
    expect(root.channel).toBe(CHANNEL);
    expect(root.history[0]).toMatch(/Stylizing for <@U0ALICE01>… (queued at position \d+|starting)/);
    const jobId = jobIdOf(root);
    const result = await h.fake.waitFor(
      'the result message with its reactions',
      () => h.botThread(root.ts).find((m) => m.metadata?.event_payload.role === 'result' && m.reactions.length === 4),
      60_000,
    );
    expect(result.thread_ts).toBe(root.ts);
    expect(result.text).toMatch(/^Done in .* transfer · preset seed · 32px · 3 steps/);
    expect(result.reactions.map((r) => r.name).sort()).toEqual(['bricks', 'chart_with_upwards_trend', 'film_frames', 'thread']);

    // The result image: a PNG whose longer side is the requested size, uploaded into the thread.
    const upload = h.botThread(root.ts).find((m) => m.files?.some((f) => f.name === `stylize-${jobId}.png`));
    expect(upload).toBeDefined();
    const png = upload!.files![0].bytes;
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    expect(Math.max(meta.width!, meta.height!)).toBe(32);
    expect(meta.width).toBe(32);
    expect(meta.height).toBe(24);

    // Progress went into one message in the thread, edited in place with chat.update.
    const progress = h.botThread(root.ts).filter((m) => m.metadata?.event_payload.role === 'progress');
    expect(progress).toHaveLength(1);
    expect(progress[0].history.length).toBeGreaterThan(1);
    expect(progress[0].text).toMatch(/^Finished\.\n.*step 3\/3/);
    expect(h.fake.callsTo('chat.update').some((c) => c.args.ts === progress[0].ts)).toBe(true);
    // The root lost its Cancel button and says it is done.
    await h.fake.waitFor('the root update', () => /done in/.test(root.text) || undefined);
    expect(JSON.stringify(root.blocks)).not.toContain('stylize_cancel');

    const job = h.jobs.get(jobId)!;
    expect(job.state).toBe('completed');
    expect(job.meta.slack).toMatchObject({ channel: CHANNEL, rootTs: root.ts, threadTs: root.ts, progressTs: progress[0].ts, resultTs: result.ts });
    // Files were fetched with the bot token only.
    expect(h.fake.downloads.filter((d) => d.fileId === content.id || d.fileId === style.id).every((d) => d.authorized)).toBe(true);
  });

  it('re-runs a result as a texture in the same thread when someone reacts with :thread:', async () => {
    const result = [...h.fake.messages].reverse().find((m) => m.metadata?.event_payload.role === 'result')!;
    const parentId = jobIdOf(result);
    const threadTs = result.thread_ts!;
    const res = await h.slack.react({ user: ALICE, channel: CHANNEL, ts: result.ts, name: 'thread' });
    expect(res.status).toBe(200);
    const rerunRoot = await h.fake.waitFor('the re-run message', () => h.botThread(threadTs).find((m) => m.metadata?.event_payload.role === 'root' && m.ts !== threadTs));
    expect(rerunRoot.thread_ts).toBe(threadTs);
    expect(rerunRoot.history[0]).toMatch(/^Re-running as texture for <@U0ALICE01>/);
    const child = h.jobs.get(jobIdOf(rerunRoot))!;
    expect(child.parentJobId).toBe(parentId);
    expect(child.options.mode).toBe('texture');
    expect(child.owner.threadId).toBe(threadTs);
    const second = await h.fake.waitFor(
      'the texture result',
      () => h.botThread(threadTs).find((m) => m.metadata?.event_payload.role === 'result' && m.metadata.event_payload.job_id === child.id),
      60_000,
    );
    expect(second.text).toMatch(/^Done in .* texture/);
    // Nothing of the re-run went to the channel itself.
    expect(h.fake.messages.filter((m) => m.user === h.fake.botUserId && !m.thread_ts && jobIdOf(m) === child.id)).toHaveLength(0);
  });
});

describe('refusals after the modal closed', () => {
  it('tells the user privately when an attached file turns out not to be an image', async () => {
    const n = h.fake.views.length;
    await h.slack.command('/stylize', '', { user: ALICE, channel: CHANNEL });
    await h.fake.waitFor('a modal', () => h.fake.views[n]);
    // The name and type say PNG, so neither the picker nor the file object gives it away: the bytes do.
    const fake = h.fake.addFile({ name: 'holiday.png', bytes: Buffer.from('GIF89a? no, just text'), user: ALICE, mimetype: 'image/png', filetype: 'png' });
    const style = await h.image('style2.png', 9);
    const roots = h.fake.messages.filter((m) => m.metadata?.event_payload.role === 'root').length;
    const res = await h.slack.submitView(ALICE, { content: [fake], style: [style], opt_steps: 2, opt_size: 32 });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    const note = await h.fake.waitFor('the ephemeral note', () => h.fake.ephemerals.find((e) => /holiday\.png/.test(e.text)));
    expect(note).toEqual({ channel: CHANNEL, user: ALICE, text: 'The content image "holiday.png" is not an image: attach a PNG, JPEG, WebP or GIF.' });
    expect(h.fake.messages.filter((m) => m.metadata?.event_payload.role === 'root').length).toBe(roots);
  });
});

describe('a failed upload', () => {
  it('still reports the job as done, saying the image could not be uploaded', async () => {
    h.fake.failing.set('files.completeUploadExternal', 'internal_error');
    try {
      const { message } = await h.slack.mention({ user: ALICE, channel: CHANNEL, text: 'steps=2 size=24 preset=seed', files: [await h.image('c4.png', 14), await h.image('s4.png', 15)] });
      const result = await h.fake.waitFor('the result message', () => h.botThread(message.ts).find((m) => m.metadata?.event_payload.role === 'result'), 60_000);
      expect(result.text).toMatch(/\n\(The image could not be uploaded to Slack\.\)$/);
      const root = h.botThread(message.ts).find((m) => m.metadata?.event_payload.role === 'root')!;
      await h.fake.waitFor('the root update', () => /done in/.test(root.text) || undefined);
    } finally {
      h.fake.failing.clear();
    }
  });
});

describe('a channel the bot cannot post in', () => {
  it('cancels the job and tells the user by DM how to fix it', async () => {
    const hidden = 'C0HIDDEN1';
    h.fake.notInChannel.add(hidden);
    await h.slack.command('/stylize', '', { user: ALICE, channel: hidden });
    await h.fake.waitFor('the modal', () => (h.fake.views.at(-1)?.view.private_metadata as string | undefined)?.includes(hidden));
    const res = await h.slack.submitView(ALICE, { content: [await h.image('c3.png', 12)], style: [await h.image('s3.png', 13)], opt_steps: 2, opt_size: 32 });
    expect(res.text).toBe('');
    const dm = await h.fake.waitFor('the DM', () => h.fake.messages.find((m) => m.channel === ALICE && m.user === h.fake.botUserId));
    expect(dm.text).toBe("I can't post in <#C0HIDDEN1>, so your Stylize job was cancelled: invite me there with `/invite @Stylize` and try again.");
    const failedPost = h.fake.calls.find((c) => c.method === 'chat.postMessage' && c.args.channel === hidden)!;
    const jobId = (failedPost.args.metadata as { event_payload: { job_id: string } }).event_payload.job_id;
    await h.fake.waitFor('the cancellation', () => h.jobs.get(jobId)?.state === 'cancelled' || undefined);
  });
});

describe('reactions after the upload and after a restart', () => {
  it('re-runs from a reaction on the uploaded image itself (its ts comes from the upload share info)', async () => {
    const upload = h.fake.messages.find((m) => m.files?.some((f) => /^stylize-[^-]+\.png$/.test(f.name)) && m.user === h.fake.botUserId)!;
    const threadTs = upload.thread_ts!;
    await h.slack.react({ user: ALICE, channel: CHANNEL, ts: upload.ts, name: 'bricks' });
    const root = await h.fake.waitFor('the reconstruct job', () => h.botThread(threadTs).find((m) => m.metadata?.event_payload.role === 'root' && /reconstruct/.test(m.history[0])));
    const child = h.jobs.get(jobIdOf(root))!;
    expect(child.options.mode).toBe('reconstruct');
    await h.fake.waitFor('its result', () => h.botThread(threadTs).find((m) => m.metadata?.event_payload.role === 'result' && m.metadata.event_payload.job_id === child.id), 60_000);
  });

  it('finds the job of a reacted message through its metadata once the in-memory index is gone', async () => {
    const result = h.fake.messages.find((m) => m.metadata?.event_payload.role === 'result')!;
    await h.restartSlack();
    const before = h.fake.callsTo('conversations.replies').length;
    await h.slack.react({ user: BOB, channel: CHANNEL, ts: result.ts, name: 'thread' });
    const threadTs = result.thread_ts!;
    const root = await h.fake.waitFor('the re-run after restart', () =>
      h.botThread(threadTs).find((m) => m.metadata?.event_payload.role === 'root' && /for <@U0BOB0001>/.test(m.history[0])),
    );
    expect(h.jobs.get(jobIdOf(root))!.parentJobId).toBe(jobIdOf(result));
    expect(h.fake.callsTo('conversations.replies').length).toBeGreaterThan(before);
    // Reactions on messages not written by the bot never cost an API call.
    const calls = h.fake.calls.length;
    const human = h.fake.addUserMessage({ channel: CHANNEL, user: ALICE, text: 'nice' });
    await h.slack.react({ user: BOB, channel: CHANNEL, ts: human.ts, name: 'thread' });
    await new Promise((r) => setTimeout(r, 200));
    expect(h.fake.calls.slice(calls).filter((c) => c.method === 'conversations.replies')).toHaveLength(0);
  });
});

describe('scopes', () => {
  it('called only Web API methods listed in api-scopes.ts, and none was refused for a missing scope', () => {
    const used = new Set(h.fake.calls.map((c) => c.method));
    expect([...used].filter((m) => !(m in WEB_API_METHOD_SCOPES))).toEqual([]);
    expect(h.fake.calls.filter((c) => c.error === 'missing_scope')).toEqual([]);
    // The run exercised the calls that matter.
    for (const m of ['views.open', 'chat.postMessage', 'chat.update', 'reactions.add', 'files.getUploadURLExternal', 'files.completeUploadExternal', 'conversations.replies']) {
      expect(used.has(m)).toBe(true);
    }
  });
});
