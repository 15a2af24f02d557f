// The strength grid on Slack (issue 19), end to end over HTTP with the real job service: `grid` in a
// mention posts one 2×2 grid upload in the thread and a result message with U1–U4 / V1–V4 Block Kit
// buttons; U2 (pressed by someone else) uploads the upscale of candidate 2 at the requested size in
// the same thread; V3 a grid around candidate 3; texture with grid is refused with the reason.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRID_REFUSALS } from '../../src/options.ts';
import type { FakeMessage } from '../../scripts/lib/fakes/slack/types.ts';
import { ALICE, BOB, CHANNEL, startHarness, type Harness } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  // Tiny candidates: the grid's size and steps are admin settings.
  h.jobs.settings.set('slack', h.fake.teamId, 'gridSize', 32);
  h.jobs.settings.set('slack', h.fake.teamId, 'gridSteps', 2);
});

afterAll(async () => {
  await h?.stop();
});

const role = (m: FakeMessage) => m.metadata?.event_payload.role;
const jobOf = (m: FakeMessage) => String(m.metadata!.event_payload.job_id);
const fileNamed = (threadTs: string, pattern: RegExp) => () => h.botThread(threadTs).find((m) => m.files?.some((f) => pattern.test(f.name)));

describe('the strength grid on Slack', () => {
  let threadTs: string;
  let gridId: string;
  let gridResult: FakeMessage;

  it('`grid` in a mention uploads one 2×2 grid and posts the U1–U4 / V1–V4 buttons', async () => {
    const content = await h.image('content.png', 41, 48, 40);
    const style = await h.image('style.png', 42, 24, 24);
    const { message } = await h.slack.mention({ user: ALICE, channel: CHANNEL, text: 'grid steps=2 size=48', files: [content, style] });
    threadTs = message.ts;
    gridResult = await h.fake.waitFor('the grid result', () => h.botThread(threadTs).find((m) => role(m) === 'result'), 90_000);
    gridId = jobOf(gridResult);
    expect(h.jobs.get(gridId)?.kind).toBe('grid');
    const upload = fileNamed(threadTs, /^grid-/)()!.files![0]!;
    expect(upload.name).toBe(`grid-${gridId}.png`);
    const meta = await sharp(upload.bytes).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width!).toBeGreaterThanOrEqual(2 * 32);
    expect(meta.height!).toBeGreaterThanOrEqual(2 * 27);
    expect(gridResult.text).toMatch(/Press U1–U4 to upscale a candidate to 48px/);
    const rows = gridResult.blocks!.filter((b) => b.type === 'actions') as { elements: { action_id: string; value: string; text: { text: string } }[] }[];
    expect(rows.map((r) => r.elements.map((e) => [e.text.text, e.action_id, e.value]))).toEqual([
      [1, 2, 3, 4].map((n) => [`U${n}`, `stylize_grid_u${n}`, gridId]),
      [1, 2, 3, 4].map((n) => [`V${n}`, `stylize_grid_v${n}`, gridId]),
    ]);
    // No re-run reactions under a grid: its buttons are what to go on from.
    expect(gridResult.reactions).toEqual([]);
  });

  it('U2, pressed by someone else, uploads the upscale of candidate 2 at the requested size in the same thread', async () => {
    const res = await h.slack.clickButton({ user: BOB, channel: CHANNEL, ts: gridResult.ts, actionId: 'stylize_grid_u2' });
    expect(res.status).toBe(200);
    const result = await h.fake.waitFor('the upscale', () => h.botThread(threadTs).find((m) => role(m) === 'result' && jobOf(m) !== gridId), 90_000);
    const up = h.jobs.get(jobOf(result))!;
    expect(up).toMatchObject({ kind: 'upscale', parentJobId: gridId, owner: { userId: BOB, threadId: threadTs }, grid: { pick: 1 } });
    const file = fileNamed(threadTs, new RegExp(`^stylize-${up.id}`))()!.files![0]!;
    const m = await sharp(file.bytes).metadata();
    expect([m.width, m.height]).toEqual([48, 40]);
  });

  it('V3 posts a grid around candidate 3, and texture with grid is refused with the reason', async () => {
    await h.slack.clickButton({ user: BOB, channel: CHANNEL, ts: gridResult.ts, actionId: 'stylize_grid_v3' });
    const varied = await h.fake.waitFor(
      'the vary grid',
      () => h.botThread(threadTs).find((m) => role(m) === 'result' && jobOf(m) !== gridId && h.jobs.get(jobOf(m))?.kind === 'grid'),
      90_000,
    );
    const context = JSON.stringify(varied.blocks);
    for (const relation of ['strength ×½', 'strength ×2', 'scale ×0.7', 'scale ×1.4']) expect(context).toContain(relation);

    const style = await h.image('style2.png', 43, 24, 24);
    const { message } = await h.slack.mention({ user: ALICE, channel: CHANNEL, text: 'texture grid steps=2', files: [style] });
    const reply = await h.fake.waitFor('the refusal', () => h.fake.thread(CHANNEL, message.ts).find((m) => m.user === h.fake.botUserId));
    expect(reply.text).toContain(GRID_REFUSALS.texture);
  });

  it('the /stylize modal has a grid checkbox, and a grid asked there is a grid job', async () => {
    const n = h.fake.views.length;
    await h.slack.command('/stylize', '', { user: ALICE, channel: CHANNEL });
    await h.fake.waitFor('the modal', () => h.fake.views[n]);
    const blocks = h.fake.views[n]!.view.blocks as { block_id: string; element: { type: string } }[];
    expect(blocks.find((b) => b.block_id === 'opt_grid')?.element.type).toBe('checkboxes');
    const roots = () => h.fake.messages.filter((m) => role(m) === 'root');
    const before = roots().length;
    const res = await h.slack.submitView(ALICE, { content: [await h.image('c.png', 44, 48, 40)], style: [await h.image('s.png', 45)], opt_steps: 2, opt_size: 48, opt_grid: true });
    expect(res.status).toBe(200);
    const root = await h.fake.waitFor('the grid job', () => roots()[before], 30_000);
    expect(h.jobs.get(jobOf(root))?.kind).toBe('grid');
    expect(root.text).toMatch(/Rendering a strength grid/);
  });
});
