// The soak's doubled first message on Slack, replayed with the real bot process: Slack takes the
// chat.postMessage of a job's root ("Stylizing… queued", with its Cancel button) but the bot is killed
// (SIGKILL) before it hears back, so the root's ts is never stored. The restarted bot must find that
// root where it would have posted it (the mention's thread: conversations.replies; the channel, for a
// modal's job: conversations.history), by its metadata, and go on editing it rather than post a
// second one and leave the first stale with its Cancel button.
import { expect, it } from 'vitest';
import type { BotProcess } from '../../scripts/lib/bot-process.ts';
import { SlackRequests, SocketTransport } from '../../scripts/lib/fakes/slack/index.ts';
import type { FakeMessage } from '../../scripts/lib/fakes/slack/types.ts';
import { makePng } from '../../scripts/lib/png.ts';
import { useSlackBotHarness } from './slack-bot-harness.ts';

const USER = 'U0ROOT001';
const CHANNEL = 'C0ROOT001';

const h = useSlackBotHarness('stylize-slack-root-', { id: USER, name: 'erin' });

const isRoot = (m: FakeMessage, jobId?: string) =>
  m.channel === CHANNEL && m.user === h.slack.botUserId && m.metadata?.event_payload.role === 'root' && (jobId === undefined || m.metadata.event_payload.job_id === jobId);

/** Holds the answer to the next root post (Slack posts it), submits a job with `submit`, kills the bot once the root is in. */
async function killedAfterRoot(submit: (requests: SlackRequests, seed: number) => Promise<void>, seed: number): Promise<FakeMessage> {
  h.slack.holdNext('chat.postMessage', 1, (result) => {
    const ts = result.ok === true ? String(result.ts) : undefined;
    return ts !== undefined && h.slack.message(CHANNEL, ts)?.metadata?.event_payload.role === 'root';
  });
  const bot = await h.start();
  const before = h.slack.messages.length;
  await submit(new SlackRequests(h.slack, new SocketTransport(h.slack)), seed);
  const root = await h.slack.waitFor('the job root message', () => h.slack.messages.slice(before).find((m) => isRoot(m)), 60_000);
  bot.child.kill('SIGKILL');
  expect(await bot.exited).toBeNull();
  return root;
}

async function images(seed: number) {
  return [await makePng(16, 16, seed), await makePng(16, 16, seed + 1)].map((bytes, i) => h.slack.addFile({ name: `${seed}-${i}.png`, bytes, user: USER, original_w: 16, original_h: 16 }));
}

/** After the restart: the job finishes with its one root edited to "done" and one result. */
async function finishesWithOneRoot(root: FakeMessage, where: 'thread' | 'channel'): Promise<BotProcess> {
  const jobId = String(root.metadata!.event_payload.job_id);
  const threadTs = root.thread_ts ?? root.ts;
  const bot = await h.start();
  // Wherever they went: a second root would have taken the thread (for a modal's job) and the "done".
  await h.slack.waitFor('the result message', () => h.slack.messages.find((m) => m.metadata?.event_payload.role === 'result' && m.metadata.event_payload.job_id === jobId), 120_000);
  await h.slack.waitFor('a root marked done', () => h.slack.messages.find((m) => isRoot(m, jobId) && /done in .*result in the thread/.test(m.text)), 30_000);
  await h.stop(bot);

  expect(h.slack.messages.filter((m) => isRoot(m, jobId)).map((m) => m.ts)).toEqual([root.ts]);
  expect(h.slack.message(CHANNEL, root.ts)!.text).toMatch(/done in .*result in the thread/);
  expect(bot.logs().some((l) => l.jobId === jobId && /first message was posted before the restart/.test(String(l.msg)))).toBe(true);
  const lookedIn = where === 'thread' ? 'conversations.replies' : 'conversations.history';
  expect(h.slack.callsTo(lookedIn).some((c) => c.args.include_all_metadata !== undefined)).toBe(true);
  const thread = h.slack.thread(CHANNEL, threadTs);
  expect(thread.filter((m) => m.metadata?.event_payload.role === 'result' && m.metadata.event_payload.job_id === jobId)).toHaveLength(1);
  expect(thread.flatMap((m) => (m.files ?? []).filter((f) => f.name === `stylize-${jobId}.png`))).toHaveLength(1);
  // No Cancel button left on a finished job's root.
  expect(JSON.stringify(h.slack.message(CHANNEL, root.ts)!.blocks)).not.toMatch(/cancel/i);
  return bot;
}

/** A job asked for by mentioning the bot with two images (the root then opens a thread). */
const byMention = async (requests: SlackRequests, seed: number): Promise<void> => {
  await requests.mention({ user: USER, channel: CHANNEL, text: 'size=16 steps=2', files: await images(seed) });
};

it('a mention whose root Slack posted just before the bot was killed keeps that one root (its thread)', async () => {
  const root = await killedAfterRoot(byMention, 3);
  expect(root.thread_ts).toBeDefined();
  await finishesWithOneRoot(root, 'thread');
}, 400_000);

it('a modal job whose root Slack posted in the channel just before the kill keeps that one root (the channel)', async () => {
  const root = await killedAfterRoot(async (requests, seed) => {
    const opened = h.slack.views.length;
    await requests.command('/stylize', '', { user: USER, channel: CHANNEL });
    await h.slack.waitFor('the modal', () => h.slack.views[opened]);
    const [content, style] = await images(seed);
    expect((await requests.submitView(USER, { content: [content], style: [style], opt_steps: 2, opt_size: 16, opt_preset: 'seed' })).status).toBe(200);
  }, 11);
  expect(root.thread_ts).toBeUndefined();
  await finishesWithOneRoot(root, 'channel');
}, 400_000);

it('when the root cannot be looked for after the restart, it is posted again rather than the job left without messages', async () => {
  const root = await killedAfterRoot(byMention, 7);
  const jobId = String(root.metadata!.event_payload.job_id);
  const threadTs = root.thread_ts!;
  h.slack.failing.set('conversations.replies', 'missing_scope');
  try {
    const bot = await h.start();
    await h.slack.waitFor('the result message', () => h.slack.thread(CHANNEL, threadTs).find((m) => m.metadata?.event_payload.role === 'result' && m.metadata.event_payload.job_id === jobId), 120_000);
    await h.stop(bot);
    expect(bot.logs().some((l) => l.jobId === jobId && l.level === 40 && /could not look for the job's first message/.test(String(l.msg)))).toBe(true);
  } finally {
    h.slack.failing.delete('conversations.replies');
  }
  const roots = h.slack.messages.filter((m) => isRoot(m, jobId));
  expect(roots).toHaveLength(2);
  expect(/done in .*result in the thread/.test(roots[1].text)).toBe(true);
}, 400_000);
