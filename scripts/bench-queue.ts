// The shared queue's own cost: a real redis-server, N `npm run worker` processes, 0-step jobs (so
// the engine adds almost nothing). Measures, as the bot sees it:
//   - submit-to-start latency (submit() → the job's `started` event) with an idle worker, p50/p99;
//   - throughput: jobs per second with a burst of jobs on N workers;
//   - the bot's event-loop lag p99 during that burst (the queue must not stall chat handlers).
// Goal: latency p99 < 50 ms, lag p99 < 50 ms.
//   npm run bench:queue [-- --workers 3 --jobs 300 --latency-jobs 100]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createJobService } from '../src/jobs/create-job-service.ts';
import type { JobEvent } from '../src/jobs/types.ts';
import { makePng } from './lib/png.ts';
import { writeRandomWeightsFile } from './lib/random-weights.ts';
import { startRedis } from './lib/redis-server.ts';

const GOAL_P99_MS = 50;
const { values: args } = parseArgs({
  options: {
    workers: { type: 'string', default: '3' },
    jobs: { type: 'string', default: '300' },
    'latency-jobs': { type: 'string', default: '100' },
  },
});

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

function startWorkerProcess(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(import.meta.dirname, '../src/worker.ts')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('worker taking jobs') && resolve(child));
    child.once('exit', (code) => reject(new Error(`a worker exited (${code})`)));
  });
}

async function main(): Promise<void> {
  const workers = Number(args.workers);
  const burst = Number(args.jobs);
  const latencyJobs = Number(args['latency-jobs']);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stylize-bench-queue-'));
  const redis = await startRedis();
  const children: ChildProcess[] = [];
  try {
    const weightsPath = process.env.STYLIZE_WEIGHTS ?? (await writeRandomWeightsFile(path.join(dir, 'vgg19-random.safetensors'), 1));
    const env = {
      ...process.env,
      STYLIZE_REDIS_URL: redis.url,
      STYLIZE_WEIGHTS: weightsPath,
      STYLIZE_WORKERS: '1',
      STYLIZE_ENGINE_THREADS: '1',
      STYLIZE_LOG_LEVEL: 'info',
    };
    console.log(`redis-server on ${redis.url}; starting ${workers} worker process(es)…`);
    children.push(...(await Promise.all(Array.from({ length: workers }, () => startWorkerProcess(env)))));
    for (const c of children) c.stdout!.resume();
    const service = createJobService({
      dataDir: path.join(dir, 'data'),
      weightsPath,
      redisUrl: redis.url,
      workers: 0,
      ceilings: { maxUserJobs: 1000, maxQueue: 10_000 },
    });
    await service.start();
    const inputs = { content: await makePng(16, 16, 1), styles: [await makePng(16, 16, 2)] };
    const options = { size: 16, steps: 0, optimizer: 'adam', preset: 'seed' };
    const submittedAt = new Map<string, number>();
    const latencies: number[] = [];
    const ended = new Map<string, () => void>();
    service.on((event: JobEvent, job) => {
      if (event.type === 'started' && submittedAt.has(job.id)) latencies.push(performance.now() - submittedAt.get(job.id)!);
      if (event.type === 'completed' || event.type === 'failed' || event.type === 'cancelled') ended.get(job.id)?.();
    });
    const submit = (user: string) => {
      const t = performance.now();
      const r = service.submit({ owner: { platform: 'cli', workspaceId: 'bench', channelId: 'bench', userId: user }, inputs, options });
      if (!r.ok) throw new Error(r.reason);
      submittedAt.set(r.job.id, t);
      return new Promise<void>((resolve) => ended.set(r.job.id, resolve));
    };

    // Latency: one job at a time, every worker idle when it is submitted.
    for (let i = 0; i < 5; i++) await submit('warmup');
    latencies.length = 0;
    for (let i = 0; i < latencyJobs; i++) await submit(`lat${i % 10}`);
    const idleLatency = [...latencies];

    // Throughput and the bot's lag: a burst from many users on every worker.
    latencies.length = 0;
    const lag = monitorEventLoopDelay({ resolution: 10 });
    const t0 = performance.now();
    lag.enable();
    await Promise.all(Array.from({ length: burst }, (_, i) => submit(`u${i % 50}`)));
    lag.disable();
    const seconds = (performance.now() - t0) / 1000;
    await service.stop();

    const f = (x: number) => x.toFixed(1);
    const lagP99 = lag.percentile(99) / 1e6 - 10;
    console.log(`\nworkers: ${workers} · 0-step 16 px jobs · Node ${process.version} · ${os.cpus().length} cores`);
    console.log(`submit→start, idle worker (${idleLatency.length} jobs): p50 ${f(pct(idleLatency, 50))} ms · p99 ${f(pct(idleLatency, 99))} ms (goal p99 < ${GOAL_P99_MS} ms)`);
    console.log(`burst of ${burst} jobs: ${f(burst / seconds)} jobs/s · submit→start p50 ${f(pct(latencies, 50))} ms (waiting included)`);
    console.log(`bot event-loop lag during the burst: p99 ${f(Math.max(0, lagP99))} ms over the 10 ms timer (goal < ${GOAL_P99_MS} ms)`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await redis.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
