// The soak's duplicate result on Slack, replayed with the real bot process: Slack takes the result
// upload (files.completeUploadExternal runs and shares the file in the thread) but the bot is killed
// (SIGKILL) before it hears back, so the delivery is never recorded. The restarted bot announces the
// result again (afterRestart); it must find the file already in the thread, record the delivery and
// finish the thread without uploading the image a second time.
import { expect, it } from 'vitest';
import { until } from '../../scripts/lib/bot-process.ts';
import { SlackRequests, SocketTransport } from '../../scripts/lib/fakes/slack/index.ts';
import type { FakeMessage } from '../../scripts/lib/fakes/slack/types.ts';
import { makePng } from '../../scripts/lib/png.ts';
import { useSlackBotHarness } from './slack-bot-harness.ts';

const USER = 'U0KILL001';
const CHANNEL = 'C0KILL001';

const h = useSlackBotHarness('stylize-slack-kill-', { id: USER, name: 'dana' });

const resultFiles = (thread: FakeMessage[], jobId: string) => thread.flatMap((m) => (m.files ?? []).filter((f) => f.name === `stylize-${jobId}.png`));

/**
 * A Slack job whose result upload Slack takes but never answers, then the bot killed (SIGKILL):
 * the file is in the thread, the delivery is not recorded.
 */
async function killedAfterUpload(seed: number): Promise<{ jobId: string; rootTs: string; threadTs: string }> {
  const isResult = (result: Record<string, unknown>) =>
    result.ok === true && (result.files as { name: string }[]).some((f) => /^stylize-.+\.png$/.test(f.name) && !/-step\d+\.png$/.test(f.name));
  h.slack.holdNext('files.completeUploadExternal', 1, isResult);
  const bot = await h.start();
  const files = [await makePng(16, 16, seed), await makePng(16, 16, seed + 1)].map((bytes, i) => h.slack.addFile({ name: `${seed}-${i}.png`, bytes, user: USER, original_w: 16, original_h: 16 }));
  const before = h.slack.messages.length;
  await new SlackRequests(h.slack, new SocketTransport(h.slack)).mention({ user: USER, channel: CHANNEL, text: 'size=16 steps=2', files });
  const root = await h.slack.waitFor('the job root message', () => h.slack.messages.slice(before).find((m) => m.channel === CHANNEL && m.user === h.slack.botUserId && m.metadata?.event_payload.role === 'root'), 60_000);
  const jobId = String(root.metadata!.event_payload.job_id);
  const threadTs = root.thread_ts ?? root.ts;
  await h.slack.waitFor('the result upload Slack took', () => resultFiles(h.slack.thread(CHANNEL, threadTs), jobId).length > 0, 120_000);
  bot.child.kill('SIGKILL');
  expect(await bot.exited).toBeNull();
  expect(h.deliveredAt(jobId)).toBeNull();
  return { jobId, rootTs: root.ts, threadTs };
}

const REPOSTING = 'posting a result that was not confirmed before the restart';

it('a result Slack took just before the bot was killed is not uploaded again after the restart', async () => {
  const { jobId, rootTs, threadTs } = await killedAfterUpload(3);

  const second = await h.start();
  await until(() => second.logs().some((l) => l.msg === REPOSTING && l.job === jobId), 'the result announced again', 30_000);
  await until(() => Boolean(h.deliveredAt(jobId)), 'the delivery recorded', 60_000);
  // The rest of the thread is finished: the result message and the root saying done.
  await h.slack.waitFor('the result message', () => h.slack.thread(CHANNEL, threadTs).find((m) => m.metadata?.event_payload.role === 'result'), 30_000);
  await h.slack.waitFor('the root marked done', () => /done in .*result in the thread/.test(h.slack.message(CHANNEL, rootTs)!.text), 30_000);
  await h.stop(second);

  // A third start has nothing left to post.
  const callsBefore = h.slack.calls.length;
  const third = await h.start();
  await new Promise((r) => setTimeout(r, 1500));
  await h.stop(third);
  expect(third.logs().some((l) => l.msg === REPOSTING)).toBe(false);
  expect(h.slack.calls.slice(callsBefore).filter((c) => c.method.startsWith('files.') || c.method === 'chat.postMessage')).toEqual([]);

  expect(resultFiles(h.slack.thread(CHANNEL, threadTs), jobId)).toHaveLength(1);
  expect(h.slack.thread(CHANNEL, threadTs).filter((m) => m.metadata?.event_payload.role === 'result')).toHaveLength(1);
}, 400_000);

it('when the thread cannot be read after the restart, the result is uploaded again rather than lost', async () => {
  const { jobId, threadTs } = await killedAfterUpload(7);
  h.slack.failing.set('conversations.replies', 'missing_scope');
  try {
    const bot = await h.start();
    await until(() => Boolean(h.deliveredAt(jobId)), 'the delivery recorded', 60_000);
    await h.stop(bot);
    expect(bot.logs().some((l) => l.jobId === jobId && l.level === 40 && /could not look for the result in the thread/.test(String(l.msg)))).toBe(true);
  } finally {
    h.slack.failing.delete('conversations.replies');
  }
  expect(resultFiles(h.slack.thread(CHANNEL, threadTs), jobId)).toHaveLength(2);
  expect(h.slack.thread(CHANNEL, threadTs).filter((m) => m.metadata?.event_payload.role === 'result')).toHaveLength(1);
}, 400_000);
