// The style library, history and show on Slack, end to end over HTTP: signed slash commands, modal
// submissions and mentions into the Bolt app, the real job service (tiny random weights, 32 px jobs
// of two steps) underneath, the fake Slack recording what the adapter answered.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_STYLE_NAMES } from '../../src/styles/index.ts';
import type { FakeMessage } from '../../scripts/lib/fakes/slack/types.ts';
import { ADMIN, ALICE, BOB, CHANNEL, startHarness, type Harness } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.stop();
});

/** The next response_url answer after `from` (slash commands answer there). */
async function response(from: number): Promise<string> {
  const r = await h.fake.waitFor('the command answer', () => h.fake.responses[from]);
  expect(r.body.response_type).toBe('ephemeral');
  return String(r.body.text);
}

async function command(name: string, text: string, user = ALICE): Promise<string> {
  const from = h.fake.responses.length;
  expect((await h.slack.command(name, text, { user, channel: CHANNEL })).status).toBe(200);
  return response(from);
}

/** The bot's next reply in a mention's thread. */
async function mentionReply(user: string, text: string, files: Parameters<Harness['slack']['mention']>[0]['files'] = []): Promise<FakeMessage> {
  const { message } = await h.slack.mention({ user, channel: CHANNEL, text, files });
  return h.fake.waitFor('the reply in the thread', () => h.botThread(message.ts).at(0), 30_000);
}

function savedNames(): string[] {
  return h.jobs.styles.entries('slack', h.fake.teamId).filter((e) => e.source === 'saved').map((e) => e.name);
}

async function resultOf(jobId: string): Promise<FakeMessage> {
  return h.fake.waitFor(
    `the result of ${jobId}`,
    () => {
      const failed = h.fake.messages.find((m) => m.metadata?.event_payload.job_id === jobId && /failed/.test(m.text));
      if (failed) throw new Error(`job failed: ${failed.text}`);
      return h.fake.messages.find((m) => m.metadata?.event_payload.role === 'result' && m.metadata.event_payload.job_id === jobId);
    },
    60_000,
  );
}

describe('saving styles on Slack', () => {
  it('/stylize-style save opens a form; a bad name goes back onto its block; a good one is saved', async () => {
    const opened = h.fake.views.length;
    await h.slack.command('/stylize-style', 'save', { user: ALICE, channel: CHANNEL });
    const view = await h.fake.waitFor('the save form', () => h.fake.views[opened]);
    expect((view.view.title as { text: string }).text).toBe('Save a style');
    const image = await h.image('waves.png', 3, 40, 32);
    const bad = await h.slack.submitView(ALICE, { style_name: 'Scream Blue', style_image: [image] }, view.id);
    expect(bad.json?.response_action).toBe('errors');
    expect((bad.json?.errors as Record<string, string>).style_name).toMatch(/style name "Scream Blue" is not valid.*did you mean "scream-blue"/);
    expect(savedNames()).toEqual([]);

    const from = h.fake.ephemerals.length;
    expect((await h.slack.submitView(ALICE, { style_name: 'waves', style_image: [image] }, view.id)).status).toBe(200);
    const told = await h.fake.waitFor('the confirmation', () => h.fake.ephemerals[from]);
    expect(told).toMatchObject({ user: ALICE, channel: CHANNEL });
    expect(told.text).toMatch(/Saved the style `waves`/);
    expect(h.jobs.styles.entries('slack', h.fake.teamId).find((e) => e.name === 'waves')).toMatchObject({ source: 'saved', savedBy: ALICE });
  });

  it('by mention: save style with an image; a taken name and a bad image are refused, storing nothing', async () => {
    const stripes = await h.image('stripes.png', 4, 24, 24);
    expect((await mentionReply(BOB, 'save style stripes', [stripes])).text).toMatch(/Saved the style `stripes`/);
    const taken = await mentionReply(BOB, 'save style waves', [await h.image('other.png', 5, 24, 24)]);
    expect(taken.text).toMatch(/Not saved: there is already a style "waves", saved by someone else/);
    const junk = h.fake.addFile({ name: 'junk.png', bytes: Buffer.from('not an image in the least'), user: BOB, mimetype: 'image/png', filetype: 'png' });
    expect((await mentionReply(BOB, 'save style junk', [junk])).text).toMatch(/Not saved: .*junk\.png/);
    expect((await mentionReply(BOB, 'save style Bad_Name', [stripes])).text).toMatch(/style name "Bad_Name" is not valid/);
    expect(savedNames()).toEqual(['stripes', 'waves']);
  });

  it('/stylize-style list posts one contact sheet PNG of the library with the names', async () => {
    const before = h.fake.messages.length;
    await h.slack.command('/stylize-style', 'list', { user: BOB, channel: CHANNEL });
    const posted = await h.fake.waitFor('the contact sheet', () => h.fake.messages.slice(before).find((m) => m.files?.some((f) => f.name === 'style-library.png')));
    for (const name of [...BUILTIN_STYLE_NAMES, 'waves', 'stripes']) expect(posted.text).toContain(`\`${name}\``);
    const meta = await sharp(posted.files![0].bytes).metadata();
    expect(meta.format).toBe('png');
    // 6 styles: a row of 5 thumbnails (≥ 128 px each) and a second row, under a title.
    expect(meta.width).toBeGreaterThanOrEqual(5 * 128);
    expect(meta.height).toBeGreaterThan(2 * 128);
    // The mention form answers the same way, in its thread.
    const { message } = await h.slack.mention({ user: BOB, channel: CHANNEL, text: 'styles' });
    await h.fake.waitFor('the sheet in the thread', () => h.botThread(message.ts).find((m) => m.files?.[0]?.name === 'style-library.png'));
  });
});

describe('using library styles on Slack', () => {
  let modalJob: string;

  it('the /stylize form offers the library in a select beside the file picker; a picked style is the style', async () => {
    const opened = h.fake.views.length;
    await h.slack.command('/stylize', '', { user: ALICE, channel: CHANNEL });
    const view = await h.fake.waitFor('the form', () => h.fake.views[opened]);
    const blocks = view.view.blocks as { block_id: string; element: { type: string; options?: { value: string }[] } }[];
    expect(blocks.map((b) => b.block_id).slice(0, 3)).toEqual(['content', 'style', 'style_library']);
    expect(blocks[2].element.type).toBe('static_select');
    expect(blocks[2].element.options!.map((o) => o.value)).toEqual([...BUILTIN_STYLE_NAMES, 'stripes', 'waves']);
    const content = await h.image('cat.png', 6, 40, 32);
    const res = await h.slack.submitView(ALICE, { content: [content], style_library: 'waves', opt_size: 32, opt_steps: 2 }, view.id);
    expect(res.status).toBe(200);
    expect(res.json?.response_action).toBeUndefined();
    const job = await h.fake.waitFor('the job', () => h.jobs.history.recent('slack', h.fake.teamId, ALICE)[0]);
    modalJob = job.id;
    expect(job.options.styleName).toEqual([{ name: 'waves', weight: 1 }]);
    expect((await resultOf(job.id)).text).toContain('styles waves');
  });

  it('style= in a mention blends named styles after the attached one, here in colors palette', async () => {
    const content = await h.image('dog.png', 7, 32, 32);
    const style = await h.image('zigzag.png', 8, 32, 32);
    const { message } = await h.slack.mention({ user: BOB, channel: CHANNEL, text: 'style=starry-night:3,stripes colors=palette size=32 steps=2', files: [content, style] });
    const root = await h.fake.waitFor('the root', () => h.botThread(message.ts).find((m) => m.metadata?.event_payload.role === 'root'));
    const jobId = String(root.metadata!.event_payload.job_id);
    const job = h.jobs.get(jobId)!;
    expect(job.options.styleBlend).toEqual([1, 3, 1]);
    expect(job.options.colors).toBe('palette');
    expect((await resultOf(jobId)).text).toMatch(/styles starry-night:3 stripes .*colors palette/);
    // An unknown name is refused with the names there are.
    expect((await mentionReply(BOB, 'style=stripess size=32', [content])).text).toMatch(/no style "stripess" \(did you mean "stripes"\?\)/);
  });

  it('a hidden built-in is neither offered in the form nor usable by name', async () => {
    expect(await command('/stylize-config', 'set hidden_styles scream', ADMIN)).toMatch(/Set hidden_styles = scream/);
    const opened = h.fake.views.length;
    await h.slack.command('/stylize', '', { user: BOB, channel: CHANNEL });
    const view = await h.fake.waitFor('the form', () => h.fake.views[opened]);
    const select = (view.view.blocks as { block_id: string; element: { options?: { value: string }[] } }[]).find((b) => b.block_id === 'style_library')!;
    expect(select.element.options!.map((o) => o.value)).not.toContain('scream');
    const content = await h.image('c2.png', 9, 32, 32);
    expect((await mentionReply(BOB, 'style=scream size=32', [content])).text).toMatch(/no style "scream"/);
    expect(await command('/stylize-config', 'reset hidden_styles', ADMIN)).toMatch(/Reset hidden_styles/);
  });

  it('limits: admins-only saving and a full library are refused', async () => {
    expect(await command('/stylize-config', 'set maxStyles 2', ADMIN)).toMatch(/Set maxStyles = 2/);
    expect((await mentionReply(BOB, 'save style third', [await h.image('t.png', 10, 24, 24)])).text).toMatch(/library is full \(2 saved styles, limit 2, maxStyles\)/);
    expect(await command('/stylize-config', 'set style_savers admins', ADMIN)).toMatch(/Set style_savers = admins/);
    expect((await mentionReply(ALICE, 'save style waves', [await h.image('w.png', 11, 24, 24)])).text).toMatch(/only admins may save styles/);
    expect(await command('/stylize-config', 'reset', ADMIN)).toMatch(/Reset every workspace setting/);
    expect(savedNames()).toEqual(['stripes', 'waves']);
  });

  it('history lists your jobs with a link to the result; show posts a kept one again with its buttons', async () => {
    const history = await command('/stylize-history', '', ALICE);
    expect(history).toContain(`\`${modalJob}\` *transfer* · completed · 32px`);
    expect(history).toMatch(new RegExp(`<${h.fake.apiUrl.replace(/\/api\/?$/, '')}/archives/${CHANNEL}/p\\d+\\|result>`));
    expect(history).not.toContain('stripes'); // bob's blend is not alice's history

    const before = h.fake.messages.length;
    await h.slack.command('/stylize-show', modalJob, { user: ALICE, channel: CHANNEL });
    const shown = await h.fake.waitFor('the result again', () => h.fake.messages.slice(before).find((m) => JSON.stringify(m.blocks ?? []).includes('stylize_result_texture')));
    expect(shown.text).toContain(`Job ${modalJob} again`);
    const file = h.fake.messages.slice(before).find((m) => m.files?.[0]?.name === `stylize-${modalJob}.png`)!;
    expect((await sharp(file.files![0].bytes).metadata()).width).toBe(32);

    const ephemerals = h.fake.ephemerals.length;
    await h.slack.mention({ user: ALICE, channel: CHANNEL, text: 'history' });
    const mine = await h.fake.waitFor('the history by mention', () => h.fake.ephemerals[ephemerals]);
    expect(mine).toMatchObject({ user: ALICE });
    expect(mine.text).toContain(modalJob);

    expect(await command('/stylize-show', 'J-nope', ALICE)).toMatch(/there is no job J-nope of yours here/);
    expect(await command('/stylize-show', modalJob, BOB)).toMatch(/there is no job \S+ of yours here/);
    (h.jobs as unknown as { purgeExpired(now: number): number }).purgeExpired(Date.now() + 1000 * 3_600_000);
    expect(await command('/stylize-show', modalJob, ALICE)).toMatch(/has expired/);
    expect((await mentionReply(ALICE, `show ${modalJob}`)).text).toMatch(/has expired/);
  });

  it('remove: another member may not; the saver and an admin may', async () => {
    expect(await command('/stylize-style', 'remove waves', BOB)).toMatch(/Not removed: only the person who saved "waves" or an admin can remove it/);
    expect(await command('/stylize-style', 'remove waves', ALICE)).toMatch(/Removed the style `waves`/);
    expect((await mentionReply(ADMIN, 'remove style stripes')).text).toMatch(/Removed the style `stripes`/);
    expect(savedNames()).toEqual([]);
  });
});
