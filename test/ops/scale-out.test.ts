// Scaling out end to end: one Redis, the bot with no engine of its own (STYLIZE_REDIS_URL and
// STYLIZE_WORKERS=0) and a separate `npm run worker` process. The real `npm start` against the
// fake Discord, and the Slack adapter against the fake Slack, each get a result through Redis.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJobTag } from '../../src/discord/job-meta.ts';
import { baseEnv, freePort, startMain, until, type BotProcess } from '../../scripts/lib/bot-process.ts';
import { FakeDiscord, type RecordedRequest } from '../../scripts/lib/fakes/discord/index.ts';
import { askStylize } from './bot-harness.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';
import { startRedis, type TestRedis } from '../../scripts/lib/redis-server.ts';
import { startWorker, workerEnv, type WorkerProcess } from '../jobs/queue/redis/helpers.ts';
import { ALICE, CHANNEL, startHarness, type Harness } from '../slack/harness.ts';

let redis: TestRedis;
let dir: string;
let weights: string;
let worker: WorkerProcess;

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(path.join(os.tmpdir(), 'stylize-scale-'));
  weights = await writeRandomWeightsFile(path.join(dir, 'vgg19.safetensors'), 7);
  worker = await startWorker(workerEnv(redis.url, weights));
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await redis?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Discord: npm start on the shared queue, the job on a worker process', () => {
  let fake: FakeDiscord;
  let bot: BotProcess | undefined;

  beforeAll(async () => {
    fake = await FakeDiscord.start();
  });

  afterAll(async () => {
    if (bot && bot.child.exitCode === null && bot.child.signalCode === null) bot.child.kill('SIGKILL');
    await fake?.stop();
  });

  it('answers /stylize with a result computed by the worker, and is ready without an engine or weights of its own', async () => {
    const metricsPort = await freePort();
    bot = startMain(
      baseEnv({
        DISCORD_TOKEN: fake.token,
        DISCORD_APPLICATION_ID: fake.appId,
        DISCORD_API_URL: fake.apiUrl,
        // No weights: with STYLIZE_WORKERS=0 the bot needs none (a download would fail: no URL reaches it).
        STYLIZE_WEIGHTS_URL: 'http://127.0.0.1:9/none',
        STYLIZE_DATA_DIR: path.join(dir, 'discord-data'),
        STYLIZE_REDIS_URL: redis.url,
        STYLIZE_WORKERS: '0',
        STYLIZE_METRICS_PORT: String(metricsPort),
        STYLIZE_DISCORD_EDIT_INTERVAL_MS: '200',
      }),
      dir,
    );
    const ready = await until(async () => {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined);
      return res?.status === 200 && res;
    }, '/readyz 200');
    expect(ready.status).toBe(200);

    const { threadId } = await askStylize(fake, { size: 32, steps: 4 });
    const inThread = (r: RecordedRequest) => r.path.startsWith(`/channels/${threadId}/messages`) && r.status === 200;
    const isResult = (r: RecordedRequest) => inThread(r) && r.method === 'POST' && r.files.some((f) => f.name.startsWith('stylized'));
    const progress = await fake.waitFor((r) => r.method === 'POST' && inThread(r) && parseJobTag(String((r.body as { content?: string }).content)) !== undefined, 30_000, 'the progress message');
    const jobId = parseJobTag(String((progress.body as { content: string }).content))!;
    await fake.waitFor(isResult, 60_000, 'the result');
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.requests.filter(isResult)).toHaveLength(1);
    // It ran on the worker, not in the bot.
    expect(worker.log.some((l) => l.includes('job started') && l.includes(jobId))).toBe(true);
    expect(bot.logs().some((l) => l.msg === 'engine worker ready')).toBe(false);
    expect(bot.output()).not.toMatch(/redis:\/\/[^"\s]*:[^"\s*]+@/);
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
  });
});

describe('Slack: the adapter on the shared queue, the job on a worker process', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ updateIntervalMs: 200, redisUrl: redis.url });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('stylizes the attached images of a mention', async () => {
    const content = await h.image('content.png', 21, 32, 32);
    const style = await h.image('style.png', 22, 24, 24);
    const { message, response } = await h.slack.mention({ user: ALICE, channel: CHANNEL, text: 'please steps=2 size=32 preset=seed', files: [content, style] });
    expect(response.status).toBe(200);
    const role = (m: { metadata?: { event_payload: { role?: unknown } } }) => m.metadata?.event_payload.role;
    const result = await h.fake.waitFor('the result', () => h.botThread(message.ts).find((m) => role(m) === 'result'), 60_000);
    expect(result.text).toMatch(/transfer · preset seed · 32px · 2 steps/);
    const root = h.botThread(message.ts).find((m) => role(m) === 'root')!;
    const jobId = String(root.metadata!.event_payload.job_id);
    expect(h.jobs.get(jobId)?.state).toBe('completed');
    expect(worker.log.some((l) => l.includes('job started') && l.includes(jobId))).toBe(true);
  });
});
