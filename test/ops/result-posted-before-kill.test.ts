// The soak's duplicate result (seed 404, local queue): the bot was killed after Discord had taken a
// job's result but before the bot heard back and recorded it as posted; the restarted bot posted it
// again. Replayed here with the real bot process: the fake Discord carries out the result's POST but
// never answers it, the bot is killed (kill -9) while it waits, and the restarted bot must find the
// result in the thread instead of posting it twice, and record it so that no later start posts it.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { askStylize, deliveredAt, freePort, inThread, ready, until, useBotHarness } from './bot-harness.ts';

const h = useBotHarness('stylize-posted-before-kill-');

const isResultPost = (r: { method: string; files: { name: string }[] }) => r.method === 'POST' && r.files.some((f) => f.name.startsWith('stylized'));

describe('a bot killed after Discord took a result but before it heard back', () => {
  it('is not posted twice after the restart, and is recorded as posted', async () => {
    const dataDir = path.join(h.dir, 'data');
    const port = await freePort();
    const first = h.start(h.env(dataDir, port));
    await ready(port);
    h.fake.holdNext('POST', /^\/channels\/\d+\/messages$/, 1, ({ files }) => files.some((f) => f.name.startsWith('stylized')));

    const { threadId } = await askStylize(h.fake, { size: 32, steps: 2 });
    const held = await h.fake.waitFor((r) => r.held === true && inThread(threadId)(r) && isResultPost(r), 60_000, 'the result post, held');
    const jobId = /-# job `([\w-]+)`/.exec(String((held.body as { content?: string }).content))?.[1];
    expect(jobId).toBeDefined();
    first.child.kill('SIGKILL');
    await first.exited;
    expect(deliveredAt(dataDir, jobId!)).toBeNull();

    const second = h.start(h.env(dataDir, port));
    await ready(port);
    await until(() => Boolean(deliveredAt(dataDir, jobId!)), 'the result recorded as posted', 30_000);
    const posts = h.fake.requests.filter((r) => inThread(threadId)(r) && isResultPost(r));
    expect(posts).toHaveLength(1);
    expect(h.fake.channelMessages(threadId).filter((m) => m.attachments.some((a) => a.filename.startsWith('stylized')))).toHaveLength(1);
    await until(() => second.logs().some((l) => l.msg === 'the result was posted before the restart; not posting it again' && l.jobId === jobId), 'the bot saying it found it', 10_000);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
