// `npm run soak`: the chaos soak. The real bot, workers and Redis under 20 users on the fake
// Discord and Slack while processes are killed at random (from --seed), then a check that every
// job was answered exactly once. See docs/soak.md.
//
//   npm run soak -- [--minutes 5] [--seed N] [--mode both|redis|local] [--users 20] [--keep]
import { parseArgs } from 'node:util';
import { runSoak } from './run-soak.ts';
import { formatTable, summaryRows } from './report.ts';
import type { Supervisor } from './supervisor.ts';
import type { SoakMode } from './faults.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    seed: { type: 'string' },
    mode: { type: 'string', default: 'both' },
    users: { type: 'string', default: '20' },
    workers: { type: 'string', default: '2' },
    backend: { type: 'string', default: 'wasm' },
    keep: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`soak: ${message}\n`);
  process.exit(2);
}

const minutes = Number(values.minutes);
if (!(minutes > 0 && minutes <= 24 * 60)) fail(`--minutes: expected a number of minutes above 0, got ${values.minutes}`);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isInteger(seed) || seed < 0) fail(`--seed: expected a whole number ≥ 0, got ${values.seed}`);
const users = Number(values.users);
if (!Number.isInteger(users) || users < 4 || users > 200) fail(`--users: expected 4 to 200, got ${values.users}`);
const workers = Number(values.workers);
if (!Number.isInteger(workers) || workers < 1 || workers > 8) fail(`--workers: expected 1 to 8, got ${values.workers}`);
const modes: SoakMode[] = values.mode === 'both' ? ['redis', 'local'] : values.mode === 'redis' || values.mode === 'local' ? [values.mode] : fail(`--mode: expected both, redis or local, got ${values.mode}`);

let current: Supervisor | undefined;
// Ctrl-C: everything this soak started dies with it (by process id), then it exits.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stderr.write(`soak: ${signal}: killing every process it started\n`);
    current?.killAllNow();
    process.exit(130);
  });
}

console.log(`soak: seed ${seed} (replay with --seed ${seed}), ${minutes} min per mode, modes ${modes.join(', ')}, ${users} users`);
let violations = 0;
for (const mode of modes) {
  const run = await runSoak({
    mode,
    seed,
    minutes,
    users,
    workers,
    pauseMs: [1000, 4000],
    atLeastOneEach: false,
    drainTimeoutMs: 10 * 60_000,
    keepDir: values.keep,
    backend: values.backend,
    log: (line) => console.log(`soak: ${line}`),
    onSupervisor: (s) => (current = s),
  });
  console.log(`\n${formatTable(summaryRows(run))}\n`);
  if (run.result.violations.length > 0) {
    violations += run.result.violations.length;
    console.log(run.trail);
    console.log(`\nsoak: logs and database kept in ${run.dir}`);
  }
}
console.log(violations === 0 ? `soak: passed (seed ${seed})` : `soak: ${violations} violations (seed ${seed})`);
process.exit(violations === 0 ? 0 : 1);
