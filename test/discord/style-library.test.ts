// The style library, history and show on Discord, end to end: the real discord.js client, the real
// job service (an engine process with tiny random weights, 32 px jobs of a few steps) and the fake
// Discord, which sends autocomplete interactions as Discord does and checks the answers as Discord does.
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ApplicationCommandOptionType as T, InteractionResponseType, MessageFlags } from 'discord.js';
import { startDiscord, type DiscordBot } from '../../src/discord/bot.ts';
import { parseJobTag } from '../../src/discord/job-meta.ts';
import { createJobService } from '../../src/jobs/create-job-service.ts';
import type { JobCoordinator } from '../../src/jobs/job-coordinator.ts';
import { BUILTIN_STYLE_NAMES } from '../../src/styles/index.ts';
import { FakeDiscord, type FakeAttachment, type FakeUser, type RecordedRequest, type SlashOption } from '../../scripts/lib/fakes/discord/index.ts';
import { makePng } from '../../scripts/lib/png.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';

let fake: FakeDiscord;
let jobs: JobCoordinator;
let bot: DiscordBot;
let dataDir: string;
let weightsPath: string;

const body = (r: RecordedRequest) => (r.body ?? {}) as Record<string, unknown>;

async function startBot(): Promise<void> {
  jobs = createJobService({ dataDir, weightsPath, workers: 1, backend: 'wasm' });
  [bot] = await Promise.all([
    startDiscord({ jobs, token: fake.token, applicationId: fake.appId, apiUrl: fake.apiUrl, cdnUrl: fake.cdnUrl, config: { editIntervalMs: 300, retryBaseMs: 200 } }),
    jobs.start(),
  ]);
}

beforeAll(async () => {
  fake = await FakeDiscord.start();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'stylize-discord-styles-'));
  weightsPath = await writeRandomWeightsFile(path.join(dataDir, 'vgg19.safetensors'), 7);
  await startBot();
});

afterAll(async () => {
  await bot?.stop();
  await jobs?.stop();
  await fake?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function png(name: string, w: number, h: number, seed: number): Promise<FakeAttachment> {
  return fake.addAttachment({ filename: name, contentType: 'image/png', data: await makePng(w, h, seed), width: w, height: h });
}

interface Answer {
  content: string;
  ephemeral: boolean;
  files: { name: string; data: Buffer }[];
  components: unknown[];
}

/**
 * What the bot finally answered an interaction with: its immediate reply, or the edit of its
 * deferred reply, or a follow-up (refusals after deferring), whichever carries content first.
 */
async function answerTo(i: { id: string; token: string }, timeoutMs = 20_000): Promise<Answer> {
  let deferredEphemeral = false;
  const r = await fake.waitFor(
    (r) => {
      const b = body(r);
      if (r.method === 'POST' && r.path === `/interactions/${i.id}/${i.token}/callback`) {
        if (b.type === InteractionResponseType.DeferredChannelMessageWithSource) {
          deferredEphemeral = ((((b.data ?? {}) as { flags?: number }).flags ?? 0) & MessageFlags.Ephemeral) !== 0;
          return false;
        }
        return b.type === InteractionResponseType.ChannelMessageWithSource;
      }
      const isWebhook = r.path.startsWith(`/webhooks/${fake.appId}/${i.token}`);
      return isWebhook && (r.method === 'PATCH' || r.method === 'POST') && (typeof b.content === 'string' ? b.content !== '' : r.files.length > 0);
    },
    timeoutMs,
    'the answer',
  );
  const b = body(r);
  const data = (r.path.endsWith('/callback') ? b.data : b) as { content?: string; flags?: number; components?: unknown[] };
  return {
    content: data.content ?? '',
    ephemeral: ((data.flags ?? 0) & MessageFlags.Ephemeral) !== 0 || (r.method === 'PATCH' && deferredEphemeral),
    files: r.files.map((f) => ({ name: f.name, data: f.data })),
    components: data.components ?? [],
  };
}

const sub = (name: string, options: SlashOption[] = []): SlashOption[] => [{ name, type: T.Subcommand, options }];

function saveStyle(user: FakeUser, name: string, image: FakeAttachment) {
  return answerTo(fake.slashCommand('stylize-style', sub('save', [{ name: 'name', type: T.String, value: name }, { name: 'image', type: T.Attachment, value: image.id }]), { user }, [image]));
}

async function autocompleteChoices(command: string, options: SlashOption[], user: FakeUser): Promise<string[]> {
  const i = fake.autocomplete(command, options, { user });
  const r = await fake.waitFor((r) => r.method === 'POST' && r.path === `/interactions/${i.id}/${i.token}/callback`, 10_000, 'the autocomplete answer');
  expect(r.status).toBe(204);
  expect(body(r).type).toBe(InteractionResponseType.ApplicationCommandAutocompleteResult);
  return i.choices!.map((c) => String(c.value));
}

const styleNameTyped = (typed: string): SlashOption[] => [
  { name: 'style_name', type: T.String, value: typed, focused: true },
];

function setConfig(option: string, value: string) {
  return answerTo(fake.slashCommand('stylize-config', sub('set', [{ name: 'option', type: T.String, value: option }, { name: 'value', type: T.String, value }]), { user: fake.admin }));
}

function savedNames(): string[] {
  return jobs.styles.entries('discord', fake.guildId).filter((e) => e.source === 'saved').map((e) => e.name);
}

/** Plays /stylize and waits for its result post in the thread; returns the job id and the result request. */
async function stylize(user: FakeUser, options: SlashOption[], attachments: FakeAttachment[]) {
  const i = fake.slashCommand('stylize', [...options, { name: 'size', type: T.Integer, value: 32 }, { name: 'steps', type: T.Integer, value: 2 }], { user }, attachments);
  const reply = await fake.waitFor((r) => r.method === 'PATCH' && r.path === `/webhooks/${fake.appId}/${i.token}/messages/@original`, 20_000, 'the reply edit');
  expect(String(body(reply).content)).toMatch(/Queued/);
  const thread = i.originalMessageId!;
  const result = await fake.waitFor(
    (r) => {
      if (r.method !== 'POST' || r.path !== `/channels/${thread}/messages`) return false;
      if (/ failed: /.test(String(body(r).content))) throw new Error(`job failed: ${String(body(r).content)}`);
      return r.files.some((f) => f.name.startsWith('stylized'));
    },
    60_000,
    'the result',
  );
  return { jobId: parseJobTag(String(body(result).content))!, result, replyText: String(body(reply).content) };
}

function storedStyleInputs(jobId: string): number {
  const db = new Database(path.join(dataDir, 'stylize.db'), { readonly: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM job_inputs WHERE job_id = ? AND role = 'style'").get(jobId) as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('the style library on Discord', () => {
  test('save: a member saves an image under a name; it is re-encoded and kept with who saved it', async () => {
    const a = await saveStyle(fake.alice, 'waves', await png('waves.png', 40, 32, 3));
    expect(a.ephemeral).toBe(true);
    expect(a.content).toMatch(/Saved the style `waves`/);
    const entry = jobs.styles.entries('discord', fake.guildId).find((e) => e.name === 'waves');
    expect(entry).toMatchObject({ source: 'saved', savedBy: fake.alice.id });
  });

  test('bad names, a taken name and a bad image are refused, and nothing is stored', async () => {
    const image = await png('x.png', 24, 24, 4);
    const bad = await saveStyle(fake.bob, 'Scream Blue', image);
    expect(bad.ephemeral).toBe(true);
    expect(bad.content).toMatch(/Not saved: style name "Scream Blue" is not valid.*did you mean "scream-blue"/);
    const taken = await saveStyle(fake.bob, 'waves', await png('y.png', 24, 24, 5));
    expect(taken.content).toMatch(/Not saved: there is already a style "waves", saved by someone else/);
    const builtin = await saveStyle(fake.bob, 'scream', await png('z.png', 24, 24, 6));
    expect(builtin.content).toMatch(/"scream" is a built-in style/);
    const garbage = fake.addAttachment({ filename: 'broken.png', contentType: 'image/png', data: Buffer.from('this is not a png at all'), width: 10, height: 10 });
    const broken = await saveStyle(fake.bob, 'broken', garbage);
    expect(broken.content).toMatch(/not a readable image/);
    const pdf = fake.addAttachment({ filename: 'doc.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF-1.4') });
    expect((await saveStyle(fake.bob, 'doc', pdf)).content).toMatch(/application\/pdf/);
    expect(savedNames()).toEqual(['waves']);
    // All DMs share one workspace: a style saved there would be every DM user's.
    const dm = fake.openDm(fake.bob);
    const inDm = fake.slashCommand('stylize-style', sub('save', [{ name: 'name', type: T.String, value: 'mine' }, { name: 'image', type: T.Attachment, value: image.id }]), { user: fake.bob, channelId: dm }, [image]);
    expect((await answerTo(inDm)).content).toMatch(/Saved styles belong to a server/);
    expect(jobs.styles.entries('discord', 'dm').filter((e) => e.source === 'saved')).toEqual([]);
    // The same person may replace their own style.
    expect((await saveStyle(fake.alice, 'waves', await png('waves2.png', 32, 40, 7))).content).toMatch(/Replaced the style `waves`/);
  });

  test('list: one contact sheet PNG with every style, built-ins included, and their names', async () => {
    const a = await answerTo(fake.slashCommand('stylize-style', sub('list'), { user: fake.bob }));
    expect(a.ephemeral).toBe(true);
    for (const name of [...BUILTIN_STYLE_NAMES, 'waves']) expect(a.content).toContain(`\`${name}\``);
    expect(a.files).toHaveLength(1);
    expect(a.files[0].name).toBe('style-library.png');
    const meta = await sharp(a.files[0].data).metadata();
    expect(meta.format).toBe('png');
    // 5 styles in one row of 5 cells, each at least a 128 px thumbnail wide, under a title.
    expect(meta.width).toBeGreaterThanOrEqual(5 * 128);
    expect(meta.height).toBeGreaterThan(128);
    const { data } = await sharp(a.files[0].data).raw().toBuffer({ resolveWithObject: true });
    expect(new Set(data).size).toBeGreaterThan(50); // pictures, not a blank canvas
  });

  test('autocomplete answers style_name with at most 25 library names filtered by what is typed', async () => {
    expect(await autocompleteChoices('stylize', styleNameTyped(''), fake.bob)).toEqual([...BUILTIN_STYLE_NAMES, 'waves']);
    expect(await autocompleteChoices('stylize', styleNameTyped('sc'), fake.bob)).toEqual(['scream']);
    // The last name of a blend is completed (names starting with it first); names already in it are not offered again.
    expect(await autocompleteChoices('stylize', styleNameTyped('scream:2 w'), fake.bob)).toEqual(['scream:2 woman-with-hat', 'scream:2 waves', 'scream:2 shipwreck']);
    for (let k = 0; k < 30; k++) {
      const saved = await jobs.styles.save('discord', fake.guildId, `pattern-${k}`, await makePng(16, 16, 100 + k), { userId: fake.bob.id, isAdmin: false });
      expect(saved.ok).toBe(true);
    }
    const all = await autocompleteChoices('stylize', styleNameTyped(''), fake.bob);
    expect(all).toHaveLength(25);
    expect(await autocompleteChoices('stylize', styleNameTyped('pattern-2'), fake.bob)).toEqual(['pattern-2', 'pattern-20', 'pattern-21', 'pattern-22', 'pattern-23', 'pattern-24', 'pattern-25', 'pattern-26', 'pattern-27', 'pattern-28', 'pattern-29']);
  });

  test('remove: another member may not; the saver and an admin may', async () => {
    const remove = (user: FakeUser, name: string) => answerTo(fake.slashCommand('stylize-style', sub('remove', [{ name: 'name', type: T.String, value: name }]), { user }));
    // Autocomplete offers a member only the styles they may remove.
    const offered = await autocompleteChoices('stylize-style', sub('remove', [{ name: 'name', type: T.String, value: '', focused: true }]), fake.alice);
    expect(offered).toEqual(['waves']);
    const refused = await remove(fake.alice, 'pattern-0');
    expect(refused.content).toMatch(/Not removed: only the person who saved "pattern-0" or an admin can remove it/);
    expect((await remove(fake.bob, 'pattern-0')).content).toMatch(/Removed the style `pattern-0`/);
    expect((await remove(fake.admin, 'pattern-1')).content).toMatch(/Removed the style `pattern-1`/);
    expect((await remove(fake.bob, 'scream')).content).toMatch(/built-in style: an admin can hide it/);
    expect(savedNames()).not.toContain('pattern-0');
    expect(savedNames()).not.toContain('pattern-1');
    for (let k = 2; k < 30; k++) expect(jobs.styles.remove('discord', fake.guildId, `pattern-${k}`, { userId: fake.bob.id, isAdmin: false }).ok).toBe(true);
  });

  test('admin settings: a hidden built-in is not offered nor usable; the limit and admins-only saving refuse', async () => {
    const valueTyped = (typed: string) => sub('set', [{ name: 'option', type: T.String, value: 'hidden_styles' }, { name: 'value', type: T.String, value: typed, focused: true }]);
    expect(await autocompleteChoices('stylize-config', valueTyped('scream,sh'), fake.admin)).toEqual(['scream,shipwreck']);
    expect(await autocompleteChoices('stylize-config', valueTyped('s'), fake.admin)).toEqual(['starry-night', 'scream', 'shipwreck']);
    expect((await setConfig('hidden_styles', 'scream')).content).toMatch(/hidden_styles` is now `scream`/);
    expect(await autocompleteChoices('stylize', styleNameTyped('sc'), fake.bob)).toEqual([]);
    const content = await png('c.png', 32, 32, 1);
    const refused = await answerTo(fake.slashCommand('stylize', [{ name: 'content', type: T.Attachment, value: content.id }, { name: 'style_name', type: T.String, value: 'scream' }], { user: fake.bob }, [content]));
    expect(refused.content).toMatch(/no style "scream"/);
    expect((await setConfig('hidden_styles', 'none')).content).toMatch(/hidden_styles` is now `none`/);
    expect(await autocompleteChoices('stylize', styleNameTyped('sc'), fake.bob)).toEqual(['scream']);

    expect((await setConfig('maxStyles', '1')).content).toMatch(/maxStyles` is now `1`/);
    expect((await saveStyle(fake.bob, 'second', await png('s.png', 24, 24, 9))).content).toMatch(/library is full \(1 saved styles, limit 1, maxStyles\)/);
    expect((await setConfig('style_savers', 'admins')).content).toMatch(/style_savers` is now `admins`/);
    expect((await saveStyle(fake.alice, 'waves', await png('w.png', 24, 24, 9))).content).toMatch(/only admins may save styles/);
    for (const key of ['maxStyles', 'style_savers', 'hidden_styles']) {
      await answerTo(fake.slashCommand('stylize-config', sub('reset', [{ name: 'option', type: T.String, value: key }]), { user: fake.admin }));
    }
    expect(savedNames()).toEqual(['waves']);
  });

  let namedJob: string;

  test('/stylize by name, and a blend of names with an attached style, in colors palette', async () => {
    const content = await png('cat.png', 40, 32, 11);
    const byName = await stylize(fake.alice, [{ name: 'content', type: T.Attachment, value: content.id }, { name: 'style_name', type: T.String, value: 'waves' }], [content]);
    namedJob = byName.jobId;
    expect(byName.replyText).toContain('styles waves');
    expect(storedStyleInputs(byName.jobId)).toBe(1);

    const content2 = await png('dog.png', 32, 32, 12);
    const style = await png('stripes.png', 32, 32, 13);
    const blend = await stylize(
      fake.bob,
      [
        { name: 'content', type: T.Attachment, value: content2.id },
        { name: 'style', type: T.Attachment, value: style.id },
        { name: 'style_name', type: T.String, value: 'starry-night:3 waves' },
        { name: 'colors', type: T.String, value: 'palette' },
      ],
      [content2, style],
    );
    expect(blend.replyText).toMatch(/styles starry-night:3 waves .* colors palette/);
    const job = jobs.get(blend.jobId)!;
    expect(job.options.colors).toBe('palette');
    // The attachment first, then the named styles, each with its weight.
    expect(job.options.styleBlend).toEqual([1, 3, 1]);
    expect(storedStyleInputs(blend.jobId)).toBe(3);
    expect(String(body(blend.result).content)).toContain('colors palette');
  });

  test('history lists your jobs with links; show posts a kept result again with its buttons, or says it expired', async () => {
    const h = await answerTo(fake.slashCommand('stylize-history', [], { user: fake.alice }));
    expect(h.ephemeral).toBe(true);
    expect(h.content).toContain(`\`${namedJob}\` **transfer** · completed · 32px`);
    expect(h.content).toMatch(new RegExp(`\\[result\\]\\(https://discord.com/channels/${fake.guildId}/\\d+/\\d+\\)`));
    expect(h.content).not.toContain('starry-night'); // bob's job is not alice's history
    const empty = await answerTo(fake.slashCommand('stylize-history', [], { user: fake.owner }));
    expect(empty.content).toMatch(/no stylize jobs here yet/);

    const shown = await answerTo(fake.slashCommand('stylize-show', [{ name: 'job', type: T.String, value: namedJob }], { user: fake.alice }));
    expect(shown.ephemeral).toBe(false);
    expect(shown.content).toContain(`job \`${namedJob}\``);
    expect(shown.files.map((f) => f.name)).toEqual(['stylized.png']);
    expect((await sharp(shown.files[0].data).metadata()).width).toBe(32);
    expect(JSON.stringify(shown.components)).toContain(`stylize:result:texture:${namedJob}`);
    expect(await autocompleteChoices('stylize-show', [{ name: 'job', type: T.String, value: namedJob.slice(0, 4), focused: true }], fake.alice)).toContain(namedJob);

    expect((await answerTo(fake.slashCommand('stylize-show', [{ name: 'job', type: T.String, value: 'nope' }], { user: fake.alice }))).content).toMatch(/there is no job nope of yours here/);
    // Someone else's result is not bob's to post; a manager may.
    expect((await answerTo(fake.slashCommand('stylize-show', [{ name: 'job', type: T.String, value: namedJob }], { user: fake.bob }))).content).toMatch(/there is no job \S+ of yours here/);
    expect((await answerTo(fake.slashCommand('stylize-show', [{ name: 'job', type: T.String, value: namedJob }], { user: fake.admin }))).files).toHaveLength(1);
    jobs.purgeExpired(Date.now() + 1000 * 3_600_000);
    const expired = await answerTo(fake.slashCommand('stylize-show', [{ name: 'job', type: T.String, value: namedJob }], { user: fake.alice }));
    expect(expired.ephemeral).toBe(true);
    expect(expired.content).toMatch(/has expired/);
    // Saved styles are not touched by the retention.
    expect(savedNames()).toEqual(['waves']);
  });

  test('the library survives a restart of the bot and the job service', async () => {
    await bot.stop();
    await jobs.stop();
    await startBot();
    expect(await autocompleteChoices('stylize', styleNameTyped('wa'), fake.bob)).toEqual(['waves']);
    const a = await answerTo(fake.slashCommand('stylize-style', sub('list'), { user: fake.bob }));
    expect(a.content).toContain(`\`waves\` (saved by <@${fake.alice.id}>)`);
  });
});
