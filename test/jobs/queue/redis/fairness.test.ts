// Caps and the fair order on the shared queue: 20 users, 200 accepted jobs in four waves, three
// worker processes. Every refusal is the one the limits call for, every accepted job ends exactly
// once, and jobs start round by round (BullMQ priorities from the fair turns), not first come first served.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createJobService } from '../../../../src/jobs/create-job-service.ts';
import type { JobCoordinator } from '../../../../src/jobs/job-coordinator.ts';
import type { JobInputs } from '../../../../src/jobs/types.ts';
import { startRedis, type TestRedis } from '../../../../scripts/lib/redis-server.ts';
import { listenToWorkers, startWorker, TEST_TIMING, workerEnv, type WorkerProcess } from './helpers.ts';
import { makePng, owner, recordEvents, tempDir, weightsFile } from '../../helpers.ts';

let redis: TestRedis;
let tmp: ReturnType<typeof tempDir>;
let svc: JobCoordinator;
let rec: ReturnType<typeof recordEvents>;
let inputs: JobInputs;
let listener: Awaited<ReturnType<typeof listenToWorkers>>;
const workers: WorkerProcess[] = [];

const USERS = 20;
const TRIES = 4;
const CAP = 3;
const MAX_QUEUE = 50;
const WAVES = 4;
const zeroStep = { size: 16, steps: 0, optimizer: 'adam', preset: 'seed' };

beforeAll(async () => {
  redis = await startRedis();
  tmp = tempDir('bull-fair');
  const weights = await weightsFile(tmp.dir);
  inputs = { content: await makePng(16, 16, 1), styles: [await makePng(16, 12, 2)] };
  const env = workerEnv(redis.url, weights);
  workers.push(...(await Promise.all([startWorker(env), startWorker(env), startWorker(env)])));
  listener = await listenToWorkers(redis.url);
  svc = createJobService({
    dataDir: tmp.dir,
    weightsPath: weights,
    redisUrl: redis.url,
    workers: 0,
    queueTiming: TEST_TIMING,
    ceilings: { maxUserJobs: CAP, maxQueue: MAX_QUEUE },
  });
  rec = recordEvents(svc);
  await svc.start();
}, 120_000);

afterAll(async () => {
  await svc?.stop();
  listener?.close();
  await Promise.all(workers.map((w) => w.stop()));
  await redis?.close();
  tmp?.remove();
});

it('caps, refusals and the fair order hold for 20 users and 200 jobs across 3 workers', async () => {
  const allAccepted: string[] = [];
  let submitted = 0;
  for (let wave = 0; wave < WAVES && allAccepted.length < 200; wave++) {
    // Every user tries TRIES jobs, one user after the other: first come first served would run
    // user 0's jobs first. Nothing starts during this synchronous loop, so the refusals are exact.
    const turnOf = new Map<string, number>();
    const accepted: string[] = [];
    let waiting = 0;
    const start = wave % USERS;
    for (let k = 0; k < USERS; k++) {
      const user = `u${(start + k) % USERS}`;
      let mine = 0;
      for (let t = 0; t < TRIES; t++) {
        submitted++;
        const r = svc.submit({ owner: owner(user), inputs, options: zeroStep });
        if (mine >= CAP) {
          expect(r, `${user} try ${t}`).toMatchObject({ ok: false, reason: expect.stringContaining('maxUserJobs') });
        } else if (waiting >= MAX_QUEUE) {
          expect(r, `${user} try ${t}`).toMatchObject({ ok: false, reason: expect.stringContaining('maxQueue') });
        } else {
          if (!r.ok) throw new Error(`${user} try ${t} refused: ${r.reason}`);
          // Its place: behind every earlier job of a lower or equal turn (the fair order), not at the end.
          expect(r.position, `${user} try ${t}`).toBe(1 + [...turnOf.values()].filter((x) => x <= mine).length);
          turnOf.set(r.job.id, mine);
          accepted.push(r.job.id);
          mine++;
          waiting++;
        }
      }
    }
    for (const id of accepted) expect((await rec.waitEnd(id, 120_000)).event.type).toBe('completed');
    allAccepted.push(...accepted);

    // Jobs start round by round: no job starts before a job two turns earlier (neighbouring turns
    // may swap: three workers pick at once and report a moment apart). The first three start as
    // they arrive, whatever their turn: the workers are idle then, and an idle worker does not wait.
    const order = listener.messages.flatMap((m) => (m.t === 'started' && turnOf.has(m.id) ? [m.id] : []));
    expect(new Set(order).size).toBe(accepted.length);
    order.forEach((id, i) => {
      if (i < workers.length) return;
      const later = order.slice(i + 1).map((x) => turnOf.get(x)!);
      expect(Math.min(turnOf.get(id)!, ...later), `job ${i} (turn ${turnOf.get(id)})`).toBeGreaterThanOrEqual(turnOf.get(id)! - 1);
    });
    // The last user's first job did not wait behind everyone's three: it started in the first round.
    const lastUsersFirst = [...turnOf.entries()].filter(([, t]) => t === 0).at(-1)![0];
    expect(order.indexOf(lastUsersFirst)).toBeLessThan(accepted.filter((id) => turnOf.get(id) === 0).length + workers.length);
  }
  expect(allAccepted).toHaveLength(200);
  expect(submitted).toBe(4 * USERS * TRIES);
  // Every accepted job ended exactly once.
  for (const id of allAccepted) {
    expect(rec.of(id).filter((e) => ['completed', 'failed', 'cancelled'].includes(e.type))).toHaveLength(1);
  }
  expect(new Set(allAccepted).size).toBe(allAccepted.length);
  expect(svc.queueLength()).toBe(0);
}, 300_000);
