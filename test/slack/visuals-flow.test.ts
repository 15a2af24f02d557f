// The result's extras on Slack, end to end over HTTP with the real job service: the before/after
// upload beside the result, the Block Kit buttons and the :film_frames: / :chart_with_upwards_trend:
// reactions, each answered with the right file (or job) in the job's thread.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPARE_GAP } from '../../src/engine/visuals/compare.ts';
import type { JobCoordinator } from '../../src/jobs/job-coordinator.ts';
import { CHART_HEIGHT, CHART_WIDTH } from '../../src/engine/visuals/loss-chart.ts';
import type { FakeMessage } from '../helpers/fake-slack/types.ts';
import { ALICE, BOB, CHANNEL, startHarness, type Harness } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.stop();
});

const role = (m: FakeMessage) => m.metadata?.event_payload.role;
const fileNamed = (threadTs: string, pattern: RegExp) => () => h.botThread(threadTs).find((m) => m.files?.some((f) => pattern.test(f.name)));

describe('result extras on Slack', () => {
  let threadTs: string;
  let jobId: string;
  let result: FakeMessage;

  it('uploads the before/after image, and the result message has four buttons and four reactions', async () => {
    const content = await h.image('content.png', 41, 40, 30);
    const style = await h.image('style.png', 42, 24, 24);
    const { message } = await h.slack.mention({ user: ALICE, channel: CHANNEL, text: 'steps=6 size=32 preset=seed', files: [content, style] });
    threadTs = message.ts;
    result = await h.fake.waitFor('the result', () => h.botThread(threadTs).find((m) => role(m) === 'result' && m.reactions.length === 4), 60_000);
    jobId = String(result.metadata!.event_payload.job_id);
    expect(result.reactions.map((r) => r.name)).toEqual(['thread', 'bricks', 'film_frames', 'chart_with_upwards_trend']);
    const actions = result.blocks!.find((b) => b.type === 'actions')!;
    expect((actions.elements as { action_id: string; value: string }[]).map((e) => [e.action_id, e.value])).toEqual([
      ['stylize_result_texture', jobId],
      ['stylize_result_reconstruct', jobId],
      ['stylize_result_timelapse', jobId],
      ['stylize_result_chart', jobId],
    ]);
    const compare = fileNamed(threadTs, /^before-after-/)()!.files![0];
    expect(compare.name).toBe(`before-after-${jobId}.png`);
    // content 32×24, style at 24 px (24×24), result 32×24.
    const meta = await sharp(compare.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([32 + 24 + 32 + 2 * COMPARE_GAP, 24]);
  });

  it(':film_frames: posts the time-lapse GIF and :chart_with_upwards_trend: the loss chart in the thread', async () => {
    await h.slack.react({ user: BOB, channel: CHANNEL, ts: result.ts, name: 'film_frames' });
    const film = await h.fake.waitFor('the time-lapse', fileNamed(threadTs, /^timelapse-/), 30_000);
    expect(film.text).toBe(`<@${BOB}> 🎞️ The time-lapse of job ${jobId}.`);
    const gif = await sharp(film.files![0].bytes, { animated: true }).metadata();
    // The initial image and iterations 1…6, the 6th being the result.
    expect([gif.format, gif.pages, gif.loop, gif.width, gif.pageHeight]).toEqual(['gif', 7, 0, 32, 24]);

    await h.slack.react({ user: ALICE, channel: CHANNEL, ts: result.ts, name: 'chart_with_upwards_trend' });
    const chart = await h.fake.waitFor('the chart', fileNamed(threadTs, /^losses-/), 30_000);
    expect(chart.files![0].name).toBe(`losses-${jobId}.png`);
    expect(await sharp(chart.files![0].bytes).metadata()).toMatchObject({ format: 'png', width: CHART_WIDTH, height: CHART_HEIGHT });
  });

  it('each button does what its reaction does', async () => {
    const count = (pattern: RegExp) => h.botThread(threadTs).filter((m) => m.files?.some((f) => pattern.test(f.name))).length;
    for (const [action, pattern] of [['timelapse', /^timelapse-/], ['chart', /^losses-/]] as const) {
      const before = count(pattern);
      const res = await h.slack.clickButton({ user: BOB, channel: CHANNEL, ts: result.ts, actionId: `stylize_result_${action}` });
      expect(res.status).toBe(200);
      await h.fake.waitFor(`the ${action} from the button`, () => count(pattern) > before || undefined, 30_000);
    }
    for (const mode of ['texture', 'reconstruct']) {
      const roots = () => h.botThread(threadTs).filter((m) => role(m) === 'root' && m.metadata?.event_payload.job_id !== jobId);
      const before = roots().length;
      await h.slack.clickButton({ user: BOB, channel: CHANNEL, ts: result.ts, actionId: `stylize_result_${mode}` });
      const root = await h.fake.waitFor(`the ${mode} job`, () => roots()[before], 30_000);
      const child = h.jobs.get(String(root.metadata!.event_payload.job_id))!;
      expect(child).toMatchObject({ parentJobId: jobId, owner: { userId: BOB, threadId: threadTs } });
      expect(child.options.mode).toBe(mode);
      await h.fake.waitFor(`the ${mode} result`, () => h.botThread(threadTs).find((m) => role(m) === 'result' && m.metadata?.event_payload.job_id === child.id), 60_000);
    }
  });

  it('once the frames and losses have expired (with the images), :film_frames: and the Loss curve button say so', async () => {
    // A sweep a day and a half from now: past the 24 h retention of every job above.
    expect((h.jobs as JobCoordinator).purgeExpired(Date.now() + 36 * 3_600_000)).toBeGreaterThan(0);
    await h.slack.react({ user: ALICE, channel: CHANNEL, ts: result.ts, name: 'film_frames' });
    const answer = await h.fake.waitFor('the expiry notice', () => h.fake.ephemerals.find((e) => e.user === ALICE && /No time-lapse/.test(e.text)), 10_000);
    expect(answer.text).toBe(`🎞️ No time-lapse: the time-lapse frames of job ${jobId} have expired (they are kept 24 h after a job ends, like its images).`);
    await h.slack.clickButton({ user: BOB, channel: CHANNEL, ts: result.ts, actionId: 'stylize_result_chart' });
    const chart = await h.fake.waitFor('the chart notice', () => h.fake.ephemerals.find((e) => e.user === BOB && /No loss chart/.test(e.text)), 10_000);
    expect(chart.text).toBe(`📈 No loss chart: the recorded losses of job ${jobId} have expired (they are kept 24 h after a job ends, like its images).`);
    expect(chart.thread_ts).toBe(threadTs);
  });
});
