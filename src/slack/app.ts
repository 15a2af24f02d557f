// Starting the Slack adapter. Socket Mode when an app-level token is given (no public URL needed),
// else Bolt's HTTP receiver on PORT at /slack/events, every request checked against the signing
// secret. The job service is created and started by the caller; this only listens to it.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { App, webApi } from '@slack/bolt';
import { registerSlackListeners } from '../../commands/slack/index.ts';
import type { JobService } from '../jobs/types.ts';
import { logger } from '../log.ts';
import type { ChatMetrics } from '../ops/metrics.ts';
import { AdminChecker } from './admins.ts';
import { boltLogger } from './bolt-logger.ts';
import type { SlackDeps } from './context.ts';
import { JobMessageIndex } from './job-messages.ts';
import { SlackJobView } from './job-view.ts';
import { slackConfigFromEnv, type SlackConfig } from './adapter-config.ts';

const log = logger.child({ module: 'slack' });

export interface StartSlackOptions {
  jobs: JobService;
  /** xoxb-… (SLACK_BOT_TOKEN). */
  botToken: string;
  /** xapp-… (SLACK_APP_TOKEN): selects Socket Mode. */
  appToken?: string;
  /** SLACK_SIGNING_SECRET: required in HTTP mode. */
  signingSecret?: string;
  /** HTTP mode only (PORT, default 3000; 0 picks a free port). */
  port?: number;
  /** Web API base URL (SLACK_API_URL), e.g. a local fake Slack. */
  apiUrl?: string;
  /** Overrides of the STYLIZE_* adapter settings read from the environment. */
  config?: Partial<SlackConfig>;
  /** Where to count API errors and rate limits (the bot's /metrics). */
  metrics?: ChatMetrics;
}

export interface SlackHandle {
  app: App;
  /** The port the HTTP receiver listens on (HTTP mode). */
  port?: number;
  /** Started and not stopped (readiness). */
  connected(): boolean;
  stop(): Promise<void>;
}

/** Reads SLACK_* from the environment; throws a one-line message when a token is missing. */
export function slackOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Omit<StartSlackOptions, 'jobs'> {
  const botToken = env.SLACK_BOT_TOKEN?.trim();
  if (!botToken) throw new Error('SLACK_BOT_TOKEN is not set (the xoxb-… token from OAuth & Permissions)');
  const appToken = env.SLACK_APP_TOKEN?.trim() || undefined;
  const signingSecret = env.SLACK_SIGNING_SECRET?.trim() || undefined;
  if (!appToken && !signingSecret) {
    throw new Error('set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode, with PORT)');
  }
  const port = env.PORT?.trim() ? Number(env.PORT) : undefined;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new Error(`PORT: got "${env.PORT}", expected a port number`);
  return { botToken, appToken, signingSecret, port, apiUrl: env.SLACK_API_URL?.trim() || undefined };
}

export async function startSlack(opts: StartSlackOptions): Promise<SlackHandle> {
  const config: SlackConfig = { ...slackConfigFromEnv(), ...opts.config };
  const apiUrl = opts.apiUrl ? (opts.apiUrl.endsWith('/') ? opts.apiUrl : `${opts.apiUrl}/`) : undefined;
  const clientOptions = {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    // The default policy retries for half an hour; a progress edit that old is useless.
    retryConfig: { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 5000 },
  };
  const socketMode = Boolean(opts.appToken);
  if (!socketMode && !opts.signingSecret) throw new Error('Slack HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)');
  const app = socketMode
    ? new App({ token: opts.botToken, appToken: opts.appToken, socketMode: true, logger: boltLogger(), clientOptions })
    : new App({ token: opts.botToken, signingSecret: opts.signingSecret, logger: boltLogger(), clientOptions });

  const index = new JobMessageIndex();
  const jobView = new SlackJobView({
    jobs: opts.jobs,
    client: app.client,
    index,
    updateIntervalMs: config.updateIntervalMs,
    previewIntervalMs: config.previewIntervalMs,
    onApiError: () => opts.metrics?.chatApiError('slack'),
  });
  app.client.on(webApi.WebClientEvent.RATE_LIMITED, () => opts.metrics?.chatRateLimited('slack'));
  const deps: SlackDeps = { jobs: opts.jobs, jobView, index, admins: new AdminChecker(), config, botToken: opts.botToken, apiUrl };
  registerSlackListeners(app, deps);
  app.error(async (error) => {
    log.error({ err: error.message, code: (error as { code?: string }).code }, 'slack listener error');
  });

  jobView.attach();
  let port: number | undefined;
  try {
    if (socketMode) {
      await app.start();
    } else {
      const server = (await app.start(opts.port ?? 3000)) as Server;
      port = (server.address() as AddressInfo).port;
    }
  } catch (e) {
    jobView.detach();
    throw e;
  }
  log.info({ mode: socketMode ? 'socket' : 'http', port }, 'slack adapter started');

  let stopped = false;
  return {
    app,
    port,
    connected: () => !stopped,
    async stop() {
      if (stopped) return;
      stopped = true;
      jobView.detach();
      // Messages already scheduled (a result upload) still go out; nothing new is scheduled.
      await Promise.race([jobView.idle(), new Promise((r) => setTimeout(r, 10_000).unref())]);
      await app.stop();
    },
  };
}
