// `npm start`: one process runs every chat platform whose tokens are set (Discord, Slack or both),
// sharing one job service; the optimisation itself runs in the job service's worker processes.
import dotenv from 'dotenv';
import { resolveWeightsForProcess } from './engine/weights/resolve.ts';
import { createJobService } from './jobs/create-job-service.ts';
import { jobServiceConfigFromEnv, shutdownGraceFromEnv } from './jobs/service-config.ts';
import { logger } from './log.ts';
import { StylizeMetrics } from './ops/metrics.ts';
import { opsAddressFromEnv, startOpsServer, type OpsServer } from './ops/ops-server.ts';

interface Running {
  name: string;
  connected(): boolean;
  stop(): Promise<void>;
}

/** Exit codes of a second signal, which ends the process at once: 128 + the signal's number. */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

export const PLATFORM_HELP = `stylize: no chat platform is configured. Set, in the environment or in .env:
  Discord: DISCORD_TOKEN and DISCORD_APPLICATION_ID
  Slack:   SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Socket Mode), or SLACK_SIGNING_SECRET and PORT (HTTP mode)
See .env.example and the README. To try the engine without chat tokens: npx stylize --help`;

function fail(message: string): never {
  process.stderr.write(`stylize: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  const env = process.env;
  const wantDiscord = Boolean(env.DISCORD_TOKEN?.trim());
  const wantSlack = Boolean(env.SLACK_BOT_TOKEN?.trim());
  if (!wantDiscord && !wantSlack) {
    process.stderr.write(PLATFORM_HELP + '\n');
    process.exit(1);
  }
  if (wantDiscord && !env.DISCORD_APPLICATION_ID?.trim()) fail('DISCORD_APPLICATION_ID is not set (General Information → Application ID)');
  // Validate every setting before anything slow starts, so a typo is one line, not a stack.
  const slack = wantSlack ? await import('./slack/app.ts') : undefined;
  let slackOptions: ReturnType<NonNullable<typeof slack>['slackOptionsFromEnv']> | undefined;
  let opsAddress: ReturnType<typeof opsAddressFromEnv>;
  let graceS: number;
  let jobsConfig: ReturnType<typeof jobServiceConfigFromEnv>;
  try {
    jobsConfig = jobServiceConfigFromEnv('', env);
    slackOptions = slack?.slackOptionsFromEnv(env);
    opsAddress = opsAddressFromEnv(env);
    graceS = shutdownGraceFromEnv(env);
  } catch (e) {
    fail((e as Error).message);
  }

  // A bot on the shared queue with no engine of its own needs no weights: the workers have them.
  let weightsPath = '';
  if (jobsConfig.workers !== 0) {
    try {
      weightsPath = await resolveWeightsForProcess(env);
    } catch (e) {
      fail((e as Error).message);
    }
  }

  const metrics = opsAddress ? new StylizeMetrics() : undefined;
  const jobs = createJobService({ ...jobsConfig, weightsPath, metrics });
  const running: Running[] = [];
  const wanted = [...(wantDiscord ? ['discord'] : []), ...(slack ? ['slack'] : [])];
  let ops: OpsServer | undefined;
  let shuttingDown = false;

  // Graceful: new commands are refused ("restarting"), running jobs checkpoint, the engines stop,
  // then the chat connections close. Whatever is not done within the grace period is left to the
  // next start (a job without a fresh checkpoint resumes from its latest preview).
  const shutdown = async (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(SIGNAL_EXIT[signal] ?? 1);
    }
    shuttingDown = true;
    const deadline = Date.now() + graceS * 1000;
    logger.info({ signal, graceS }, 'shutting down');
    const force = setTimeout(() => {
      logger.warn({ graceS }, 'shutdown took longer than STYLIZE_SHUTDOWN_GRACE_S; exiting');
      process.exit(0);
    }, Math.max(0, graceS * 1000 - 200));
    force.unref();
    jobs.beginShutdown();
    // Leave about half of the grace period for the chat connections to close after the checkpoints.
    await jobs.stopEngines({ checkpointWithinMs: Math.max(500, (deadline - Date.now()) / 2) });
    for (const r of running.reverse()) await r.stop().catch((e: Error) => logger.warn({ platform: r.name, err: e.message }, 'stop failed'));
    await jobs.stop();
    await ops?.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', (s) => void shutdown(s));
  process.on('SIGTERM', (s) => void shutdown(s));

  // Up before the chat logins, so /healthz answers (and /readyz says what is missing) while they run.
  if (opsAddress && metrics) {
    try {
      ops = await startOpsServer({
        ...opsAddress,
        metrics,
        notReady: () => {
          if (shuttingDown) return 'shutting down';
          for (const name of wanted) {
            const r = running.find((x) => x.name === name);
            if (!r) return `${name} is not connected yet`;
            if (!r.connected()) return `${name} is not connected`;
          }
          return jobs.notReady();
        },
      });
    } catch (e) {
      await jobs.stop();
      fail((e as Error).message);
    }
  }

  let startingJobs = false;
  try {
    if (wantDiscord) {
      const { startDiscord } = await import('./discord/bot.ts');
      const bot = await startDiscord({ jobs, token: env.DISCORD_TOKEN!.trim(), applicationId: env.DISCORD_APPLICATION_ID!.trim(), metrics });
      running.push({ name: 'discord', connected: () => bot.connected(), stop: () => bot.stop() });
      logger.info({ user: bot.client.user.tag }, 'Discord: connected');
    }
    if (slack && slackOptions) {
      const handle = await slack.startSlack({ jobs, ...slackOptions, metrics });
      running.push({ name: 'slack', connected: () => handle.connected(), stop: () => handle.stop() });
      logger.info({ mode: slackOptions.appToken ? 'socket' : 'http', port: handle.port }, 'Slack: running');
    }
    // After the adapters are listening, so that they hear the `resumed` events of recovered jobs.
    startingJobs = true;
    if (!shuttingDown) await jobs.start();
  } catch (e) {
    logger.error({ err: (e as Error).message }, startingJobs ? 'the job queue failed to start' : 'a chat platform failed to start');
    for (const r of running) await r.stop().catch(() => undefined);
    await jobs.stop();
    await ops?.close();
    fail((e as Error).message);
  }
}

await main();
