// End to end: the real discord.js client, the real job service (engine worker process, tiny random
// weights, 32 px jobs) and a local fake Discord speaking the REST + gateway protocol.
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ApplicationCommandOptionType as T, ComponentType, InteractionResponseType, MessageFlags } from 'discord.js';
import { startDiscord, type DiscordBot } from '../../src/discord/bot.ts';
import { parseJobTag, readDiscordMeta } from '../../src/discord/job-meta.ts';
import { createJobService } from '../../src/jobs/create-job-service.ts';
import type { JobService } from '../../src/jobs/types.ts';
import { FakeDiscord, type FakeAttachment, type FakeUser, type RecordedRequest, type SlashOption } from '../../scripts/lib/fakes/discord/index.ts';
import { makePng } from '../../scripts/lib/png.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';

const EDIT_INTERVAL_MS = 400;

let fake: FakeDiscord;
let jobs: JobService;
let bot: DiscordBot;
let dataDir: string;


async function imageAttachment(name: string, w: number, h: number, seed: number): Promise<FakeAttachment> {
  return fake.addAttachment({ filename: name, contentType: 'image/png', data: await makePng(w, h, seed), width: w, height: h });
}

function stylizeOptions(a: { content?: FakeAttachment; style?: FakeAttachment }, extra: SlashOption[] = []): SlashOption[] {
  return [
    ...(a.content ? [{ name: 'content', type: T.Attachment, value: a.content.id }] : []),
    ...(a.style ? [{ name: 'style', type: T.Attachment, value: a.style.id }] : []),
    ...extra,
  ];
}

const small = (steps: number): SlashOption[] => [
  { name: 'size', type: T.Integer, value: 32 },
  { name: 'steps', type: T.Integer, value: steps },
];

const isCallback = (i: { id: string; token: string }) => (r: RecordedRequest) => r.method === 'POST' && r.path === `/interactions/${i.id}/${i.token}/callback`;
const body = (r: RecordedRequest) => r.body as Record<string, unknown>;
const callbackData = (r: RecordedRequest) => (body(r).data ?? {}) as { content?: string; flags?: number; choices?: { name: string; value: string }[] };

const postsTo = (channelId: string) => (r: RecordedRequest) => r.method === 'POST' && r.path === `/channels/${channelId}/messages` && r.status === 200;
const isResultPost = (channelId: string) => (r: RecordedRequest) => {
  if (!postsTo(channelId)(r)) return false;
  // A job that failed would never post a result: fail the wait with its reason instead of timing out.
  if (/ failed: /.test(String(body(r).content))) throw new Error(`job failed: ${String(body(r).content)}`);
  return r.files.some((f) => f.name.startsWith('stylized'));
};
const hasCancelButton = (r: RecordedRequest) =>
  JSON.stringify(body(r).components ?? []).includes('stylize:cancel:') && (body(r).components as { components: { type: number }[] }[])[0].components[0].type === ComponentType.Button;
const responseId = (r: RecordedRequest) => (r.response as { id: string }).id;

/** Plays /stylize and waits for the thread (or DM reply) and the first progress message. */
async function startStylize(user: FakeUser, options: SlashOption[], attachments: FakeAttachment[], ctx: { channelId?: string; attachmentSizeLimit?: number } = {}) {
  const sent = Date.now();
  const i = fake.slashCommand('stylize', options, { user, ...ctx }, attachments);
  const ack = await fake.waitFor(isCallback(i), 10_000, 'the deferred reply');
  const replyEdit = await fake.waitFor((r) => r.method === 'PATCH' && r.path === `/webhooks/${fake.appId}/${i.token}/messages/@original`, 20_000, 'the reply edit');
  const replyId = i.originalMessageId!;
  const inDm = ctx.channelId !== undefined && ctx.channelId !== fake.channelId;
  const postChannelId = inDm ? ctx.channelId! : replyId; // a thread started on a message shares its id
  const progress = await fake.waitFor((r) => postsTo(postChannelId)(r) && hasCancelButton(r), 20_000, 'the progress message');
  const jobId = parseJobTag(String(body(progress).content))!;
  return { i, ack, ackMs: ack.at - sent, replyEdit, replyId, postChannelId, progress, progressId: responseId(progress), jobId };
}

beforeAll(async () => {
  fake = await FakeDiscord.start();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'stylize-discord-'));
  const weightsPath = await writeRandomWeightsFile(path.join(dataDir, 'vgg19.safetensors'), 7);
  jobs = createJobService({ dataDir, weightsPath, workers: 1, backend: 'wasm' });
  const config = { editIntervalMs: EDIT_INTERVAL_MS, retryBaseMs: 200, retryAttempts: 5 };
  [bot] = await Promise.all([
    startDiscord({ jobs, token: fake.token, applicationId: fake.appId, apiUrl: fake.apiUrl, cdnUrl: fake.cdnUrl, config }),
    jobs.start(),
  ]);
});

afterAll(async () => {
  await bot?.stop();
  await jobs?.stop();
  await fake?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('discord bot against a fake Discord', () => {
  test('a wrong token fails the start with a message that does not contain it', async () => {
    const secret = 'wrong-but-secret-token.xyz';
    const err = await startDiscord({ jobs, token: secret, applicationId: fake.appId, apiUrl: fake.apiUrl }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/Discord login failed/);
    expect((err as Error).message).not.toContain(secret);
  });

  test('identifies with the token and only unprivileged intents', () => {
    const id = fake.gateway.identifies.at(-1)!;
    expect(id.token).toBe(fake.token);
    // Guilds (1) | GuildMessageReactions (1 << 10) | DirectMessageReactions (1 << 13)
    expect(id.intents).toBe(1 | (1 << 10) | (1 << 13));
    expect(fake.requests.find((r) => r.path === '/gateway/bot')?.headers.authorization).toBe(`Bot ${fake.token}`);
  });

  let first: Awaited<ReturnType<typeof startStylize>>;
  let resultPost: RecordedRequest;

  test('/stylize: deferred reply, thread, progress edits, final PNG with reactions', async () => {
    const content = await imageAttachment('cat.png', 40, 32, 1);
    const style = await imageAttachment('waves.png', 32, 32, 2);
    first = await startStylize(fake.alice, stylizeOptions({ content, style }, [...small(3), { name: 'seed', type: T.Integer, value: 5 }]), [content, style]);

    expect(body(first.ack).type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    expect(first.ackMs).toBeLessThan(3000);
    expect(String(body(first.replyEdit).content)).toMatch(/Queued: (next in line|position \d+)/);
    const threadCall = fake.requests.find((r) => r.method === 'POST' && r.path === `/channels/${fake.channelId}/messages/${first.replyId}/threads`);
    expect(threadCall?.status).toBe(201);

    resultPost = await fake.waitFor(isResultPost(first.postChannelId), 60_000, 'the result upload');
    const file = resultPost.files[0];
    expect(file.name).toBe('stylized.png');
    const meta = await sharp(file.data).metadata();
    expect(meta.format).toBe('png');
    expect(Math.max(meta.width!, meta.height!)).toBe(32);
    expect(meta.width).toBe(32); // 40×32 content → longer side 32
    const text = String(body(resultPost).content);
    expect(text).toContain(`<@${fake.alice.id}>`);
    expect(text).toMatch(/Done in .* transfer · preset gatys · 32px · 3 steps/);
    expect((body(resultPost).allowed_mentions as { users: string[] }).users).toEqual([fake.alice.id]);

    // The progress message was edited with a bar, at most once per interval, then finalised.
    const progressPath = `/channels/${first.postChannelId}/messages/${first.progressId}`;
    await fake.waitFor((r) => r.method === 'PATCH' && r.path === progressPath && String(body(r).content).includes('✅ Finished'), 10_000, 'the final edit');
    const edits = fake.requests.filter((r) => r.method === 'PATCH' && r.path === progressPath && r.status === 200);
    expect(edits.some((r) => /[█░]{20} \d+% · step \d+\/3/.test(String(body(r).content)))).toBe(true);
    // Measured where the fake receives the edits: on a loaded machine they can arrive closer than
    // they were sent, so allow a quarter of the interval.
    for (let k = 1; k < edits.length; k++) expect(edits[k].at - edits[k - 1].at).toBeGreaterThanOrEqual(EDIT_INTERVAL_MS * 0.75);

    const resultId = responseId(resultPost);
    await fake.waitFor((r) => r.method === 'PUT' && r.path.startsWith(`/channels/${first.postChannelId}/messages/${resultId}/reactions/`) && r.path.includes('🧱'), 10_000, 'the reactions');
    expect(fake.reactions.filter((x) => x.messageId === resultId).map((x) => x.emoji)).toEqual(['🧵', '🧱', '🎞️', '📈']);
    const finalEdit = fake.messages.get(first.progressId)!;
    expect(finalEdit.content).toContain('✅ Finished');
    expect(finalEdit.components).toEqual([]);

    // The interaction token served the first reply only; everything later used channel routes.
    expect(fake.requests.filter((r) => r.path.includes(first.i.token)).map((r) => r.method)).toEqual(['POST', 'PATCH']);

    const job = jobs.get(first.jobId)!;
    expect(job.state).toBe('completed');
    expect(readDiscordMeta(job)).toMatchObject({
      channelId: fake.channelId,
      postChannelId: first.postChannelId,
      replyMessageId: first.replyId,
      progressMessageId: first.progressId,
      resultMessageId: resultId,
      delivered: true,
    });
  });

  test('🧵 on the result queues a texture job answered in the same thread', async () => {
    const resultId = responseId(resultPost);
    const before = fake.requests.length;
    fake.react(resultId, '🧵', fake.bob);
    const texture = await fake.waitFor((r) => fake.requests.indexOf(r) >= before && isResultPost(first.postChannelId)(r), 60_000, 'the texture result');
    expect(String(body(texture).content)).toMatch(/texture · preset gatys · 32px · 3 steps/);
    expect(String(body(texture).content)).toContain(`<@${fake.bob.id}>`);
    const child = jobs.get(parseJobTag(String(body(texture).content))!)!;
    expect(child).toMatchObject({ parentJobId: first.jobId, state: 'completed', owner: { userId: fake.bob.id } });
    expect(child.options.mode).toBe('texture');
    // The bot's own reaction echoes were ignored: exactly one child job exists.
    expect(fake.requests.filter((r) => fake.requests.indexOf(r) >= before && postsTo(first.postChannelId)(r) && hasCancelButton(r))).toHaveLength(1);
  });

  test('/stylize-config: refused without Manage Server, stored per guild for admins', async () => {
    const set = (user: FakeUser, option: string, value: string) =>
      fake.slashCommand('stylize-config', [{ name: 'set', type: T.Subcommand, options: [{ name: 'option', type: T.String, value: option }, { name: 'value', type: T.String, value }] }], { user });

    const denied = await fake.waitFor(isCallback(set(fake.alice, 'steps', '5')));
    expect(callbackData(denied).flags! & MessageFlags.Ephemeral).toBeTruthy();
    expect(callbackData(denied).content).toMatch(/Manage Server/);
    expect(jobs.settings.get('discord', fake.guildId).defaults.steps).toBeUndefined();

    const ok = await fake.waitFor(isCallback(set(fake.admin, 'steps', '5')));
    expect(callbackData(ok).content).toMatch(/steps.*5/);
    expect(jobs.settings.get('discord', fake.guildId).defaults.steps).toBe(5);

    const limit = await fake.waitFor(isCallback(set(fake.owner, 'maxSize', '64')));
    expect(callbackData(limit).content).toMatch(/maxSize.*64/);
    expect(jobs.settings.get('discord', fake.guildId).limits.maxSize).toBe(64);

    const bad = await fake.waitFor(isCallback(set(fake.admin, 'size', 'huge')));
    expect(callbackData(bad).flags! & MessageFlags.Ephemeral).toBeTruthy();
    expect(callbackData(bad).content).toMatch(/size/);
    expect(jobs.settings.get('discord', fake.guildId).defaults.size).toBeUndefined();

    const notAdminOption = await fake.waitFor(isCallback(set(fake.admin, 'seed', '3')));
    expect(callbackData(notAdminOption).content).toMatch(/cannot have a server default/);

    const auto = fake.autocomplete('stylize-config', [{ name: 'set', type: T.Subcommand, options: [{ name: 'option', type: T.String, value: 'ste', focused: true }] }], { user: fake.admin });
    const choices = await fake.waitFor(isCallback(auto));
    expect(body(choices).type).toBe(InteractionResponseType.ApplicationCommandAutocompleteResult);
    expect(callbackData(choices).choices!.map((c) => c.value)).toEqual(expect.arrayContaining(['steps', 'maxSteps']));

    const show = await fake.waitFor(isCallback(fake.slashCommand('stylize-config', [{ name: 'show', type: T.Subcommand, options: [] }], { user: fake.admin })));
    expect(callbackData(show).content).toMatch(/steps = 5[\s\S]*maxSize = 64/);

    await fake.waitFor(isCallback(fake.slashCommand('stylize-config', [{ name: 'reset', type: T.Subcommand, options: [] }], { user: fake.admin })));
    expect(jobs.settings.get('discord', fake.guildId)).toEqual({ defaults: {}, limits: {}, library: {} });
  });

  test('bad attachments are refused privately before anything is queued', async () => {
    const queued = () => jobs.listActive('discord', fake.guildId).length;
    const before = queued();
    const style = await imageAttachment('style.png', 32, 32, 3);

    const text = fake.addAttachment({ filename: 'notes.txt', contentType: 'text/plain', data: Buffer.from('hello') });
    const r1 = await fake.waitFor(isCallback(fake.slashCommand('stylize', stylizeOptions({ content: text, style }), { user: fake.alice }, [text, style])));
    expect(body(r1).type).toBe(InteractionResponseType.ChannelMessageWithSource);
    expect(callbackData(r1).flags! & MessageFlags.Ephemeral).toBeTruthy();
    expect(callbackData(r1).content).toMatch(/text\/plain/);

    const huge = fake.addAttachment({ filename: 'huge.png', contentType: 'image/png', data: await makePng(8, 8, 4), width: 9000, height: 9000 });
    const r2 = await fake.waitFor(isCallback(fake.slashCommand('stylize', stylizeOptions({ content: huge, style }), { user: fake.alice }, [huge, style])));
    expect(callbackData(r2).flags! & MessageFlags.Ephemeral).toBeTruthy();
    expect(callbackData(r2).content).toMatch(/9000×9000.*limit/);

    const missing = await fake.waitFor(isCallback(fake.slashCommand('stylize', stylizeOptions({ style }), { user: fake.alice }, [style])));
    expect(callbackData(missing).content).toMatch(/needs a content image/);

    // The payload says PNG, the bytes say otherwise: found after the download, still refused privately.
    const liar = fake.addAttachment({ filename: 'liar.png', contentType: 'image/png', data: Buffer.from('not an image at all'), width: 32, height: 32 });
    const i4 = fake.slashCommand('stylize', stylizeOptions({ content: liar, style }), { user: fake.alice }, [liar, style]);
    const followUp = await fake.waitFor((r) => r.method === 'POST' && r.path === `/webhooks/${fake.appId}/${i4.token}`, 10_000, 'the private follow-up');
    expect((body(followUp).flags as number) & MessageFlags.Ephemeral).toBeTruthy();
    expect(String(body(followUp).content)).toMatch(/liar\.png.*not a readable image/);
    expect(fake.requests.some((r) => r.method === 'DELETE' && r.path === `/webhooks/${fake.appId}/${i4.token}/messages/@original`)).toBe(true);

    expect(queued()).toBe(before);
  });

  test('a 429 on an edit, 5xx and 413 on the upload: retried, and the result still arrives', async () => {
    const content = await imageAttachment('c.png', 32, 32, 11);
    const style = await imageAttachment('s.png', 32, 32, 12);
    const isResultUpload = (r: { files: { name: string }[] }) => r.files.some((f) => f.name.startsWith('stylized'));
    fake.rateLimitNext('PATCH', /^\/channels\/\d+\/messages\/\d+$/, 1, 0.5);
    const restDebug: string[] = [];
    const onRestDebug = (info: string) => restDebug.push(info);
    bot.client.rest.on('restDebug', onRestDebug);
    // discord.js retries a 5xx three times by itself; the fifth failure reaches the adapter's own retry.
    fake.failNext('POST', /^\/channels\/\d+\/messages$/, 5, 502, isResultUpload);
    // Discord says 4 KB in the interaction, but refuses anything over 1200 bytes.
    fake.uploadLimit = 1200;
    try {
      const run = await startStylize(fake.bob, stylizeOptions({ content, style }, small(2)), [content, style], { attachmentSizeLimit: 4000 });
      const limited = await fake.waitFor((r) => r.status === 429 && r.method === 'PATCH', 30_000, 'the 429');
      const retried = await fake.waitFor((r) => r.method === 'PATCH' && r.path === limited.path && r.status === 200 && r.at > limited.at, 30_000, 'the retried edit');
      expect(retried.at - limited.at).toBeGreaterThanOrEqual(450);
      // discord.js's REST client saw the 429 and waited retry_after itself before sending it again.
      const seen = restDebug.find((m) => m.includes('Encountered unexpected 429 rate limit') && m.includes('Method         : PATCH'));
      expect(seen).toBeDefined();
      expect(Number(/Retry After\s*: (\d+)ms/.exec(seen!)![1])).toBeGreaterThanOrEqual(500);
      expect(retried.body).toEqual(limited.body);

      const result = await fake.waitFor(isResultPost(run.postChannelId), 60_000, 'the result');
      const attempts = fake.requests.filter((r) => r.method === 'POST' && r.path === `/channels/${run.postChannelId}/messages` && isResultUpload(r));
      expect(attempts.filter((r) => r.status === 502)).toHaveLength(5);
      expect(attempts.some((r) => r.status === 413)).toBe(true);
      const file = result.files[0];
      expect(file.data.length).toBeLessThanOrEqual(1200);
      const meta = await sharp(file.data).metadata();
      expect(meta.format).toBe(file.name.endsWith('.jpg') ? 'jpeg' : 'png');
      expect(String(body(result).content)).toMatch(/to fit Discord's upload limit/);
      // The fake answered the upload; the bot records the delivery once it has read the answer.
      await expect.poll(() => readDiscordMeta(jobs.get(run.jobId)!)?.delivered, { timeout: 5000 }).toBe(true);
    } finally {
      fake.uploadLimit = 10 * 1024 * 1024;
      bot.client.rest.off('restDebug', onRestDebug);
    }
  });

  test('Cancel button: refused for another user, works for the owner; commands answer while a job runs', async () => {
    const content = await imageAttachment('c.png', 32, 32, 21);
    const style = await imageAttachment('s.png', 32, 32, 22);
    const run = await startStylize(fake.alice, stylizeOptions({ content, style }, small(100)), [content, style]);
    const progressPath = `/channels/${run.postChannelId}/messages/${run.progressId}`;
    // A preview (every 10 % of the steps) rides along with a progress edit, replacing the previous one.
    const withPreview = await fake.waitFor((r) => r.method === 'PATCH' && r.path === progressPath && r.files.some((f) => f.name === 'preview.png'), 30_000, 'a preview');
    expect((await sharp(withPreview.files[0].data).metadata()).width).toBe(32);
    expect(body(withPreview).attachments).toEqual([{ id: 0, filename: 'preview.png' }]);
    expect(String(body(withPreview).content)).toMatch(/step \d+\/100/);

    const sent = Date.now();
    const queue = await fake.waitFor(isCallback(fake.slashCommand('stylize-queue', [], { user: fake.alice })));
    expect(queue.at - sent).toBeLessThan(3000);
    expect(callbackData(queue).content).toMatch(/\*\*running\*\* · transfer/);

    const bobClick = await fake.waitFor(isCallback(fake.clickButton(run.progressId, `stylize:cancel:${run.jobId}`, { user: fake.bob })));
    expect(body(bobClick).type).toBe(InteractionResponseType.ChannelMessageWithSource);
    expect(callbackData(bobClick).flags! & MessageFlags.Ephemeral).toBeTruthy();
    expect(callbackData(bobClick).content).toContain(`Only <@${fake.alice.id}>`);
    expect(jobs.get(run.jobId)!.state).toBe('running');

    const aliceClick = await fake.waitFor(isCallback(fake.clickButton(run.progressId, `stylize:cancel:${run.jobId}`, { user: fake.alice })));
    expect(body(aliceClick).type).toBe(InteractionResponseType.DeferredMessageUpdate);
    await fake.waitFor((r) => r.method === 'PATCH' && r.path === progressPath && String(body(r).content).includes(`Cancelled by <@${fake.alice.id}>`), 30_000, 'the cancelled edit');
    expect(jobs.get(run.jobId)!.state).toBe('cancelled');
    expect(fake.messages.get(run.progressId)!.components).toEqual([]);
  });

  test('after a bot restart: same progress message, ❌ cancels for a manager only, 🧱 on an old result', async () => {
    const content = await imageAttachment('c.png', 32, 32, 31);
    const style = await imageAttachment('s.png', 32, 32, 32);
    const run = await startStylize(fake.alice, stylizeOptions({ content, style }, small(400)), [content, style]);
    const progressPath = `/channels/${run.postChannelId}/messages/${run.progressId}`;
    await fake.waitFor((r) => r.method === 'PATCH' && r.path === progressPath && /step \d+\/400/.test(String(body(r).content)), 30_000, 'a running job');

    await bot.stop();
    bot = await startDiscord({ jobs, token: fake.token, applicationId: fake.appId, apiUrl: fake.apiUrl, config: { editIntervalMs: EDIT_INTERVAL_MS, retryBaseMs: 200 } });
    const restartedAt = Date.now();
    await fake.waitFor((r) => r.method === 'PATCH' && r.path === progressPath && r.at > restartedAt && /step \d+\/400/.test(String(body(r).content)), 30_000, 'an edit by the new bot');
    expect(fake.requests.filter((r) => r.at > restartedAt && postsTo(run.postChannelId)(r))).toHaveLength(0);

    fake.react(run.progressId, '❌', fake.bob);
    fake.react(run.progressId, '❌', fake.admin);
    await fake.waitFor((r) => r.method === 'PATCH' && r.path === progressPath && String(body(r).content).includes('Cancelled by'), 30_000, 'the cancelled edit');
    // Bob reacted first: had his ❌ counted, the job would say it was cancelled by him.
    expect(fake.messages.get(run.progressId)!.content).toContain(`Cancelled by <@${fake.admin.id}>`);

    // A result from before the restart: the new bot has never seen it, looks it up and reads its job tag.
    const resultId = responseId(resultPost);
    const before = fake.requests.length;
    fake.react(resultId, '🧱', fake.alice);
    const rebuilt = await fake.waitFor((r) => fake.requests.indexOf(r) >= before && isResultPost(first.postChannelId)(r), 60_000, 'the reconstruct result');
    expect(fake.requests.some((r) => fake.requests.indexOf(r) >= before && r.method === 'GET' && r.path === `/channels/${first.postChannelId}/messages/${resultId}`)).toBe(true);
    expect(String(body(rebuilt).content)).toMatch(/reconstruct · preset gatys · 32px · 3 steps/);
    expect(jobs.get(parseJobTag(String(body(rebuilt).content))!)).toMatchObject({ parentJobId: first.jobId, owner: { userId: fake.alice.id } });
  });

  test('/stylize in a DM: texture with only a style, plain replies instead of a thread', async () => {
    const dm = fake.openDm(fake.bob);
    const style = await imageAttachment('s.png', 24, 32, 41);
    const run = await startStylize(fake.bob, stylizeOptions({ style }, [...small(2), { name: 'mode', type: T.String, value: 'texture' }]), [style], { channelId: dm });
    expect(fake.requests.some((r) => r.path.endsWith('/threads'))).toBe(true); // only the guild ones
    expect(fake.requests.some((r) => r.path === `/channels/${dm}/messages/${run.replyId}/threads`)).toBe(false);
    expect(body(run.progress).message_reference).toMatchObject({ message_id: run.replyId });
    const result = await fake.waitFor(isResultPost(dm), 60_000, 'the DM result');
    expect(String(body(result).content)).toMatch(/texture · preset gatys · 32px · 2 steps/);
    const meta = await sharp(result.files[0].data).metadata();
    expect([meta.width, meta.height]).toEqual([24, 32]);
    expect(jobs.get(run.jobId)!.owner).toMatchObject({ workspaceId: 'dm', channelId: dm, userId: fake.bob.id });
  });

  test('a channel the bot cannot post in: answered through the interaction instead', async () => {
    const hidden = fake.addTextChannel('secret', { botDenied: true });
    const content = await imageAttachment('c.png', 32, 32, 51);
    const style = await imageAttachment('s.png', 32, 32, 52);
    const i = fake.slashCommand('stylize', stylizeOptions({ content, style }, small(2)), { user: fake.alice, channelId: hidden }, [content, style]);
    const followUps = `/webhooks/${fake.appId}/${i.token}`;
    const progress = await fake.waitFor((r) => r.method === 'POST' && r.path === followUps && hasCancelButton(r) && r.status === 200, 20_000, 'the progress follow-up');
    const result = await fake.waitFor((r) => r.method === 'POST' && r.path === followUps && r.files.some((f) => f.name === 'stylized.png'), 60_000, 'the result follow-up');
    expect((await sharp(result.files[0].data).metadata()).width).toBe(32);
    // The thread and the channel post were refused; nothing reached the channel.
    const channelCalls = fake.requests.filter((r) => r.path.startsWith(`/channels/${hidden}`));
    expect(channelCalls.length).toBeGreaterThan(0);
    expect(channelCalls.every((r) => r.status === 403)).toBe(true);
    const jobId = parseJobTag(String(body(progress).content))!;
    await fake.waitFor((r) => r.method === 'PATCH' && r.path === `${followUps}/messages/${responseId(progress)}` && String(body(r).content).includes('✅ Finished'), 10_000, 'the final edit');
    expect(readDiscordMeta(jobs.get(jobId)!)).toMatchObject({ viaWebhook: true, delivered: true, postChannelId: hidden });
  });
});
