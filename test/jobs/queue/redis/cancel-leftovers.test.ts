// Regression (soak, Redis mode, seed 303): a waiting job cancelled, the bot killed (SIGKILL) right
// after BullMQ removed the job and before the bot deleted the job's cancel flag: the flag stayed in
// Redis (for its 7-day TTL), the job long finished. A bot starting (or Redis coming back) now deletes
// the keys of jobs neither it nor BullMQ knows.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createJobService } from '../../../../src/jobs/create-job-service.ts';
import type { JobCoordinator } from '../../../../src/jobs/job-coordinator.ts';
import { startRedis, type TestRedis } from '../../../../scripts/lib/redis-server.ts';
import { TEST_TIMING } from './helpers.ts';
import { makePng, owner, tempDir, weightsFile } from '../../helpers.ts';

let redis: TestRedis;
let tmp: ReturnType<typeof tempDir>;
let weights: string;

beforeAll(async () => {
  redis = await startRedis();
  tmp = tempDir('bull-cancel-leftovers');
  weights = await weightsFile(tmp.dir);
}, 60_000);

afterAll(async () => {
  await redis?.close();
  tmp?.remove();
});

it('the keys a killed bot left of a cancelled waiting job are deleted when a bot starts', async () => {
  const dataDir = `${tmp.dir}/data`;
  const service = () => createJobService({ dataDir, weightsPath: weights, redisUrl: redis.url, workers: 0, queueTiming: TEST_TIMING });
  const r = new Redis(redis.url);
  try {
    const first: JobCoordinator = service();
    await first.start();
    const submit = async (user: string, seed: number) => {
      const res = first.submit({ owner: owner(user), inputs: { content: await makePng(16, 16, seed), styles: [await makePng(16, 16, seed + 1)] }, options: { size: 16, steps: 2 } });
      if (!res.ok) throw new Error(res.reason);
      return res.job.id;
    };
    const id = await submit('u1', 1);
    // Still waiting when the next bot starts: its keys are kept.
    const waiting = await submit('u2', 3);
    // No worker: both wait in BullMQ.
    await expect.poll(async () => r.exists(`stylize:jobs:${id}`, `stylize:jobs:${waiting}`)).toBe(2);
    expect(first.cancel(id, { userId: 'u1', isAdmin: false })).toEqual({ ok: true });
    await expect.poll(async () => r.keys(`*${id}*`)).toEqual([]);
    await first.stop();
    // What the kill between BullMQ's removal and the deletion of the keys leaves.
    await r.set(`stylize:cancel:${id}`, '1', 'EX', 7 * 24 * 3600);
    await r.set(`stylize:checkpoint:${id}`, 'x');
    await r.set(`stylize:crashes:${waiting}`, '1');
    const second: JobCoordinator = service();
    await second.start();
    try {
      expect(second.get(id)?.state).toBe('cancelled');
      await expect.poll(async () => r.keys(`*${id}*`), { timeout: 10_000 }).toEqual([]);
      expect(await r.exists(`stylize:crashes:${waiting}`)).toBe(1);
    } finally {
      await second.stop();
    }
  } finally {
    r.disconnect();
  }
}, 60_000);
