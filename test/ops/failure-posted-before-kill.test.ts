// A failure message is owed like a result: the bot killed after Discord took a job's failure
// message but before it heard back must not post it twice after the restart, and must record it as
// posted so that no later start posts it. Replayed with the real bot process: the fake Discord
// carries out the failure's POST but never answers it, and the bot is killed (kill -9) while it waits.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { askStylize, failurePostedAt, freePort, inThread, ready, until, useBotHarness } from './bot-harness.ts';

const h = useBotHarness('stylize-failure-before-kill-');

const contentOf = (r: { body: unknown }) => String((r.body as { content?: string } | undefined)?.content ?? '');
const isFailurePost = (r: { method: string; body: unknown }) => r.method === 'POST' && / failed: /.test(contentOf(r));

describe('a bot killed after Discord took a failure message but before it heard back', () => {
  it('is not posted twice after the restart, and is recorded as posted', async () => {
    const dataDir = path.join(h.dir, 'data');
    const port = await freePort();
    const first = h.start(h.env(dataDir, port));
    await ready(port);
    h.fake.holdNext('POST', /^\/channels\/\d+\/messages$/, 1, (r) => / failed: /.test(contentOf(r)));

    // A 32×16 content at 16 px is 16×8: too small for the gatys preset's deepest layers, so the job fails.
    const { threadId } = await askStylize(h.fake, { size: 16, steps: 2, contentSize: { width: 32, height: 16 }, extra: [{ name: 'preset', type: 3, value: 'gatys' }] });
    const held = await h.fake.waitFor((r) => r.held === true && inThread(threadId)(r) && isFailurePost(r), 60_000, 'the failure post, held');
    const jobId = /-# job `([\w-]+)`/.exec(contentOf(held))?.[1];
    expect(jobId).toBeDefined();
    first.child.kill('SIGKILL');
    await first.exited;
    expect(failurePostedAt(dataDir, jobId!)).toBeNull();

    const second = h.start(h.env(dataDir, port));
    await ready(port);
    await until(() => Boolean(failurePostedAt(dataDir, jobId!)), 'the failure recorded as posted', 30_000);
    await until(() => second.logs().some((l) => l.msg === 'the failure was posted before the restart; not posting it again' && l.jobId === jobId), 'the bot saying it found it', 10_000);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    // A third start has nothing left to post.
    const third = h.start(h.env(dataDir, port));
    await ready(port);
    await new Promise((r) => setTimeout(r, 1000));
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    expect(third.logs().some((l) => l.job === jobId)).toBe(false);
    expect(h.fake.requests.filter((r) => inThread(threadId)(r) && isFailurePost(r))).toHaveLength(1);
    expect(h.fake.channelMessages(threadId).filter((m) => / failed: /.test(m.content))).toHaveLength(1);
  });
});
