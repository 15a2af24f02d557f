// "@Stylize sheet …" end to end over HTTP with the real job service (engine worker, random weights,
// 16 px, one step per run): one queued job, progress in the mention's thread, exactly one image
// uploaded there (the composed sheet), no re-run reactions; bad requests answered in the thread.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planSheet } from '../../src/engine/sheet/plan.ts';
import type { JobEvent } from '../../src/jobs/types.ts';
import { resolveOptions } from '../../src/options.ts';
import { asksForSheet, readSheetMention } from '../../src/slack/sheet-mention.ts';
import type { SlackFile } from '../../src/slack/input-images.ts';
import type { FakeMessage } from '../helpers/fake-slack/types.ts';
import { ALICE, BOB, CHANNEL, startHarness, type Harness } from './harness.ts';

let h: Harness;
const completed = new Map<string, Extract<JobEvent, { type: 'completed' }>>();

beforeAll(async () => {
  h = await startHarness({ updateIntervalMs: 200 });
  h.jobs.on((event, job) => {
    if (event.type === 'completed') completed.set(job.id, event);
  });
});

afterAll(async () => {
  await h?.stop();
});

const role = (m: FakeMessage) => m.metadata?.event_payload.role;
const file = (id: string): SlackFile => ({ id });

describe('reading a sheet mention', () => {
  const [a, b, c] = [file('F1'), file('F2'), file('F3')];

  it('takes contents first, then styles, as the kind needs', () => {
    expect(asksForSheet('please make a Sheet')).toBe(true);
    expect(asksForSheet('texture steps=3 sheets')).toBe(false);
    expect(readSheetMention('sheet reconstruct layers=conv_1,conv_3 steps=5', [a, b])).toEqual({
      ok: true,
      sheet: { kind: 'reconstruct', layers: ['conv_1', 'conv_3'] },
      options: { steps: 5 },
      contentFiles: [a, b],
      styleFiles: [],
    });
    expect(readSheetMention('sheet texture combo=conv_1,conv_2', [a])).toMatchObject({ ok: true, sheet: { kind: 'texture', combo: ['conv_1', 'conv_2'] }, contentFiles: [], styleFiles: [a] });
    expect(readSheetMention('init sheet', [a, b])).toMatchObject({ ok: true, sheet: { kind: 'init' }, contentFiles: [a], styleFiles: [b] });
    expect(readSheetMention('sheet grid contents=2 preset=gatys', [a, b, c])).toMatchObject({ ok: true, options: { preset: 'gatys' }, contentFiles: [a, b], styleFiles: [c] });
  });

  it('explains what is wrong in one line, then how to ask', () => {
    const r = (text: string, files: SlackFile[]) => {
      const out = readSheetMention(text, files);
      if (out.ok) throw new Error('expected a refusal');
      const [first, usage] = out.reason.split('\n');
      expect(usage).toMatch(/^For an experiment sheet say `sheet` and the kind/);
      return first;
    };
    expect(r('sheet please', [a])).toBe('Which sheet? Say `sheet` and one of `reconstruct`, `texture`, `init`, `grid`.');
    expect(r('sheet texture', [])).toBe('A texture sheet needs images: attach them to the message.');
    expect(r('sheet texture contents=1', [a])).toMatch(/^contents= is only for init and grid sheets/);
    expect(r('sheet grid contents=2', [a, b])).toBe('A grid sheet needs content images then style images: with contents=2 and 2 images no style image is left.');
    expect(r('sheet grid contents=two', [a, b])).toMatch(/^contents: got "two"/);
    expect(r('sheet init layers=conv_1', [a, b])).toBe('Layers are only swept by reconstruct and texture sheets, not init');
    expect(r('sheet texture layers=conv_1,bogus', [a])).toMatch(/^Layers: .*bogus/);
    expect(r('sheet texture colour=red', [a])).toBe('unknown option "colour"');
  });
});

describe('@Stylize sheet …', () => {
  it('renders a grid sheet (two contents, one style) in the thread: one image, the summary, no reactions', async () => {
    const files = [await h.image('cat.png', 1, 16), await h.image('dog.png', 2, 16, 12), await h.image('waves.png', 3, 16)];
    const { message } = await h.slack.mention({ user: ALICE, channel: CHANNEL, text: '<@BOT> sheet grid contents=2 steps=1 size=16', files });
    const result = await h.fake.waitFor('the sheet result', () => h.botThread(message.ts).find((m) => role(m) === 'result'), 60_000);
    const root = h.botThread(message.ts).find((m) => role(m) === 'root')!;
    const jobId = String(root.metadata!.event_payload.job_id);
    expect(h.jobs.get(jobId)).toMatchObject({ kind: 'sheet', sheet: { kind: 'grid' }, state: 'completed', options: { steps: 1, size: 16, preset: 'seed' } });
    await h.fake.waitFor('the finished root', () => /Rendering a grid sheet for <@U0ALICE01>… done in/.test(root.text) || undefined, 10_000);

    // Exactly one image in the thread: the sheet, no previews.
    const uploads = h.botThread(message.ts).flatMap((m) => m.files ?? []);
    expect(uploads.map((f) => f.name)).toEqual([`sheet-grid-${jobId}.png`]);
    const report = completed.get(jobId)!.report!;
    const plan = planSheet('grid', { contents: ['', ''], styles: [''], options: resolveOptions({ preset: 'seed', size: 16, steps: 1 }) });
    // Two content rows under the style row, one style column beside the content column.
    expect([report.layout.columns, report.layout.rows]).toEqual([plan.columns, plan.rows]);
    expect([plan.columns, plan.rows]).toEqual([2, 3]);
    const meta = await sharp(uploads[0].bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', report.layout.width, report.layout.height]);

    expect(result.text).toMatch(/^Done in .* — grid sheet · preset seed · 16px · 1 steps per run/);
    expect(result.text).not.toMatch(/React/);
    expect(JSON.stringify(result.blocks)).toContain('grid sheet: 2 runs in');
    // The first progress is posted at once; the last edit says the sheet finished its last run.
    const progress = h.botThread(message.ts).find((m) => role(m) === 'progress')!;
    expect(progress.text).toMatch(/^Finished\.\nrun 2 of 2 · [█░]{20} 100% · step 2\/2/);
    // The root's last edit comes after the result's reactions would have: none were added.
    expect(result.reactions).toEqual([]);
    expect(h.fake.callsTo('reactions.add').filter((c) => c.args.timestamp === result.ts)).toEqual([]);

    // A re-run reaction on the sheet is answered privately, and queues nothing.
    const active = h.jobs.listActive('slack', h.fake.teamId).length;
    await h.slack.react({ user: BOB, channel: CHANNEL, ts: result.ts, name: 'thread' });
    const answer = await h.fake.waitFor('the re-run refusal', () => h.fake.ephemerals.find((e) => e.user === BOB && /Cannot re-run/.test(e.text)));
    expect(answer.text).toMatch(/Cannot re-run as texture: job \w+ is a sheet, and sheets are not re-run from reactions/);
    expect(h.jobs.listActive('slack', h.fake.teamId).length).toBe(active);
  });

  it('answers a bad sheet request and a sheet over maxSteps in the thread, queueing nothing', async () => {
    const style = await h.image('pattern.png', 4, 16);
    const replies = (ts: string) => h.botThread(ts).filter((m) => !m.metadata);
    const bad = await h.slack.mention({ user: ALICE, channel: CHANNEL, text: 'sheet texture layers=conv_1,pool9', files: [style] });
    const badReply = await h.fake.waitFor('the refusal', () => replies(bad.message.ts)[0]);
    expect(badReply.text).toMatch(/^<@U0ALICE01> Layers: .*pool9/);

    h.jobs.settings.set('slack', h.fake.teamId, 'maxSteps', 10);
    try {
      const over = await h.slack.mention({ user: ALICE, channel: CHANNEL, text: 'sheet texture layers=conv_1,conv_2 steps=5 size=16', files: [style] });
      const reply = await h.fake.waitFor('the limit reply', () => replies(over.message.ts)[0]);
      expect(reply.text).toBe(
        "<@U0ALICE01> Could not start: this texture sheet is 3 runs × 5 steps = 15 steps, over this workspace's limit of 10 steps (maxSteps); ask for 3 steps or fewer, or fewer layers or images",
      );
    } finally {
      h.jobs.settings.reset('slack', h.fake.teamId, 'maxSteps');
    }
    expect(h.fake.messages.filter((m) => role(m) === 'root' && [bad.message.ts].includes(m.thread_ts ?? '')).length).toBe(0);
  });
});
