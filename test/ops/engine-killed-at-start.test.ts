// Regression (soak, both modes): an engine process killed (SIGKILL, as the OOM killer does) while
// the bot or a worker was starting made the whole process exit with "the engine could not start"
// (exit code 1), waiting for systemd to start it again. The real processes here: `npm run worker`
// on a real Redis, and `npm start` on its local queue against the fake Discord; each has its engine
// killed the moment it is forked (long before it is ready), starts it again, stays up and runs a
// tiny job. Random weights, wasm, tiny images.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobService } from '../../src/jobs/create-job-service.ts';
import type { JobCoordinator } from '../../src/jobs/job-coordinator.ts';
import { baseEnv, freePort, startMain, until, type BotProcess } from '../../scripts/lib/bot-process.ts';
import { killEngineAsItStarts } from '../../scripts/lib/engine-child.ts';
import { FakeDiscord, type RecordedRequest } from '../../scripts/lib/fakes/discord/index.ts';
import { askStylize } from './bot-harness.ts';
import { makePng } from '../../scripts/lib/png.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';
import { startRedis, type TestRedis } from '../../scripts/lib/redis-server.ts';
import { startWorker, TEST_TIMING, workerEnv, type WorkerProcess } from '../jobs/queue/redis/helpers.ts';
import { owner, recordEvents } from '../jobs/helpers.ts';

const RETRY_LOGGED = 'the engine process died while starting; starting it again';

let dir: string;
let weights: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stylize-engine-killed-'));
  weights = await writeRandomWeightsFile(path.join(dir, 'vgg19.safetensors'), 7);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const alive = (child: { exitCode: number | null; signalCode: NodeJS.Signals | null }) => child.exitCode === null && child.signalCode === null;

/** The pino lines of a log, parsed (other lines dropped). */
function parsed(lines: string[]): Record<string, unknown>[] {
  return lines.flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

describe('npm run worker, its engine killed while the worker starts', () => {
  let redis: TestRedis;
  let svc: JobCoordinator;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    redis = await startRedis();
    svc = createJobService({ dataDir: path.join(dir, 'worker-bot'), weightsPath: weights, redisUrl: redis.url, workers: 0, queueTiming: TEST_TIMING });
    await svc.start();
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await svc?.stop();
    await redis?.close();
  });

  it('starts the engine again, stays up, and runs a job', async () => {
    const w = await startWorker(workerEnv(redis.url, weights), false);
    worker = w;
    const killed = await killEngineAsItStarts(w.child.pid!, { parentAlive: () => alive(w.child) });
    await until(
      () => {
        if (!alive(w.child)) throw new Error(`the worker exited (${w.child.exitCode}):\n${w.log.join('\n')}`);
        return w.log.some((l) => l.includes('worker taking jobs'));
      },
      'the worker taking jobs',
      90_000,
    );
    const logs = parsed(w.log);
    // The kill landed while the engine was starting (it was started again), and the engine now ready is another process.
    expect(logs.find((l) => l.msg === RETRY_LOGGED)).toMatchObject({ level: 40, err: 'the engine process exited during start-up (signal SIGKILL)', attempt: 1 });
    const ready = logs.filter((l) => l.msg === 'engine worker ready');
    expect(ready).toHaveLength(1);
    expect(ready[0].pid).not.toBe(killed);

    const rec = recordEvents(svc);
    const img = await makePng(16, 16, 3);
    const r = svc.submit({ owner: owner('w1'), inputs: { content: img, styles: [img] }, options: { size: 16, steps: 2, optimizer: 'adam', preset: 'seed' } });
    if (!r.ok) throw new Error(`refused: ${r.reason}`);
    expect((await rec.waitEnd(r.job.id, 60_000)).event.type).toBe('completed');
    expect(w.log.some((l) => l.includes('job started') && l.includes(r.job.id))).toBe(true);
    expect(alive(w.child)).toBe(true);
  }, 180_000);
});

describe('npm start on its local queue, its engine killed while the bot starts', () => {
  let fake: FakeDiscord;
  let bot: BotProcess | undefined;

  beforeAll(async () => {
    fake = await FakeDiscord.start();
  });

  afterAll(async () => {
    if (bot && alive(bot.child)) bot.child.kill('SIGKILL');
    await fake?.stop();
  });

  it('starts the engine again, becomes ready, and posts the result of /stylize', async () => {
    const port = await freePort();
    const b = startMain(
      baseEnv({
        DISCORD_TOKEN: fake.token,
        DISCORD_APPLICATION_ID: fake.appId,
        DISCORD_API_URL: fake.apiUrl,
        STYLIZE_WEIGHTS: weights,
        STYLIZE_BACKEND: 'wasm',
        STYLIZE_DATA_DIR: path.join(dir, 'bot-data'),
        STYLIZE_METRICS_PORT: String(port),
        STYLIZE_DISCORD_EDIT_INTERVAL_MS: '200',
      }),
      dir,
    );
    bot = b;
    const killed = await killEngineAsItStarts(b.child.pid!, { parentAlive: () => alive(b.child) });
    await until(
      async () => {
        if (!alive(b.child)) throw new Error(`the bot exited (${b.child.exitCode}):\n${b.output().slice(-3000)}`);
        const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        // The bot's log reaches this process through a pipe: its lines can arrive after /readyz answers.
        return res?.status === 200 && b.logs().some((l) => l.msg === 'engine worker ready');
      },
      '/readyz 200 and the engine ready in the log',
      90_000,
    );
    const logs = b.logs();
    expect(logs.find((l) => l.msg === RETRY_LOGGED)).toMatchObject({ level: 40, err: 'the engine process exited during start-up (signal SIGKILL)', attempt: 1 });
    const ready = logs.filter((l) => l.msg === 'engine worker ready');
    expect(ready).toHaveLength(1);
    expect(ready[0].pid).not.toBe(killed);

    const { threadId } = await askStylize(fake, { size: 32, steps: 2 });
    const isResult = (r: RecordedRequest) => r.path.startsWith(`/channels/${threadId}/messages`) && r.status === 200 && r.method === 'POST' && r.files.some((f) => f.name.startsWith('stylized'));
    await fake.waitFor(isResult, 60_000, 'the result');
    expect(alive(b.child)).toBe(true);
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  }, 180_000);
});
