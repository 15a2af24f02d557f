// /stylize-sheet end to end over HTTP: the command opens a form Slack accepts, a bad submission
// is answered on the right block and queues nothing, a good one queues one sheet job whose image
// arrives in a thread in the channel the form came from.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeMessage } from '../../scripts/lib/fakes/slack/types.ts';
import { SHEET_BLOCKS } from '../../src/slack/sheet-modal.ts';
import { ALICE, CHANNEL, startHarness, type Harness } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ updateIntervalMs: 200 });
});

afterAll(async () => {
  await h?.stop();
});

const role = (m: FakeMessage) => m.metadata?.event_payload.role;

async function openForm(): Promise<void> {
  const before = h.fake.views.length;
  const res = await h.slack.command('/stylize-sheet', '', { user: ALICE, channel: CHANNEL });
  expect(res.status).toBe(200);
  await h.fake.waitFor('the sheet form', () => h.fake.views[before]);
}

describe('/stylize-sheet', () => {
  it('opens a form with kind, images, layers, steps and size', async () => {
    await openForm();
    const view = h.fake.views.at(-1)!.view as { callback_id: string; blocks: { block_id: string; element: { type: string; max_files?: number } }[] };
    expect(view.callback_id).toBe('stylize_sheet_modal');
    expect(view.blocks.map((b) => [b.block_id, b.element.type])).toEqual([
      [SHEET_BLOCKS.kind, 'static_select'],
      [SHEET_BLOCKS.contents, 'file_input'],
      [SHEET_BLOCKS.styles, 'file_input'],
      [SHEET_BLOCKS.layers, 'plain_text_input'],
      [SHEET_BLOCKS.combo, 'plain_text_input'],
      [SHEET_BLOCKS.steps, 'number_input'],
      [SHEET_BLOCKS.size, 'number_input'],
    ]);
    expect(view.blocks[1].element.max_files).toBe(3);
  });

  it('answers a wrong submission on its block and queues nothing', async () => {
    await openForm();
    const content = await h.image('c.png', 1, 16);
    const before = h.jobs.listActive('slack', h.fake.teamId).length;
    const res = await h.slack.submitView(ALICE, { [SHEET_BLOCKS.kind]: 'texture', [SHEET_BLOCKS.contents]: [content] });
    expect(res.json).toMatchObject({
      response_action: 'errors',
      errors: {
        [SHEET_BLOCKS.contents]: 'A texture sheet uses no content images: it synthesises from the style images.',
        [SHEET_BLOCKS.styles]: 'A texture sheet needs at least one style image.',
      },
    });
    await openForm();
    const style = await h.image('s.png', 2, 16);
    const bad = await h.slack.submitView(ALICE, { [SHEET_BLOCKS.kind]: 'texture', [SHEET_BLOCKS.styles]: [style], [SHEET_BLOCKS.layers]: 'conv_1,pool9' });
    expect((bad.json as { errors: Record<string, string> }).errors[SHEET_BLOCKS.layers]).toMatch(/pool9/);
    expect(h.jobs.listActive('slack', h.fake.teamId).length).toBe(before);
  });

  it('queues one reconstruct sheet over the chosen layers and posts the sheet in its thread', async () => {
    await openForm();
    const contents = [await h.image('cat.png', 3, 16), await h.image('dog.png', 4, 16, 12)];
    const res = await h.slack.submitView(ALICE, {
      [SHEET_BLOCKS.kind]: 'reconstruct',
      [SHEET_BLOCKS.contents]: contents,
      [SHEET_BLOCKS.layers]: 'conv_1, conv_3',
      [SHEET_BLOCKS.steps]: 1,
      [SHEET_BLOCKS.size]: 16,
    });
    expect(res.status).toBe(200);
    expect(res.json).toBeUndefined();
    const root = await h.fake.waitFor('the root', () => h.fake.messages.find((m) => m.channel === CHANNEL && role(m) === 'root' && /Rendering a reconstruct sheet/.test(m.text)), 20_000);
    const jobId = String(root.metadata!.event_payload.job_id);
    expect(h.jobs.get(jobId)).toMatchObject({ kind: 'sheet', sheet: { kind: 'reconstruct', layers: ['conv_1', 'conv_3'] }, options: { steps: 1, size: 16, preset: 'seed' }, owner: { userId: ALICE } });
    const upload = await h.fake.waitFor('the sheet image', () => h.botThread(root.ts).flatMap((m) => m.files ?? []).find((f) => f.name === `sheet-reconstruct-${jobId}.png`), 60_000);
    expect((await sharp(upload.bytes).metadata()).format).toBe('png');
  });
});
