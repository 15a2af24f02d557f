// `npm run worker`: a machine that only runs jobs. It connects to the shared queue
// (STYLIZE_REDIS_URL), starts STYLIZE_WORKERS engine processes (default 1) with the weights loaded
// once each, and takes jobs as its engines free up. No chat tokens: results go back through Redis.
import dotenv from 'dotenv';
import { resolveWeightsForProcess } from './engine/weights/resolve.ts';
import { ENGINE_CHILD_ENTRY } from './jobs/engine-process/parent-handle.ts';
import { engineThreadsFor } from './jobs/queue/create-queue.ts';
import { redactRedisUrl } from './jobs/queue/redis/redis-url.ts';
import { queueTimingFromEnv } from './jobs/queue/redis/shared.ts';
import { RedisWorkerPool } from './jobs/queue/redis/worker-pool.ts';
import { shutdownGraceFromEnv } from './jobs/service-config.ts';
import { logger } from './log.ts';
import { opsAddressFromEnv, startOpsServer, type OpsServer } from './ops/ops-server.ts';
import { StylizeMetrics } from './ops/metrics.ts';

function fail(message: string): never {
  process.stderr.write(`stylize worker: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  const env = process.env;
  const redisUrl = env.STYLIZE_REDIS_URL?.trim();
  if (!redisUrl) fail('STYLIZE_REDIS_URL is not set: a worker takes its jobs from the shared queue (redis://host:6379)');
  const workers = env.STYLIZE_WORKERS?.trim() ? Number(env.STYLIZE_WORKERS) : 1;
  if (!Number.isInteger(workers) || workers < 1) fail(`STYLIZE_WORKERS: got ${JSON.stringify(env.STYLIZE_WORKERS)}, expected a whole number ≥ 1`);
  let timing;
  let opsAddress;
  let graceS: number;
  try {
    timing = queueTimingFromEnv(env);
    opsAddress = opsAddressFromEnv(env);
    graceS = shutdownGraceFromEnv(env);
  } catch (e) {
    fail((e as Error).message);
  }

  let weightsPath: string;
  try {
    weightsPath = await resolveWeightsForProcess(env);
  } catch (e) {
    fail((e as Error).message);
  }

  const metrics = new StylizeMetrics();
  const pool = new RedisWorkerPool({
    redisUrl,
    workers,
    timing,
    entry: ENGINE_CHILD_ENTRY,
    weightsPath,
    backend: env.STYLIZE_BACKEND?.trim() || undefined,
    engineThreads: engineThreadsFor(workers),
    onRestart: () => metrics.engineRestarts.inc(),
  });
  let ops: OpsServer | undefined;
  let stopping = false;
  // Graceful: running jobs checkpoint into Redis and go back to the queue, where the next free
  // worker resumes them; a second signal exits at once.
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal, graceS }, 'worker shutting down');
    const force = setTimeout(() => process.exit(0), Math.max(0, graceS * 1000 - 200));
    force.unref();
    await pool.stop({ checkpointWithinMs: Math.max(500, (graceS * 1000) / 2) });
    await ops?.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  if (opsAddress) {
    ops = await startOpsServer({
      ...opsAddress,
      metrics,
      notReady: () => (stopping ? 'shutting down' : pool.notReady()),
    });
  }
  const engines = await pool.start();
  if (engines === 0) {
    logger.error({ engines: workers }, 'no engine could start: this worker takes no jobs');
    await pool.stop();
    process.exit(1);
  }
  logger.info({ redis: redactRedisUrl(redisUrl), engines, of: workers, pids: pool.pids }, 'worker taking jobs');
}

await main();
