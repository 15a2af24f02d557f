// The chaos soak, short and seeded (npm run soak is the long one, docs/soak.md): the real bot,
// two workers and Redis under a few users on the fake Discord and Slack, with at least one fault of
// every kind (a worker SIGKILL/SIGTERM, the bot, Redis, an engine process alone); then every job
// must have been answered exactly once, bad inputs refused once with nothing stored, every other
// command (submits, re-runs, time-lapses, charts, cancels) answered once, nothing stuck,
// nothing of a finished job left in Redis, the database intact. The checks are about exactly-once,
// never about speed: the drain may take minutes on a loaded machine.
import { expect, it } from 'vitest';
import { runSoak } from '../../scripts/soak/run-soak.ts';
import { formatTable, summaryRows } from '../../scripts/soak/report.ts';

const SEED = 20;

it('loses and duplicates nothing while every kind of process is killed (seed 20, 90 s)', async () => {
  const run = await runSoak({
    mode: 'redis',
    seed: SEED,
    minutes: 1.5,
    users: 6,
    workers: 2,
    pauseMs: [1500, 4000],
    atLeastOneEach: true,
    drainTimeoutMs: 5 * 60_000,
  });
  const table = formatTable(summaryRows(run));
  expect(run.result.violations, `${table}\n${run.trail}\n(logs in ${run.dir})`).toEqual([]);
  for (const kind of ['worker', 'bot', 'redis', 'engine']) {
    expect(run.faults.filter((f) => f.kind === kind).reduce((n, f) => n + f.injected, 0), `${kind} faults\n${table}`).toBeGreaterThan(0);
  }
  // The load did reach the bot: jobs ended every way the checks cover.
  const states = new Set(run.result.jobs.map((j) => j.state));
  expect(states.has('completed'), table).toBe(true);
  expect(run.result.refused, table).toBeGreaterThan(0);
  // The submits were told apart (a job linked to each accepted one), not merely counted.
  expect(run.result.answers.submit.accepted, table).toBeGreaterThan(0);
}, 15 * 60_000);
