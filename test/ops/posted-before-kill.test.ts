// A job's messages posted once across a kill: its ending (result or failure message) and its
// progress message. The soak's duplicate
// result (seed 404, local queue): the bot was killed after Discord had taken a job's result but
// before it heard back and recorded it as posted; the restarted bot posted it again. Failures are
// owed the same way. Replayed with the real bot process: the fake Discord carries out the POST but
// never answers it, the bot is killed (kill -9) while it waits, and the restarted bot must find the
// message in the thread instead of posting it twice, and record it so that no later start posts it.
import path from 'node:path';
import { ApplicationCommandOptionType as T } from 'discord.js';
import { describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../../scripts/lib/fakes/discord/index.ts';
import { askStylize, body, deliveredAt, failurePostedAt, freePort, inThread, ready, until, useBotHarness } from './bot-harness.ts';

const h = useBotHarness('stylize-posted-before-kill-');

const contentOf = (r: { body: unknown }) => String((r.body as { content?: string } | undefined)?.content ?? '');

interface Ending {
  ask: Parameters<typeof askStylize>[1];
  isPost(r: { body: unknown; files: { name: string }[] }): boolean;
  postedAt(dataDir: string, jobId: string): number | null | undefined;
}

const ENDINGS: Record<'result' | 'failure', Ending> = {
  result: {
    ask: { size: 32, steps: 2 },
    isPost: (r: { files: { name: string }[] }) => r.files.some((f) => f.name.startsWith('stylized')),
    postedAt: deliveredAt,
  },
  failure: {
    // A 32×16 content at 16 px is 16×8: too small for the gatys preset's deepest layers, so the job fails.
    ask: { size: 16, steps: 2, contentSize: { width: 32, height: 16 }, extra: [{ name: 'preset', type: T.String, value: 'gatys' }] },
    isPost: (r: { body: unknown }) => / failed: /.test(contentOf(r)),
    postedAt: failurePostedAt,
  },
};

describe('a bot killed after Discord took a job ending but before it heard back', () => {
  for (const [what, ending] of Object.entries(ENDINGS)) {
    it(`${what}: not posted twice after the restart, recorded as posted, not posted by a later start`, async () => {
      const dataDir = path.join(h.dir, `data-${what}`);
      const port = await freePort();
      const first = h.start(h.env(dataDir, port));
      await ready(port);
      h.fake.holdNext('POST', /^\/channels\/\d+\/messages$/, 1, ending.isPost);
      const isEnding = (r: RecordedRequest) => r.method === 'POST' && inThread(threadId)(r) && ending.isPost(r);

      const { threadId } = await askStylize(h.fake, ending.ask);
      const held = await h.fake.waitFor((r) => r.held === true && isEnding(r), 60_000, `the ${what} post, held`);
      const jobId = /-# job `([\w-]+)`/.exec(String(body(held).content))?.[1];
      expect(jobId).toBeDefined();
      first.child.kill('SIGKILL');
      await first.exited;
      expect(ending.postedAt(dataDir, jobId!)).toBeNull();

      const second = h.start(h.env(dataDir, port));
      await ready(port);
      await until(() => Boolean(ending.postedAt(dataDir, jobId!)), `the ${what} recorded as posted`, 30_000);
      await until(() => second.logs().some((l) => l.msg === `the ${what} was posted before the restart; not posting it again` && l.jobId === jobId), 'the bot saying it found it', 10_000);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);

      const third = h.start(h.env(dataDir, port));
      await ready(port);
      await new Promise((r) => setTimeout(r, 1000));
      third.child.kill('SIGTERM');
      expect(await third.exited).toBe(0);
      expect(third.logs().some((l) => l.job === jobId || l.jobId === jobId)).toBe(false);
      expect(h.fake.requests.filter(isEnding)).toHaveLength(1);
      expect(h.fake.channelMessages(threadId).filter((m) => ending.isPost({ body: m, files: m.attachments.map((a) => ({ name: a.filename })) }))).toHaveLength(1);
    });
  }

  it('progress: the restarted bot edits the progress message Discord took before the kill instead of posting a second one', async () => {
    const dataDir = path.join(h.dir, 'data-progress');
    const port = await freePort();
    const first = h.start(h.env(dataDir, port));
    await ready(port);
    const hasCancel = (r: { body: unknown }) => JSON.stringify((r.body as { components?: unknown }).components ?? []).includes('"custom_id":"stylize:cancel:');
    h.fake.holdNext('POST', /^\/channels\/\d+\/messages$/, 1, hasCancel);

    const { threadId } = await askStylize(h.fake, { size: 32, steps: 2 });
    const isProgressPost = (r: RecordedRequest) => r.method === 'POST' && inThread(threadId)(r) && hasCancel(r);
    const held = await h.fake.waitFor((r) => r.held === true && isProgressPost(r), 60_000, 'the progress post, held');
    const jobId = /-# job `([\w-]+)`/.exec(String(body(held).content))?.[1];
    expect(jobId).toBeDefined();
    first.child.kill('SIGKILL');
    await first.exited;

    const second = h.start(h.env(dataDir, port));
    await ready(port);
    await until(() => Boolean(deliveredAt(dataDir, jobId!)), 'the result recorded as posted', 60_000);
    const tagged = () => h.fake.channelMessages(threadId).filter((m) => m.content.includes(`-# job \`${jobId}\``));
    // The one progress message, finished (no Cancel button left), and the result: nothing else.
    await until(() => tagged().some((m) => /✅ Finished in /.test(m.content)), 'the progress message finished', 10_000);
    expect(h.fake.requests.filter(isProgressPost)).toHaveLength(1);
    const progress = tagged().filter((m) => !m.attachments.some((a) => a.filename.startsWith('stylized')));
    expect(progress).toHaveLength(1);
    expect(progress[0]!.components ?? []).toEqual([]);
    await until(() => second.logs().some((l) => l.msg === 'the progress message was posted before the restart; editing it' && l.jobId === jobId), 'the bot saying it found it', 10_000);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});

