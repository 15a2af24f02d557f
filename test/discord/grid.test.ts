// The strength grid on Discord (issue 19), through the real discord.js client, the real job service
// (wasm engine, random weights) and the fake Discord (which enforces the component rules: rows of
// at most 5, unique custom ids of at most 100 characters): /stylize grid:true posts one 2×2 grid
// with U1–U4 and V1–V4; U2 (pressed by someone else) upscales candidate 2 in the same thread at the
// requested size; V3 posts a grid around candidate 3; texture with grid is refused privately.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ApplicationCommandOptionType as T, ComponentType, InteractionResponseType, MessageFlags } from 'discord.js';
import { startDiscord, type DiscordBot } from '../../src/discord/bot.ts';
import { parseJobTag } from '../../src/discord/job-meta.ts';
import { createJobService } from '../../src/jobs/create-job-service.ts';
import type { JobService } from '../../src/jobs/types.ts';
import { GRID_REFUSALS } from '../../src/options.ts';
import { FakeDiscord, type FakeAttachment, type RecordedRequest } from '../../scripts/lib/fakes/discord/index.ts';
import { makePng } from '../../scripts/lib/png.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';

let fake: FakeDiscord;
let jobs: JobService;
let bot: DiscordBot;
let dataDir: string;

const body = (r: RecordedRequest) => r.body as Record<string, unknown>;
const postsTo = (channelId: string) => (r: RecordedRequest) => r.method === 'POST' && r.path === `/channels/${channelId}/messages` && r.status === 200;
const withFile = (channelId: string, prefix: string, after: number) => (r: RecordedRequest) => {
  if (fake.requests.indexOf(r) < after || !postsTo(channelId)(r)) return false;
  if (/ Failed: /.test(String(body(r).content))) throw new Error(`job failed: ${String(body(r).content)}`);
  return r.files.some((f) => f.name.startsWith(prefix));
};
const responseId = (r: RecordedRequest) => (r.response as { id: string }).id;
async function until(ok: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
type Rows = { type: number; components: { type: number; custom_id: string; label: string }[] }[];

async function attachment(name: string, w: number, h: number, seed: number): Promise<FakeAttachment> {
  return fake.addAttachment({ filename: name, contentType: 'image/png', data: await makePng(w, h, seed), width: w, height: h });
}

/** Alice's `/stylize grid:true` of a 48×40 photo and a 24×24 style, 2 steps at 48 px. */
async function askGrid(): Promise<ReturnType<FakeDiscord['slashCommand']>> {
  const content = await attachment('cat.png', 48, 40, 1);
  const style = await attachment('waves.png', 24, 24, 2);
  return fake.slashCommand(
    'stylize',
    [
      { name: 'content', type: T.Attachment, value: content.id },
      { name: 'style', type: T.Attachment, value: style.id },
      { name: 'size', type: T.Integer, value: 48 },
      { name: 'steps', type: T.Integer, value: 2 },
      { name: 'grid', type: T.Boolean, value: true },
    ],
    { user: fake.alice },
    [content, style],
  );
}

function candidatesOf(jobId: string): { idx: number; png: Buffer }[] {
  const db = new Database(path.join(dataDir, 'stylize.db'), { readonly: true });
  try {
    return db.prepare<[string], { idx: number; png: Buffer }>('SELECT idx, png FROM job_grid_candidates WHERE job_id = ? ORDER BY idx').all(jobId);
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  fake = await FakeDiscord.start();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'stylize-discord-grid-'));
  const weightsPath = await writeRandomWeightsFile(path.join(dataDir, 'vgg19.safetensors'), 7);
  jobs = createJobService({ dataDir, weightsPath, workers: 1, backend: 'wasm', engineThreads: 1 });
  // Tiny candidates: the grid's size and steps are admin settings.
  jobs.settings.set('discord', fake.guildId, 'gridSize', 32);
  jobs.settings.set('discord', fake.guildId, 'gridSteps', 2);
  const config = { editIntervalMs: 300, retryBaseMs: 200, retryAttempts: 5 };
  [bot] = await Promise.all([startDiscord({ jobs, token: fake.token, applicationId: fake.appId, apiUrl: fake.apiUrl, cdnUrl: fake.cdnUrl, config }), jobs.start()]);
});

afterAll(async () => {
  await bot?.stop();
  await jobs?.stop();
  await fake?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the strength grid on Discord', () => {
  let thread: string;
  let gridMessage: string;
  let gridId: string;

  test('/stylize grid:true posts one 2×2 grid PNG with its labels and the U1–U4 / V1–V4 buttons', async () => {
    const i = await askGrid();
    await fake.waitFor((r) => r.method === 'PATCH' && r.path === `/webhooks/${fake.appId}/${i.token}/messages/@original`, 20_000, 'the reply');
    thread = i.originalMessageId!;
    const posted = await fake.waitFor(withFile(thread, 'grid', 0), 90_000, 'the grid');
    gridMessage = responseId(posted);
    gridId = parseJobTag(String(body(posted).content))!;
    expect(posted.files).toHaveLength(1);
    const meta = await sharp(posted.files[0]!.data).metadata();
    expect(meta.format).toBe('png');
    // Four 32×27 candidates in two columns and two rows, with their labels and a title.
    expect(meta.width!).toBeGreaterThanOrEqual(2 * 32);
    expect(meta.height!).toBeGreaterThanOrEqual(2 * 27);
    const text = String(body(posted).content);
    for (const n of [1, 2, 3, 4]) expect(text).toContain(`${n} · strength`);
    expect(text).toMatch(/Press U1–U4 to upscale a candidate to 48px/);

    const rows = body(posted).components as Rows;
    expect(rows.map((r) => r.components.map((b) => [b.type, b.label, b.custom_id]))).toEqual([
      [1, 2, 3, 4].map((n) => [ComponentType.Button, `U${n}`, `stylize:grid:u${n}:${gridId}`]),
      [1, 2, 3, 4].map((n) => [ComponentType.Button, `V${n}`, `stylize:grid:v${n}:${gridId}`]),
    ]);
    expect(candidatesOf(gridId).map((c) => c.idx)).toEqual([0, 1, 2, 3]);
    // Progress named the candidate being rendered.
    expect(fake.requests.some((r) => r.method === 'PATCH' && /candidate [1-4]\/4/.test(String(body(r).content ?? '')))).toBe(true);
  });

  test('U2, pressed by someone else, upscales candidate 2 in the same thread at the requested size', async () => {
    const after = fake.requests.length;
    const i = fake.clickButton(gridMessage, `stylize:grid:u2:${gridId}`, { user: fake.bob });
    const ack = await fake.waitFor((r) => r.method === 'POST' && r.path === `/interactions/${i.id}/${i.token}/callback`, 10_000, 'the button ack');
    expect(body(ack).type).toBe(InteractionResponseType.DeferredMessageUpdate);
    const result = await fake.waitFor(withFile(thread, 'stylized', after), 90_000, 'the upscale');
    const text = String(body(result).content);
    expect(text).toContain(`<@${fake.bob.id}>`);
    const upId = parseJobTag(text)!;
    const up = jobs.get(upId)!;
    expect([up.kind, up.owner.userId, up.parentJobId, up.grid?.pick]).toEqual(['upscale', fake.bob.id, gridId, 1]);
    const m = await sharp(result.files[0]!.data).metadata();
    expect([m.width, m.height]).toEqual([48, 40]);
    // Its initial image is candidate 2 of the grid, stored with the upscale.
    const init = candidatesOf(upId);
    expect(init.map((c) => c.idx)).toEqual([1]);
    expect(init[0]!.png.equals(candidatesOf(gridId)[1]!.png)).toBe(true);
    // A normal result with the normal buttons and reactions; the grid got none (its buttons are what to go on from).
    expect(JSON.stringify(body(result).components)).toContain(`stylize:result:texture:${upId}`);
    await fake.waitFor((r) => r.method === 'PUT' && r.path.includes(`/messages/${responseId(result)}/reactions/`) && r.path.includes('📈'), 10_000, 'the reactions');
    expect(fake.reactions.filter((x) => x.messageId === gridMessage)).toEqual([]);
  });

  test('V3 posts a new grid around candidate 3: its strength ×½ and ×2, its style scale ×0.7 and ×1.4', async () => {
    const after = fake.requests.length;
    fake.clickButton(gridMessage, `stylize:grid:v3:${gridId}`, { user: fake.bob });
    const posted = await fake.waitFor(withFile(thread, 'grid', after), 90_000, 'the vary grid');
    const text = String(body(posted).content);
    expect(text).toMatch(/vary grid/);
    for (const relation of ['strength ×½', 'strength ×2', 'scale ×0.7', 'scale ×1.4']) expect(text).toContain(relation);
    const varied = jobs.get(parseJobTag(text)!)!;
    const around = jobs.get(gridId)!.grid!.spec.cells[2]!;
    expect(varied.grid!.spec.cells.map((c) => [c.styleWeight, c.styleScale])).toEqual([
      [around.styleWeight / 2, around.styleScale],
      [around.styleWeight * 2, around.styleScale],
      [around.styleWeight, 0.7],
      [around.styleWeight, 1.4],
    ]);
  });

  test('a grid counts against maxSteps at its cost; its Cancel button stops it', async () => {
    // 4 candidates × 60 steps at 32 px, counted at 48 px: ceil(240 · 4/9) = 107 steps, over 100.
    jobs.settings.set('discord', fake.guildId, 'gridSteps', 60);
    jobs.settings.set('discord', fake.guildId, 'maxSteps', 100);
    const refused = await askGrid();
    const followUp = await fake.waitFor((r) => r.method === 'POST' && r.path === `/webhooks/${fake.appId}/${refused.token}`, 20_000, 'the refusal');
    expect((body(followUp).flags as number) & MessageFlags.Ephemeral).toBeTruthy();
    expect(String(body(followUp).content)).toMatch(/^this grid costs 107 steps .*limit of 100 steps \(maxSteps\)/);

    jobs.settings.reset('discord', fake.guildId, 'maxSteps');
    const i = await askGrid();
    await fake.waitFor((r) => r.method === 'PATCH' && r.path === `/webhooks/${fake.appId}/${i.token}/messages/@original`, 20_000, 'the reply');
    const own = i.originalMessageId!;
    const progress = await fake.waitFor(
      (r) => postsTo(own)(r) && JSON.stringify(body(r).components ?? []).includes('stylize:cancel:'),
      30_000,
      'the progress message',
    );
    const id = parseJobTag(String(body(progress).content))!;
    expect(jobs.get(id)?.kind).toBe('grid');
    await until(() => jobs.get(id)?.state === 'running', 60_000, 'the grid running');
    fake.clickButton(responseId(progress), `stylize:cancel:${id}`, { user: fake.alice });
    await until(() => jobs.get(id)?.state === 'cancelled', 30_000, 'the grid cancelled');
    expect(fake.requests.some((r) => postsTo(own)(r) && r.files.some((f) => f.name.startsWith('grid')))).toBe(false);
    jobs.settings.set('discord', fake.guildId, 'gridSteps', 2);
  });

  test('texture with grid:true is refused privately with the reason, nothing queued', async () => {
    const style = await attachment('waves.png', 24, 24, 2);
    const i = fake.slashCommand(
      'stylize',
      [
        { name: 'style', type: T.Attachment, value: style.id },
        { name: 'mode', type: T.String, value: 'texture' },
        { name: 'grid', type: T.Boolean, value: true },
      ],
      { user: fake.alice },
      [style],
    );
    const r = await fake.waitFor((x) => x.method === 'POST' && x.path === `/interactions/${i.id}/${i.token}/callback`, 10_000, 'the refusal');
    const data = body(r).data as { content: string; flags: number };
    expect(data.flags & MessageFlags.Ephemeral).toBeTruthy();
    expect(data.content).toBe(GRID_REFUSALS.texture);
  });
});
