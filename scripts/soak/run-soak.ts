// One soak run: the processes up (supervisor.ts), the users (load.ts) and the faults (faults.ts)
// for `minutes`, then no more faults, everything started again, the queue drained, and the checks
// (check.ts). Used by `npm run soak` (soak.ts) and by the short soak in npm test.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { until } from '../lib/bot-process.ts';
import { FakeDiscord } from '../lib/fakes/discord/index.ts';
import { FakeSlack, SlackRequests, SocketTransport } from '../lib/fakes/slack/index.ts';
import { writeRandomWeightsFile } from '../lib/random-weights.ts';
import { check, unfinishedJobs } from './check.ts';
import { faultSchedule, type Fault, type SoakMode } from './faults.ts';
import { LoadGenerator } from './load.ts';
import { Random } from './random.ts';
import { formatViolations, type FaultCount, type SoakSummary } from './report.ts';
import { Supervisor } from './supervisor.ts';

export interface SoakOptions {
  mode: SoakMode;
  seed: number;
  minutes: number;
  users: number;
  /** Worker processes on the shared queue. */
  workers: number;
  /** Pause of each user between two actions (ms). */
  pauseMs: [number, number];
  /** Every fault kind at least once even in a short run (npm test). */
  atLeastOneEach: boolean;
  /** Longest wait for the queue to drain after the faults stop. */
  drainTimeoutMs: number;
  keepDir?: boolean;
  backend?: string;
  log?: (line: string) => void;
  /** Set by soak.ts: called with the supervisor so Ctrl-C can kill what it started. */
  onSupervisor?: (s: Supervisor | undefined) => void;
}

const CHANNEL = 'C0SOAK001';
const MAX_INPUT_PIXELS = 96 * 96;
const MANIFEST = JSON.parse(readFileSync(new URL('../../src/slack/manifest.json', import.meta.url), 'utf8')) as { oauth_config: { scopes: { bot: string[] } } };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export interface SoakRun extends SoakSummary {
  /** Kept when there were violations (or with keepDir): the logs and the database. */
  dir: string;
  /** Each violation with its job's event trail. */
  trail: string;
}

export async function runSoak(o: SoakOptions): Promise<SoakRun> {
  const log = o.log ?? (() => undefined);
  const dir = mkdtempSync(path.join(os.tmpdir(), `stylize-soak-${o.mode}-`));
  const rng = new Random(o.seed);
  const weights = await writeRandomWeightsFile(path.join(dir, 'vgg19.safetensors'), 7);
  const discord = await FakeDiscord.start();
  const slack = new FakeSlack({ scopes: MANIFEST.oauth_config.scopes.bot });
  await slack.start();
  const sup = new Supervisor({
    mode: o.mode,
    dir,
    weights,
    workers: o.workers,
    backend: o.backend ?? 'wasm',
    chatEnv: {
      DISCORD_TOKEN: discord.token,
      DISCORD_APPLICATION_ID: discord.appId,
      DISCORD_API_URL: discord.apiUrl,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_APP_TOKEN: slack.appToken,
      SLACK_API_URL: slack.apiUrl,
      STYLIZE_MAX_INPUT_PIXELS: String(MAX_INPUT_PIXELS),
      STYLIZE_DISCORD_EDIT_INTERVAL_MS: '500',
      STYLIZE_SLACK_UPDATE_INTERVAL_MS: '500',
    },
  });
  o.onSupervisor?.(sup);
  const counts = new Map<string, FaultCount>();
  const load = new LoadGenerator({
    discord,
    slack,
    slackRequests: () => new SlackRequests(slack, new SocketTransport(slack)),
    slackChannel: CHANNEL,
    users: o.users,
    rng: rng.fork(1),
    maxInputPixels: MAX_INPUT_PIXELS,
  });
  let keep = false;
  const logFiles = ['bot', ...Array.from({ length: o.workers }, (_, i) => `worker-${i}`)].map((n) => sup.logPath(n));
  try {
    await sup.startAll();
    log(`${o.mode}: processes up in ${dir}`);
    const durationMs = Math.round(o.minutes * 60_000);
    const schedule = faultSchedule(rng.fork(2), o.mode, durationMs, o.workers, o.atLeastOneEach);
    const start = Date.now();
    const endAt = start + durationMs;
    const users = load.run(endAt, o.pauseMs);
    const restarts: Promise<void>[] = [];
    const inject = async (f: Fault) => {
      const key = `${f.kind} ${f.signal}`;
      const c = counts.get(key) ?? { kind: f.kind, signal: f.signal, injected: 0, skipped: 0 };
      counts.set(key, c);
      let from = Date.now();
      let killed = await sup.kill(f.kind, f.signal, f.target).catch(() => false);
      // Its process is down (another fault's restart under way): a little later, a few times.
      for (let retry = 0; !killed && retry < 5 && Date.now() + 2000 < endAt; retry++) {
        await sleep(2000);
        from = Date.now();
        killed = await sup.kill(f.kind, f.signal, f.target).catch(() => false);
      }
      if (!killed) {
        c.skipped++;
        return;
      }
      c.injected++;
      log(`${o.mode}: +${((from - start) / 1000).toFixed(1)} s ${f.kind}${f.kind === 'worker' || f.kind === 'engine' ? ` ${f.target}` : ''} ${f.signal}`);
      restarts.push(
        sleep(f.downMs)
          .then(() => sup.restart(f.kind, f.target))
          .catch((e: Error) => log(`restart of ${f.kind} failed: ${e.message}`)),
      );
    };
    for (const f of schedule) {
      await sleep(start + f.at - Date.now());
      if (Date.now() >= endAt) break;
      await inject(f);
    }
    await users;
    await Promise.all(restarts);
    await sup.restoreAll();
    const drainStart = Date.now();
    log(`${o.mode}: load and faults stopped; draining`);
    await until(() => unfinishedJobs(sup.dataDir) === 0, 'the queue to drain', o.drainTimeoutMs).catch(() => undefined);
    // The last final messages: wait until the chat APIs have been quiet for a few seconds (bounded).
    let last = -1;
    await until(
      async () => {
        const n = discord.requests.length + slack.messages.length;
        if (n === last) return true;
        last = n;
        await sleep(4000);
        return false;
      },
      'the chat APIs to go quiet',
      60_000,
    ).catch(() => undefined);
    const drainMs = Date.now() - drainStart;
    await sup.stopBot();
    const result = await check({ dataDir: sup.dataDir, redisUrl: sup.redis?.url, discord, slack, slackChannel: CHANNEL, actions: load.actions, badUsers: load.badUsers(), botDown: sup.botDown });
    const summary: SoakSummary = { mode: o.mode, seed: o.seed, minutes: o.minutes, actions: load.actions, faults: [...counts.values()], result, drainMs, unexpectedExits: sup.unexpectedExits };
    keep = result.violations.length > 0;
    return { ...summary, dir, trail: formatViolations(summary, logFiles) };
  } finally {
    load.stop();
    await sup.stopAll();
    o.onSupervisor?.(undefined);
    await discord.stop();
    await slack.stop();
    if (!o.keepDir && !keep) rmSync(dir, { recursive: true, force: true });
  }
}
