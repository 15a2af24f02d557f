// `npm start`: one process runs every chat platform whose tokens are set (Discord, Slack or both),
// sharing one job service; the optimisation itself runs in the job service's worker processes.
import dotenv from 'dotenv';
import { DEFAULT_WEIGHTS_URL } from './engine/weights/download.ts';
import { consoleDownloadProgress } from './engine/weights/progress.ts';
import { resolveWeightsPath } from './engine/weights/resolve.ts';
import { createJobService, jobServiceConfigFromEnv } from './jobs/service.ts';
import { logger } from './log.ts';

interface Running {
  name: string;
  stop(): Promise<void>;
}

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
  try {
    slackOptions = slack?.slackOptionsFromEnv(env);
  } catch (e) {
    fail((e as Error).message);
  }

  const url = env.STYLIZE_WEIGHTS_URL || DEFAULT_WEIGHTS_URL;
  const progress = consoleDownloadProgress(`downloading VGG-19 weights from ${url}`);
  let weightsPath: string;
  try {
    weightsPath = await resolveWeightsPath({ env, url, modelsDir: env.STYLIZE_MODELS_DIR || undefined, onProgress: progress.update });
  } catch (e) {
    fail((e as Error).message);
  } finally {
    progress.stop();
  }

  const jobs = createJobService(jobServiceConfigFromEnv(weightsPath, env));
  const running: Running[] = [];
  const stopAll = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    for (const r of running.reverse()) await r.stop().catch((e: Error) => logger.warn({ platform: r.name, err: e.message }, 'stop failed'));
    await jobs.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stopAll('SIGINT'));
  process.once('SIGTERM', () => void stopAll('SIGTERM'));

  try {
    if (wantDiscord) {
      const { startDiscord } = await import('./discord/bot.ts');
      const bot = await startDiscord({ jobs, token: env.DISCORD_TOKEN!.trim(), applicationId: env.DISCORD_APPLICATION_ID!.trim() });
      running.push({ name: 'discord', stop: () => bot.stop() });
      logger.info({ user: bot.client.user.tag }, 'Discord: connected');
    }
    if (slack && slackOptions) {
      const handle = await slack.startSlack({ jobs, ...slackOptions });
      running.push({ name: 'slack', stop: () => handle.stop() });
      logger.info({ mode: slackOptions.appToken ? 'socket' : 'http', port: handle.port }, 'Slack: running');
    }
    // After the adapters are listening, so that they hear the `resumed` events of recovered jobs.
    await jobs.start();
  } catch (e) {
    logger.error({ err: (e as Error).message }, 'a chat platform failed to start');
    for (const r of running) await r.stop().catch(() => undefined);
    await jobs.stop();
    fail((e as Error).message);
  }
}

await main();
