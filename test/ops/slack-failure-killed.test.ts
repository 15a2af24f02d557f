// A failure message is owed like a result, on Slack too: Slack takes the job's failure message
// (chat.postMessage runs) but the bot is killed (SIGKILL) before it hears back, so the posting is
// never recorded. The restarted bot announces the failure again (afterRestart); it must find the
// message in the thread by its metadata, record it as posted and not post it a second time.
import path from 'node:path';
import { expect, it } from 'vitest';
import { until } from '../../scripts/lib/bot-process.ts';
import { SlackRequests, SocketTransport } from '../../scripts/lib/fakes/slack/index.ts';
import { FakeDiscord } from '../../scripts/lib/fakes/discord/index.ts';
import { makePng } from '../../scripts/lib/png.ts';
import { check } from '../../scripts/soak/check.ts';
import { useSlackBotHarness } from './slack-bot-harness.ts';

const USER = 'U0FAIL001';
const CHANNEL = 'C0FAIL001';

const h = useSlackBotHarness('stylize-slack-failure-', { id: USER, name: 'erin' });

const REPOSTING = 'posting a failure that was not confirmed before the restart';

it('a failure Slack took just before the bot was killed is not posted again after the restart', async () => {
  const isFailure = (result: Record<string, unknown>) => result.ok === true && / failed: /.test(String((result.message as { text?: string } | undefined)?.text));
  h.slack.holdNext('chat.postMessage', 1, isFailure);
  const first = await h.start();
  // A 32×16 content at 16 px is 16×8: too small for the gatys preset's deepest layers, so the job fails.
  const files = [await makePng(32, 16, 1), await makePng(16, 16, 2)].map((bytes, i) => h.slack.addFile({ name: `f-${i}.png`, bytes, user: USER, original_w: i === 0 ? 32 : 16, original_h: 16 }));
  const before = h.slack.messages.length;
  await new SlackRequests(h.slack, new SocketTransport(h.slack)).mention({ user: USER, channel: CHANNEL, text: 'size=16 steps=2 preset=gatys', files });
  const root = await h.slack.waitFor('the job root message', () => h.slack.messages.slice(before).find((m) => m.channel === CHANNEL && m.user === h.slack.botUserId && m.metadata?.event_payload.role === 'root'), 60_000);
  const jobId = String(root.metadata!.event_payload.job_id);
  const threadTs = root.thread_ts ?? root.ts;
  const failures = () => h.slack.thread(CHANNEL, threadTs).filter((m) => / failed: /.test(m.text) && m.metadata?.event_payload.role === 'failure');
  await h.slack.waitFor('the failure Slack took', () => failures().length > 0, 120_000);
  first.child.kill('SIGKILL');
  expect(await first.exited).toBeNull();
  expect(h.failurePostedAt(jobId)).toBeNull();

  const second = await h.start();
  await until(() => second.logs().some((l) => l.msg === REPOSTING && l.job === jobId), 'the failure announced again', 30_000);
  await until(() => Boolean(h.failurePostedAt(jobId)), 'the failure recorded as posted', 60_000);
  await h.slack.waitFor('the root marked failed', () => /failed: /.test(h.slack.message(CHANNEL, root.ts)!.text), 30_000);
  await h.stop(second);
  expect(second.logs().some((l) => l.msg === 'slack: the failure was posted before the restart, not posting it again' && l.jobId === jobId)).toBe(true);

  // A third start has nothing left to post.
  const callsBefore = h.slack.calls.length;
  const third = await h.start();
  await new Promise((r) => setTimeout(r, 1500));
  await h.stop(third);
  expect(third.logs().some((l) => l.msg === REPOSTING)).toBe(false);
  expect(h.slack.calls.slice(callsBefore).filter((c) => c.method === 'chat.postMessage')).toEqual([]);
  expect(failures()).toHaveLength(1);

  // The soak's check reads the thread as one ending: the root edited to "… failed: why" is a status.
  const discord = await FakeDiscord.start();
  try {
    const checked = await check({ dataDir: path.join(h.dir, 'data'), discord, slack: h.slack, slackChannel: CHANNEL, actions: [], badUsers: [], botDown: [] });
    expect(checked.endings.get(jobId)).toMatchObject({ results: 0, failures: 1 });
    expect(checked.violations.filter((v) => v.jobId === jobId)).toEqual([]);
  } finally {
    await discord.stop();
  }
}, 300_000);
