// 200 real tiny jobs from 20 users through two engine workers: every submit is predicted by an
// independent model of the caps (per-user and queue length), every job ends exactly once, positions
// always form 1..n and a job only starts from the head of the queue.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createJobService } from '../../src/jobs/create-job-service.ts';
import type { JobCoordinator } from '../../src/jobs/job-coordinator.ts';
import type { JobInputs } from '../../src/jobs/types.ts';
import { makePng, owner, tempDir, weightsFile } from './helpers.ts';

const USERS = 20;
const JOBS = 200;
const CAP = 2;
const MAX_QUEUE = 25;
const WORKERS = 2;

let tmp: ReturnType<typeof tempDir>;
let svc: JobCoordinator;
let inputs: JobInputs;

beforeAll(async () => {
  tmp = tempDir('load');
  const weights = await weightsFile(tmp.dir);
  inputs = { content: await makePng(16, 16, 3), styles: [await makePng(16, 16, 4)] };
  svc = createJobService({
    dataDir: tmp.dir,
    weightsPath: weights,
    backend: 'wasm',
    engineThreads: 1,
    workers: WORKERS,
    ceilings: { maxUserJobs: CAP, maxQueue: MAX_QUEUE },
  });
  await svc.start();
});

afterAll(async () => {
  await svc?.stop();
  tmp?.remove();
});

/** xorshift: the same sequence of submits and cancels on every run. */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

it('holds the caps, ends every job once and keeps positions right for 200 jobs from 20 users', async () => {
  const random = rng(12345);
  const problems: string[] = [];
  const userOf = new Map<string, string>();
  const active = new Map<string, Set<string>>(); // user → unfinished job ids
  const waiting = new Map<string, number>(); // job → last reported position
  const running = new Set<string>();
  const ended = new Map<string, string>();
  const submitPosition = new Map<string, number>();
  const firstPosition = new Map<string, number>();
  let maxRunning = 0;
  const refusals = { user: 0, queue: 0 };
  let cancels = 0;

  svc.on((event, job) => {
    const id = job.id;
    if (ended.has(id)) problems.push(`${event.type} after ${ended.get(id)} for ${id}`);
    switch (event.type) {
      case 'queued':
        if (!firstPosition.has(id)) firstPosition.set(id, event.position);
        waiting.set(id, event.position);
        break;
      case 'started': {
        const head = [...waiting.entries()].sort((a, b) => a[1] - b[1])[0];
        if (head?.[0] !== id) problems.push(`${id} started but the head of the queue was ${head?.[0]}`);
        waiting.delete(id);
        running.add(id);
        maxRunning = Math.max(maxRunning, running.size);
        break;
      }
      case 'completed':
      case 'failed':
      case 'cancelled':
        ended.set(id, event.type);
        waiting.delete(id);
        running.delete(id);
        active.get(userOf.get(id)!)?.delete(id);
        if (event.type === 'failed') problems.push(`${id} failed: ${event.reason}`);
        break;
    }
  });

  let accepted = 0;
  const budget = new Map(Array.from({ length: USERS }, (_, i) => [`user${i}`, JOBS / USERS]));
  await new Promise<void>((resolve, reject) => {
    const tick = () => {
      try {
        // Between ticks every event has been delivered, so the model and the service must agree.
        const positions = [...waiting.values()].sort((a, b) => a - b);
        if (positions.some((p, i) => p !== i + 1)) problems.push(`positions ${positions.join(',')} are not 1..${positions.length}`);
        if (positions.length !== svc.queueLength()) problems.push(`model has ${positions.length} waiting, service ${svc.queueLength()}`);

        const roll = random();
        if (roll < 0.03 && waiting.size > 0) {
          const ids = [...waiting.keys()];
          const id = ids[Math.floor(random() * ids.length)];
          expect(svc.cancel(id, { userId: userOf.get(id)!, isAdmin: false })).toEqual({ ok: true });
          cancels++;
        } else if (roll < 0.04 && running.size > 0) {
          const id = [...running][0];
          expect(svc.cancel(id, { userId: 'an-admin', isAdmin: true }).ok).toBe(true);
          cancels++;
        } else if (accepted < JOBS) {
          const users = [...budget.entries()].filter(([, n]) => n > 0).map(([u]) => u);
          const user = users[Math.floor(random() * users.length)];
          const mine = active.get(user)?.size ?? 0;
          const expected = mine >= CAP ? 'user' : waiting.size >= MAX_QUEUE ? 'queue' : 'ok';
          const r = svc.submit({ owner: owner(user), inputs, options: { size: 16, steps: 1, optimizer: 'adam', preset: 'seed' } });
          if (r.ok) {
            if (expected !== 'ok') problems.push(`accepted a job the model refuses (${expected})`);
            userOf.set(r.job.id, user);
            if (!active.has(user)) active.set(user, new Set());
            active.get(user)!.add(r.job.id);
            submitPosition.set(r.job.id, r.position);
            budget.set(user, budget.get(user)! - 1);
            accepted++;
          } else {
            const got = /maxUserJobs/.test(r.reason) ? 'user' : /maxQueue/.test(r.reason) ? 'queue' : r.reason;
            if (got !== expected) problems.push(`refused (${got}) where the model expects ${expected}`);
            if (got === 'user' || got === 'queue') refusals[got]++;
          }
        }
        if (accepted === JOBS && ended.size === JOBS) resolve();
        else setTimeout(tick, 4);
      } catch (e) {
        reject(e as Error);
      }
    };
    tick();
  });

  expect(problems).toEqual([]);
  expect(ended.size).toBe(JOBS);
  expect(new Set(ended.values())).toEqual(new Set(['completed', 'cancelled']));
  expect([...ended.values()].filter((s) => s === 'cancelled').length).toBeLessThanOrEqual(cancels);
  expect(refusals.user).toBeGreaterThan(0);
  expect(refusals.queue).toBeGreaterThan(0);
  expect(maxRunning).toBe(WORKERS);
  for (const [id, p] of submitPosition) expect(firstPosition.get(id), id).toBe(p);
  expect(svc.queueLength()).toBe(0);
  for (let i = 0; i < USERS; i++) expect(svc.listActive('discord', 'g1', `user${i}`)).toEqual([]);
}, 300_000);
