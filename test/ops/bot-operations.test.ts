// Operations of the real bot process (`npm start`) against the local fake Discord: the health,
// readiness and metrics endpoints, a graceful SIGTERM in the middle of a job (checkpoint, exit 0,
// resume from the checkpoint), and a kill -9 between a job's completion and the posting of its
// result. Real engine worker processes, random VGG weights, tiny images.
import path from 'node:path';
import { ApplicationCommandOptionType as T } from 'discord.js';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { parseJobTag } from '../../src/discord/job-meta.ts';
import type { RecordedRequest, SlashOption } from '../../scripts/lib/fakes/discord/index.ts';
import { body, freePort, get, inThread, ready, until, useBotHarness } from './bot-harness.ts';

const h = useBotHarness('stylize-ops-');
const isResult = (r: RecordedRequest) => r.method === 'POST' && r.files.some((f) => f.name.startsWith('stylized'));

/** Plays /stylize; returns the job id and the thread its messages go to. */
async function stylize(extra: SlashOption[]): Promise<{ jobId: string; threadId: string }> {
  const content = await h.attachment('content.png', 1);
  const style = await h.attachment('style.png', 2);
  const options: SlashOption[] = [
    { name: 'content', type: T.Attachment, value: content.id },
    { name: 'style', type: T.Attachment, value: style.id },
    { name: 'size', type: T.Integer, value: 32 },
    ...extra,
  ];
  const i = h.fake.slashCommand('stylize', options, { user: h.fake.alice }, [content, style]);
  await h.fake.waitFor((r) => r.method === 'PATCH' && r.path === `/webhooks/${h.fake.appId}/${i.token}/messages/@original`, 30_000, 'the reply');
  const threadId = i.originalMessageId!;
  const progress = await h.fake.waitFor((r) => r.method === 'POST' && inThread(threadId)(r) && parseJobTag(String(body(r).content)) !== undefined, 30_000, 'the progress message');
  return { jobId: parseJobTag(String(body(progress).content))!, threadId };
}

function resultPosts(threadId: string): RecordedRequest[] {
  return h.fake.requests.filter((r) => inThread(threadId)(r) && isResult(r));
}

/** Every line is a HELP, TYPE or sample line of the Prometheus text format (0.0.4). */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)?,?\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)( -?\d+)?$/;
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      expect(line.split(' ')[2]).toMatch(metricName);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      expect(name).toMatch(metricName);
      expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(type);
      expect(types.has(name), `TYPE ${name} twice`).toBe(false);
      types.set(name, type);
      continue;
    }
    const m = sample.exec(line);
    expect(m, `not a Prometheus sample line: ${line}`).not.toBeNull();
    const base = m![1].replace(/_(bucket|sum|count|total)$/, '');
    expect(types.has(m![1]) || types.has(base), `sample without TYPE: ${line}`).toBe(true);
    samples.set(m![1] + (m![2] ?? ''), Number(m![3]));
  }
  return samples;
}

describe('the bot process', () => {
  it('serves /healthz, /readyz (only after login and engine start) and /metrics with counters that move', async () => {
    const port = await freePort();
    const bot = h.start(h.env(path.join(h.dir, 'data-metrics'), port));
    const notReady: string[] = [];
    const started = Date.now();
    await until(async () => (await get(port, '/healthz')).status === 200, '/healthz');
    const ready = await until(
      async () => {
        const r = await get(port, '/readyz');
        if (r.status === 503) notReady.push((JSON.parse(r.text) as { reason: string }).reason);
        return r.status === 200 && Date.now();
      },
      '/readyz',
      90_000,
    );
    // 200 only once the gateway session and an engine are up, and 503 with a reason before.
    const logs = bot.logs();
    const at = (msg: string) => Number(logs.find((l) => l.msg === msg)?.time);
    expect(at('Discord: connected')).toBeLessThanOrEqual(ready);
    expect(at('engine worker ready')).toBeLessThanOrEqual(ready);
    expect(notReady.length).toBeGreaterThan(0);
    expect(notReady.some((r) => /discord is not connected|no engine process is ready|has not started/.test(r))).toBe(true);
    expect(ready - started).toBeGreaterThan(0);

    const { threadId } = await stylize([{ name: 'steps', type: T.Integer, value: 4 }]);
    await until(() => resultPosts(threadId).length > 0, 'the result', 90_000);

    const metrics = await get(port, '/metrics');
    expect(metrics.status).toBe(200);
    const samples = parsePrometheus(metrics.text);
    expect(samples.get('stylize_jobs_submitted_total{platform="discord",mode="transfer"}')).toBe(1);
    expect(samples.get('stylize_jobs_completed_total{platform="discord",mode="transfer"}')).toBe(1);
    expect(samples.get('stylize_queue_wait_seconds_count{platform="discord",mode="transfer"}')).toBe(1);
    expect(samples.get('stylize_job_run_seconds_count{platform="discord",mode="transfer"}')).toBe(1);
    expect(samples.get('stylize_iteration_seconds_count{backend="wasm",size="0-128"}')).toBeGreaterThanOrEqual(3);
    expect(samples.get('stylize_queue_depth')).toBe(0);
    expect(samples.get('stylize_running_jobs')).toBe(0);
    expect(samples.has('nodejs_eventloop_lag_seconds')).toBe(true);
    expect(samples.has('process_resident_memory_bytes')).toBe(true);
    expect(samples.has('process_cpu_seconds_total')).toBe(true);
    for (const secret of [h.fake.token, h.fake.alice.id, h.fake.guildId, h.fake.channelId, 'alice']) expect(metrics.text).not.toContain(secret);
    expect((await get(port, '/nope')).status).toBe(404);

    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
  }, 180_000);

  it('on SIGTERM mid-job: checkpoints, exits 0 within the grace period, resumes from the checkpoint, posts one result', async () => {
    const dataDir = path.join(h.dir, 'data-sigterm');
    const port = await freePort();
    const env = h.env(dataDir, port, { STYLIZE_SHUTDOWN_GRACE_S: '10' });
    const first = h.start(env);
    await ready(port);
    // Previews (the crash-resume points) every 10 % = 12 steps; the checkpoint is wherever it stood.
    const { jobId, threadId } = await stylize([{ name: 'steps', type: T.Integer, value: 120 }]);
    const stepShown = (r: RecordedRequest) => Number(/step (\d+)\//.exec(String(body(r).content))?.[1] ?? 0);
    await until(() => first.logs().length > 0 && h.fake.requests.some((r) => inThread(threadId)(r) && stepShown(r) > 12), 'progress past step 12', 90_000);
    const shown = Math.max(...h.fake.requests.filter(inThread(threadId)).map(stepShown));
    const signalled = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const shutdownMs = Date.now() - signalled;
    expect(shutdownMs).toBeLessThan(10_000);
    const saved = first.logs().find((l) => l.msg === 'checkpoint saved' && l.job === jobId);
    expect(saved, first.output().slice(-3000)).toBeDefined();
    const checkpoint = Number(saved!.iteration);
    // The iteration it had reached when the signal came (at least the progress shown, past 12), not
    // the last preview before it (step 12): 'checkpoint saved' is logged for a shutdown checkpoint only.
    expect(checkpoint).toBeGreaterThanOrEqual(shown);
    expect(checkpoint).toBeLessThan(120);
    expect(resultPosts(threadId)).toHaveLength(0);

    const second = h.start(env);
    await until(() => resultPosts(threadId).length > 0, 'the result after the restart', 150_000);
    // It went on from the checkpoint's iteration, and said so.
    const startedAgain = second.logs().find((l) => l.msg === 'job started' && l.job === jobId);
    expect(startedAgain?.resumeAt).toBe(checkpoint);
    expect(h.fake.requests.some((r) => inThread(threadId)(r) && String(body(r).content).includes(`from its checkpoint at step ${checkpoint}`))).toBe(true);
    const png = await sharp(resultPosts(threadId)[0].files[0].data).metadata();
    expect([png.width, png.height]).toEqual([32, 32]);
    await new Promise((r) => setTimeout(r, 1000));
    expect(resultPosts(threadId)).toHaveLength(1);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    console.log(`SIGTERM → exit in ${shutdownMs} ms, checkpoint at step ${checkpoint}`);
  }, 300_000);

  it('kill -9 after a job completed but before its result was posted: the restarted bot posts it once; during a stop, commands are refused and a second signal exits at once', async () => {
    const dataDir = path.join(h.dir, 'data-crash');
    const port = await freePort();
    const crashing = h.start(h.env(dataDir, port, { STYLIZE_TEST_CRASH_AFTER_COMPLETION: '1' }));
    await ready(port);
    const { jobId, threadId } = await stylize([{ name: 'steps', type: T.Integer, value: 3 }]);
    expect(await crashing.exited).toBeNull(); // killed by the signal, no exit code
    expect(crashing.child.signalCode).toBe('SIGKILL');
    expect(crashing.logs().some((l) => l.msg === 'job completed' && l.job === jobId)).toBe(false);
    expect(resultPosts(threadId)).toHaveLength(0);

    const second = h.start(h.env(dataDir, port));
    await until(() => resultPosts(threadId).length > 0, 'the result after the restart', 90_000);
    expect(String(body(resultPosts(threadId)[0]).content)).toContain(jobId);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    // Confirmed as posted: a third start does not post it again.
    const third = h.start(h.env(dataDir, port));
    await ready(port);
    await new Promise((r) => setTimeout(r, 1500));
    expect(resultPosts(threadId)).toHaveLength(1);

    // The stop is held up (a progress edit rate-limited for 8 s keeps the Discord adapter busy while
    // it closes): a command meanwhile is refused, and a second signal does not wait for the end.
    const long = await stylize([{ name: 'steps', type: T.Integer, value: 300 }]);
    await until(() => h.fake.requests.some((r) => inThread(long.threadId)(r) && /step \d+\//.test(String(body(r).content))), 'progress', 60_000);
    h.fake.rateLimitNext('PATCH', new RegExp(`^/channels/${long.threadId}/messages/`), 1, 8);
    await h.fake.waitFor((r) => r.method === 'PATCH' && r.status === 429, 20_000, 'a rate-limited edit');
    third.child.kill('SIGTERM');
    await until(() => third.logs().some((l) => l.msg === 'shutting down'), 'the graceful stop to begin', 10_000);
    // A command that arrives while the bot stops is told to come back.
    const content = await h.attachment('late.png', 3);
    const late = h.fake.slashCommand('stylize', [{ name: 'content', type: T.Attachment, value: content.id }, { name: 'mode', type: T.String, value: 'reconstruct' }], { user: h.fake.bob }, [content]);
    const refusal = await h.fake.waitFor((r) => r.method === 'POST' && r.path === `/webhooks/${h.fake.appId}/${late.token}`, 10_000, 'the refusal');
    expect(String(body(refusal).content)).toBe('the bot is restarting, try again in a minute');
    const secondSignalAt = Date.now();
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(143); // 128 + SIGTERM's number
    expect(Date.now() - secondSignalAt).toBeLessThan(2000);
    expect(third.logs().some((l) => l.msg === 'stopped')).toBe(false);
  }, 300_000);
});
