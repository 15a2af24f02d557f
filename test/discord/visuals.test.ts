// The result's extras through the real discord.js client, the real job service and the fake
// Discord: the before/after image beside the result, the four buttons and the 🎞️/📈 reactions,
// each answered with the right file in the job's thread, the time-lapse under the upload limit.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ApplicationCommandOptionType as T, ComponentType, InteractionResponseType } from 'discord.js';
import { startDiscord, type DiscordBot } from '../../src/discord/bot.ts';
import { parseJobTag } from '../../src/discord/job-meta.ts';
import { COMPARE_GAP } from '../../src/engine/visuals/compare.ts';
import { CHART_HEIGHT, CHART_WIDTH } from '../../src/engine/visuals/loss-chart.ts';
import { createJobService } from '../../src/jobs/create-job-service.ts';
import type { JobCoordinator } from '../../src/jobs/job-coordinator.ts';
import type { JobService } from '../../src/jobs/types.ts';
import { FakeDiscord, type FakeAttachment, type RecordedRequest } from '../helpers/fake-discord/index.ts';
import { makePng } from '../../scripts/lib/png.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';

/** Small enough that a 32 px time-lapse of 24 steps has to shrink. */
const UPLOAD_LIMIT = 9000;

let fake: FakeDiscord;
let jobs: JobService;
let bot: DiscordBot;
let dataDir: string;

const body = (r: RecordedRequest) => r.body as Record<string, unknown>;
const postsTo = (channelId: string) => (r: RecordedRequest) => r.method === 'POST' && r.path === `/channels/${channelId}/messages` && r.status === 200;
const withFile = (channelId: string, prefix: string, after: number) => (r: RecordedRequest) =>
  fake.requests.indexOf(r) >= after && postsTo(channelId)(r) && r.files.some((f) => f.name.startsWith(prefix));
const responseId = (r: RecordedRequest) => (r.response as { id: string }).id;

async function attachment(name: string, w: number, h: number, seed: number): Promise<FakeAttachment> {
  return fake.addAttachment({ filename: name, contentType: 'image/png', data: await makePng(w, h, seed), width: w, height: h });
}

beforeAll(async () => {
  fake = await FakeDiscord.start();
  fake.uploadLimit = UPLOAD_LIMIT;
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'stylize-discord-visuals-'));
  const weightsPath = await writeRandomWeightsFile(path.join(dataDir, 'vgg19.safetensors'), 7);
  jobs = createJobService({ dataDir, weightsPath, workers: 1, backend: 'wasm', engineThreads: 1 });
  const config = { editIntervalMs: 300, retryBaseMs: 200, retryAttempts: 5 };
  [bot] = await Promise.all([startDiscord({ jobs, token: fake.token, applicationId: fake.appId, apiUrl: fake.apiUrl, cdnUrl: fake.cdnUrl, config }), jobs.start()]);
});

afterAll(async () => {
  await bot?.stop();
  await jobs?.stop();
  await fake?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('result extras on Discord', () => {
  let thread: string;
  let resultId: string;
  let jobId: string;

  test('the result carries the before/after image and the four buttons beside the four reactions', async () => {
    const content = await attachment('cat.png', 40, 30, 1);
    const style = await attachment('waves.png', 24, 24, 2);
    const i = fake.slashCommand(
      'stylize',
      [
        { name: 'content', type: T.Attachment, value: content.id },
        { name: 'style', type: T.Attachment, value: style.id },
        { name: 'size', type: T.Integer, value: 32 },
        { name: 'steps', type: T.Integer, value: 24 },
        { name: 'preset', type: T.String, value: 'seed' },
      ],
      { user: fake.alice, attachmentSizeLimit: UPLOAD_LIMIT },
      [content, style],
    );
    await fake.waitFor((r) => r.method === 'PATCH' && r.path === `/webhooks/${fake.appId}/${i.token}/messages/@original`, 20_000, 'the reply');
    thread = i.originalMessageId!;
    const result = await fake.waitFor(withFile(thread, 'stylized', 0), 90_000, 'the result');
    resultId = responseId(result);
    jobId = parseJobTag(String(body(result).content))!;
    expect(result.files.map((f) => f.name)).toEqual(['stylized.png', 'before-after.png']);
    // cat 32×24, waves at 24 px high (24×24), the result 32×24.
    const composite = await sharp(result.files[1].data).metadata();
    expect([composite.width, composite.height]).toEqual([32 + 24 + 32 + 2 * COMPARE_GAP, 24]);
    const rows = body(result).components as { type: number; components: { type: number; custom_id: string; label: string; emoji: { name: string } }[] }[];
    expect(rows).toHaveLength(1);
    expect(rows[0].components.map((b) => [b.type, b.label, b.emoji.name, b.custom_id])).toEqual([
      [ComponentType.Button, 'Texture', '🧵', `stylize:result:texture:${jobId}`],
      [ComponentType.Button, 'Reconstruct', '🧱', `stylize:result:reconstruct:${jobId}`],
      [ComponentType.Button, 'Time-lapse', '🎞️', `stylize:result:timelapse:${jobId}`],
      [ComponentType.Button, 'Loss curve', '📈', `stylize:result:chart:${jobId}`],
    ]);
    await fake.waitFor((r) => r.method === 'PUT' && r.path.includes(`/messages/${resultId}/reactions/`) && r.path.includes('📈'), 10_000, 'the reactions');
    expect(fake.reactions.filter((x) => x.messageId === resultId).map((x) => x.emoji)).toEqual(['🧵', '🧱', '🎞️', '📈']);
  });

  test('🎞️ posts the time-lapse GIF, shrunk under the upload limit; 📈 the loss chart', async () => {
    let after = fake.requests.length;
    fake.react(resultId, '🎞️', fake.bob);
    const film = await fake.waitFor(withFile(thread, 'timelapse', after), 30_000, 'the time-lapse');
    expect(String(body(film).content)).toContain(`<@${fake.bob.id}> 🎞️ The time-lapse of job ${jobId}`);
    const gif = film.files[0];
    expect(gif).toMatchObject({ name: `timelapse-${jobId}.gif`, contentType: 'image/gif' });
    expect(gif.data.length).toBeLessThanOrEqual(UPLOAD_LIMIT);
    const meta = await sharp(gif.data, { animated: true }).metadata();
    expect(meta.format).toBe('gif');
    expect(meta.loop).toBe(0);
    expect(meta.pages).toBeGreaterThan(2);
    // 24 steps keep 25 frames; the cap forced fewer or smaller ones.
    expect(meta.pages! < 25 || meta.width! < 32).toBe(true);

    after = fake.requests.length;
    fake.react(resultId, '📈', fake.alice);
    const chart = await fake.waitFor(withFile(thread, 'losses', after), 30_000, 'the chart');
    // The 800×480 chart re-encoded (like a result) to fit the small cap: same shape, under the limit.
    const file = chart.files[0];
    expect(file.data.length).toBeLessThanOrEqual(UPLOAD_LIMIT);
    const m = await sharp(file.data).metadata();
    expect(m.width! * CHART_HEIGHT).toBeCloseTo(m.height! * CHART_WIDTH, -3);
  });

  test('each button does what its reaction does, answered in the same thread', async () => {
    const pressed = (action: string) => {
      const i = fake.clickButton(resultId, `stylize:result:${action}:${jobId}`, { user: fake.bob });
      return fake.waitFor((r) => r.method === 'POST' && r.path === `/interactions/${i.id}/${i.token}/callback`, 10_000, 'the button ack');
    };
    let after = fake.requests.length;
    const ack = await pressed('timelapse');
    expect(body(ack).type).toBe(InteractionResponseType.DeferredMessageUpdate);
    expect((await fake.waitFor(withFile(thread, 'timelapse', after), 30_000, 'the time-lapse')).files[0].contentType).toBe('image/gif');

    after = fake.requests.length;
    await pressed('chart');
    expect((await fake.waitFor(withFile(thread, 'losses', after), 30_000, 'the chart')).files[0].name).toMatch(new RegExp(`^losses-${jobId}\\.(png|jpg)$`));

    for (const mode of ['texture', 'reconstruct']) {
      after = fake.requests.length;
      await pressed(mode);
      const child = await fake.waitFor(withFile(thread, 'stylized', after), 90_000, `the ${mode} result`);
      expect(String(body(child).content)).toMatch(new RegExp(`${mode} · preset seed · 32px · 24 steps`));
      expect(jobs.get(parseJobTag(String(body(child).content))!)).toMatchObject({ parentJobId: jobId, owner: { userId: fake.bob.id } });
      // Texture (32×32, from the square style) shows only the style beside its result,
      // reconstruction (32×24) only the content: two pictures each.
      const m = await sharp(child.files[1].data).metadata();
      expect([m.width, m.height]).toEqual(mode === 'texture' ? [32 + 32 + COMPARE_GAP, 32] : [32 + 32 + COMPARE_GAP, 24]);
    }
  });

  test('once the frames have expired (with the images), 🎞️ says so in the thread', async () => {
    // A sweep a day and a half from now: past the 24 h retention of every job above.
    expect((jobs as JobCoordinator).purgeExpired(Date.now() + 36 * 3_600_000)).toBeGreaterThan(0);
    const after = fake.requests.length;
    fake.react(resultId, '🎞️', fake.bob);
    const notice = await fake.waitFor((r) => fake.requests.indexOf(r) >= after && postsTo(thread)(r) && /No time-lapse/.test(String(body(r).content)), 10_000, 'the expiry notice');
    expect(String(body(notice).content)).toBe(
      `<@${fake.bob.id}> 🎞️ No time-lapse: the time-lapse frames of job ${jobId} have expired (they are kept 24 h after a job ends, like its images).`,
    );
    expect(notice.files).toEqual([]);
  });
});
