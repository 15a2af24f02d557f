// What the tests of the real bot process (`npm start`) against the local fake Slack share: one fake
// Slack granting exactly the manifest's scopes, random VGG weights and a scratch directory per test
// file, the bot's environment (Socket Mode, wasm, one engine thread, one data directory), start-up
// until /readyz answers, and every bot stopped at the end.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { baseEnv, freePort, startMain, until, type BotProcess } from '../../scripts/lib/bot-process.ts';
import { FakeSlack } from '../../scripts/lib/fakes/slack/index.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';
import { deliveredAt, failurePostedAt } from './bot-harness.ts';

export const MANIFEST = JSON.parse(readFileSync(new URL('../../src/slack/manifest.json', import.meta.url), 'utf8')) as {
  oauth_config: { scopes: { bot: string[] } };
};

/** The variables a bot needs to reach the fake Slack in Socket Mode. */
export function slackEnv(slack: FakeSlack): Record<string, string> {
  return { SLACK_BOT_TOKEN: slack.botToken, SLACK_APP_TOKEN: slack.appToken, SLACK_API_URL: slack.apiUrl };
}

export interface SlackBotHarness {
  /** Set in beforeAll. */
  slack: FakeSlack;
  dir: string;
  /** Starts `npm start`'s entry point on the file's data directory; resolves once /readyz answers 200. */
  start(): Promise<BotProcess>;
  /** SIGTERM and wait, unless it already ended. */
  stop(bot: BotProcess): Promise<void>;
  /** job_results.delivered_at of a job, read as another process would. */
  deliveredAt(jobId: string): number | null | undefined;
  /** jobs.failure_posted_at of a job, read as another process would. */
  failurePostedAt(jobId: string): number | null | undefined;
}

/** Registers the file's beforeAll/afterAll; the returned harness is usable inside tests. */
export function useSlackBotHarness(tmpPrefix: string, user: { id: string; name: string }): SlackBotHarness {
  const bots: BotProcess[] = [];
  let weights = '';
  const h: SlackBotHarness = {
    slack: undefined as unknown as FakeSlack,
    dir: '',
    async start() {
      const metricsPort = await freePort();
      const env = baseEnv({
        ...slackEnv(h.slack),
        STYLIZE_WEIGHTS: weights,
        STYLIZE_BACKEND: 'wasm',
        STYLIZE_ENGINE_THREADS: '1',
        STYLIZE_DATA_DIR: path.join(h.dir, 'data'),
        STYLIZE_METRICS_PORT: String(metricsPort),
      });
      const bot = startMain(env, h.dir);
      bots.push(bot);
      await until(async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined))?.status === 200, '/readyz 200', 90_000);
      return bot;
    },
    async stop(bot) {
      if (bot.child.exitCode === null && bot.child.signalCode === null) {
        bot.child.kill('SIGTERM');
        await bot.exited;
      }
    },
    deliveredAt: (jobId) => deliveredAt(path.join(h.dir, 'data'), jobId),
    failurePostedAt: (jobId) => failurePostedAt(path.join(h.dir, 'data'), jobId),
  };
  beforeAll(async () => {
    h.dir = mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
    weights = await writeRandomWeightsFile(path.join(h.dir, 'vgg19.safetensors'), 5);
    h.slack = new FakeSlack({ scopes: MANIFEST.oauth_config.scopes.bot });
    await h.slack.start();
    h.slack.addUser(user);
  }, 60_000);
  afterAll(async () => {
    for (const bot of bots) await h.stop(bot);
    await h.slack?.stop();
    if (h.dir) rmSync(h.dir, { recursive: true, force: true });
  });
  return h;
}
