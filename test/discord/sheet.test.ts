// /stylize-sheet end to end: the real discord.js client and job service (engine worker process, random
// weights, 16 px, one step per run) against the local fake Discord. One queued job, progress in the
// thread, exactly one image posted there: the composed sheet.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ApplicationCommandOptionType as T, MessageFlags } from 'discord.js';
import { startDiscord, type DiscordBot } from '../../src/discord/bot.ts';
import { jobProgressText } from '../../src/chat/format.ts';
import { parseJobTag } from '../../src/discord/job-meta.ts';
import { planSheet } from '../../src/engine/sheet/plan.ts';
import { createJobService } from '../../src/jobs/create-job-service.ts';
import type { JobEvent, JobService } from '../../src/jobs/types.ts';
import { resolveOptions } from '../../src/options.ts';
import { FakeDiscord, type FakeAttachment, type RecordedRequest, type SlashOption } from '../helpers/fake-discord/index.ts';
import { makePng } from '../jobs/helpers.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';

let fake: FakeDiscord;
let jobs: JobService;
let bot: DiscordBot;
let dataDir: string;
const completed = new Map<string, Extract<JobEvent, { type: 'completed' }>>();

const body = (r: RecordedRequest) => r.body as Record<string, unknown>;
const isCallback = (i: { id: string; token: string }) => (r: RecordedRequest) => r.method === 'POST' && r.path === `/interactions/${i.id}/${i.token}/callback`;
const callbackData = (r: RecordedRequest) => (body(r).data ?? {}) as { content?: string; flags?: number };
const postsTo = (channelId: string) => (r: RecordedRequest) => r.method === 'POST' && r.path === `/channels/${channelId}/messages` && r.status === 200;

async function attachment(name: string, w: number, h: number, seed: number): Promise<FakeAttachment> {
  return fake.addAttachment({ filename: name, contentType: 'image/png', data: await makePng(w, h, seed), width: w, height: h });
}

function options(a: Record<string, FakeAttachment>, extra: SlashOption[]): SlashOption[] {
  return [...Object.entries(a).map(([name, x]) => ({ name, type: T.Attachment, value: x.id })), ...extra];
}

/** The private refusal of a command, whether it came before or after the deferred reply. */
async function refusal(i: { id: string; token: string }): Promise<string> {
  const r = await fake.waitFor((x) => isCallback(i)(x) || (x.method === 'POST' && x.path === `/webhooks/${fake.appId}/${i.token}`), 20_000, 'the refusal');
  if (isCallback(i)(r) && callbackData(r).content === undefined) {
    const followUp = await fake.waitFor((x) => x.method === 'POST' && x.path === `/webhooks/${fake.appId}/${i.token}`, 20_000, 'the follow-up');
    expect((body(followUp).flags as number) & MessageFlags.Ephemeral).toBeTruthy();
    return String(body(followUp).content);
  }
  const data = isCallback(i)(r) ? callbackData(r) : (body(r) as { content?: string; flags?: number });
  expect(data.flags! & MessageFlags.Ephemeral).toBeTruthy();
  return String(data.content);
}

beforeAll(async () => {
  fake = await FakeDiscord.start();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'stylize-discord-sheet-'));
  const weightsPath = await writeRandomWeightsFile(path.join(dataDir, 'vgg19.safetensors'), 7);
  jobs = createJobService({ dataDir, weightsPath, workers: 1, backend: 'wasm', engineThreads: 1 });
  jobs.on((event, job) => {
    if (event.type === 'completed') completed.set(job.id, event);
  });
  [bot] = await Promise.all([
    startDiscord({ jobs, token: fake.token, applicationId: fake.appId, apiUrl: fake.apiUrl, cdnUrl: fake.cdnUrl, config: { editIntervalMs: 300 } }),
    jobs.start(),
  ]);
});

afterAll(async () => {
  await bot?.stop();
  await jobs?.stop();
  await fake?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('sheet progress text', () => {
  test('names the run a sheet is at; steps count over all runs', () => {
    const job = { options: resolveOptions({ steps: 10 }), sheet: { kind: 'texture' as const } };
    const at = (iteration: number) => jobProgressText(job, { iteration, steps: 30, losses: { content: 0, style: 1, tv: 0, total: 1 }, elapsedMs: 1000, etaMs: 2000 });
    expect(at(0)).toMatch(/^run 1 of 3 · [█░]{20} 0% · step 0\/30 · /);
    expect(at(10)).toMatch(/^run 1 of 3 · /);
    expect(at(11)).toMatch(/^run 2 of 3 · /);
    expect(at(30)).toMatch(/^run 3 of 3 · [█░]{20} 100% · step 30\/30/);
    expect(jobProgressText({ options: job.options }, { iteration: 5, steps: 10, losses: { content: 0, style: 1, tv: 0, total: 1 }, elapsedMs: 0, etaMs: 0 })).toMatch(/^[█░]{20} 50%/);
  });
});

describe('/stylize-sheet', () => {
  test('a grid sheet: one job, progress in the thread, exactly one image (the sheet) posted there', async () => {
    const a = {
      content: await attachment('cat.png', 16, 16, 1),
      content2: await attachment('dog.png', 16, 12, 2),
      style: await attachment('waves.png', 16, 16, 3),
    };
    const i = fake.slashCommand('stylize-sheet', options(a, [{ name: 'kind', type: T.String, value: 'grid' }, { name: 'size', type: T.Integer, value: 16 }, { name: 'steps', type: T.Integer, value: 1 }]), { user: fake.alice }, Object.values(a));
    await fake.waitFor(isCallback(i), 10_000, 'the deferred reply');
    const replyEdit = await fake.waitFor((r) => r.method === 'PATCH' && r.path === `/webhooks/${fake.appId}/${i.token}/messages/@original`, 20_000, 'the reply');
    expect(String(body(replyEdit).content)).toMatch(/asked for a \*\*grid sheet\*\*/);
    const threadCall = await fake.waitFor((r) => r.method === 'POST' && r.path === `/channels/${fake.channelId}/messages/${i.originalMessageId}/threads`, 10_000, 'the thread');
    expect(body(threadCall).name).toMatch(/^grid sheet · /);
    const thread = i.originalMessageId!;

    const result = await fake.waitFor((r) => postsTo(thread)(r) && r.files.length > 0, 60_000, 'the sheet upload');
    const jobId = parseJobTag(String(body(result).content))!;
    const job = jobs.get(jobId)!;
    expect(job).toMatchObject({ kind: 'sheet', sheet: { kind: 'grid' }, state: 'completed', options: { size: 16, steps: 1, preset: 'seed' } });

    // Exactly one image in the whole thread: no previews, no second upload.
    const uploads = fake.requests.filter((r) => (r.path === `/channels/${thread}/messages` || r.path.startsWith(`/channels/${thread}/messages/`)) && r.files.length > 0);
    expect(uploads.flatMap((r) => r.files.map((f) => f.name))).toEqual(['sheet-grid.png']);

    // The sheet's size is the composed layout: 2 columns (inputs + 1 style) × 3 rows (styles + 2 contents).
    const plan = planSheet('grid', { contents: ['', ''], styles: [''], options: resolveOptions({ preset: 'seed', size: 16, steps: 1 }) });
    const report = completed.get(jobId)!.report!;
    expect([report.layout.columns, report.layout.rows]).toEqual([plan.columns, plan.rows]);
    expect([plan.columns, plan.rows]).toEqual([2, 3]);
    const { width, height, format } = await sharp(result.files[0].data).metadata();
    expect([format, width, height]).toEqual(['png', report.layout.width, report.layout.height]);
    const L = report.layout;
    expect(width).toBe(L.columns * L.cellWidth + (L.columns + 1) * L.gap);
    expect(height).toBe(L.titleHeight + L.rows * L.cellHeight + (L.rows + 1) * L.gap);

    // The engine's summary, and no 🧵/🧱 offers.
    const text = String(body(result).content);
    expect(text).toContain(`<@${fake.alice.id}>`);
    expect(text).toMatch(/grid sheet: 2 runs in /);
    expect(text).toMatch(/c1 × s1: total /);
    expect(text).not.toMatch(/React/);
    const progressId = parseJobTag(text) && (jobs.get(jobId)!.meta.discord as { progressMessageId: string }).progressMessageId;
    await fake.waitFor((r) => r.method === 'PATCH' && r.path === `/channels/${thread}/messages/${progressId}` && String(body(r).content).includes('✅ Finished'), 10_000, 'the final edit');
    const progress = fake.requests.filter((r) => r.path === `/channels/${thread}/messages/${progressId}` || (postsTo(thread)(r) && r.response && (r.response as { id: string }).id === progressId));
    expect(progress.some((r) => /\*\*grid sheet\*\* for .* 1 steps per run/.test(String(body(r).content)))).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.reactions.filter((x) => x.messageId === (result.response as { id: string }).id)).toEqual([]);

    // A 🧵 on the sheet is answered, not re-run.
    fake.react((result.response as { id: string }).id, '🧵', fake.bob);
    const answer = await fake.waitFor((r) => postsTo(thread)(r) && /could not queue/.test(String(body(r).content)), 10_000, 'the re-run refusal');
    expect(String(body(answer).content)).toMatch(/is a sheet, and sheets are not re-run from reactions/);
  });

  test('refuses privately: a missing image, an image the kind does not use, a bad layer, a sheet over maxSteps', async () => {
    const before = jobs.listActive('discord', fake.guildId).length;
    const img = await attachment('x.png', 16, 16, 9);
    const kind = (k: string): SlashOption => ({ name: 'kind', type: T.String, value: k });

    const noStyle = fake.slashCommand('stylize-sheet', options({ content: img }, [kind('init')]), { user: fake.alice }, [img]);
    expect(await refusal(noStyle)).toBe('An init sheet needs a style image: attach one as `style`.');

    const extra = fake.slashCommand('stylize-sheet', options({ content: img, style: img }, [kind('texture')]), { user: fake.alice }, [img]);
    expect(await refusal(extra)).toMatch(/^A texture sheet uses no content image/);

    const badLayer = fake.slashCommand('stylize-sheet', options({ style: img }, [kind('texture'), { name: 'layers', type: T.String, value: 'conv_1,pool9' }]), { user: fake.alice }, [img]);
    expect(await refusal(badLayer)).toMatch(/^Layers: .*pool9/);

    // 3 runs × 5 steps = 15 > 10: known only to the job service, after the download.
    jobs.settings.set('discord', fake.guildId, 'maxSteps', 10);
    try {
      const tooMany = fake.slashCommand('stylize-sheet', options({ style: img }, [kind('texture'), { name: 'layers', type: T.String, value: 'conv_1 conv_2' }, { name: 'steps', type: T.Integer, value: 5 }]), { user: fake.alice }, [img]);
      expect(await refusal(tooMany)).toMatch(/^This texture sheet is 3 runs × 5 steps = 15 steps, over this workspace's limit of 10 steps \(maxSteps\)/);
    } finally {
      jobs.settings.reset('discord', fake.guildId, 'maxSteps');
    }
    expect(jobs.listActive('discord', fake.guildId).length).toBe(before);
  });
});
