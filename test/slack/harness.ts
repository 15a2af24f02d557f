// The Slack adapter wired to the real job service (temp data dir, random weights, one worker) and
// to the fake Slack, in HTTP mode: tests talk to it only through signed requests, and read what it
// did from the fake's records.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createJobService } from '../../src/jobs/create-job-service.ts';
import type { JobService } from '../../src/jobs/types.ts';
import { startSlack, type SlackHandle } from '../../src/slack/app.ts';
import { FakeSlack, HttpTransport, SlackRequests, SocketTransport, type FakeSlackOptions } from '../helpers/fake-slack/index.ts';
import type { FakeMessage } from '../helpers/fake-slack/types.ts';
import { makePng } from '../../scripts/lib/png.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const CHANNEL = 'C0GENERAL';
export const ALICE = 'U0ALICE01';
export const BOB = 'U0BOB0001';
export const ADMIN = 'U0ADMIN01';

export const MANIFEST = JSON.parse(readFileSync(new URL('../../src/slack/manifest.json', import.meta.url), 'utf8')) as {
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[] }; interactivity: { is_enabled: boolean }; socket_mode_enabled: boolean };
  features: { slash_commands: { command: string }[] };
};

export { makePng };

export interface Harness {
  fake: FakeSlack;
  slack: SlackRequests;
  jobs: JobService;
  handle: SlackHandle;
  /** A user-uploaded PNG in the fake, ready to attach. */
  image(name: string, seed: number, width?: number, height?: number): Promise<ReturnType<FakeSlack['addFile']>>;
  /** The bot's messages in a thread, oldest first. */
  botThread(threadTs: string, channel?: string): FakeMessage[];
  /** Stops the Slack adapter and starts a fresh one on the same job service (a bot restart). */
  restartSlack(): Promise<void>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  fake?: FakeSlackOptions;
  updateIntervalMs?: number;
  previewIntervalMs?: number;
  /** 'http' (default): signed requests to /slack/events; 'socket': Socket Mode over the fake's WebSocket. */
  mode?: 'http' | 'socket';
  /** The shared queue on this Redis with no engine in the bot (STYLIZE_WORKERS=0): the test runs the workers. */
  redisUrl?: string;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stylize-slack-'));
  const weightsPath = await writeRandomWeightsFile(path.join(dir, 'vgg19.safetensors'), 11);
  // The fake grants exactly the manifest's scopes: a call the manifest does not cover fails.
  const fake = new FakeSlack({ scopes: MANIFEST.oauth_config.scopes.bot, ...opts.fake });
  await fake.start();
  fake.addUser({ id: ALICE, name: 'alice' });
  fake.addUser({ id: BOB, name: 'bob' });
  fake.addUser({ id: ADMIN, name: 'admin', is_admin: true });
  const shared = opts.redisUrl ? { redisUrl: opts.redisUrl, workers: 0 } : { workers: 1 };
  const jobs = createJobService({ dataDir: path.join(dir, 'data'), weightsPath, engineThreads: 1, ...shared });
  await jobs.start();
  const socket = opts.mode === 'socket';
  const launch = async () => {
    const handle = await startSlack({
      jobs,
      botToken: fake.botToken,
      ...(socket ? { appToken: fake.appToken } : { signingSecret: SIGNING_SECRET, port: 0 }),
      apiUrl: fake.apiUrl,
      config: { updateIntervalMs: opts.updateIntervalMs ?? 100, previewIntervalMs: opts.previewIntervalMs ?? 60_000 },
    });
    const transport = socket ? new SocketTransport(fake) : new HttpTransport(`http://127.0.0.1:${handle.port}`, SIGNING_SECRET);
    return { handle, slack: new SlackRequests(fake, transport) };
  };
  const first = await launch();
  const h: Harness = {
    fake,
    jobs,
    handle: first.handle,
    slack: first.slack,
    image: async (name, seed, width = 32, height = width) =>
      fake.addFile({ name, bytes: await makePng(width, height, seed), user: ALICE, original_w: width, original_h: height }),
    botThread: (threadTs, channel = CHANNEL) => fake.thread(channel, threadTs).filter((m) => m.user === fake.botUserId),
    async restartSlack() {
      await h.handle.stop();
      const next = await launch();
      h.handle = next.handle;
      h.slack = next.slack;
    },
    async stop() {
      await h.handle.stop();
      await jobs.stop();
      await fake.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/** The fake's last message whose text matches. */
export function lastMessage(fake: FakeSlack, pattern: RegExp, channel = CHANNEL): FakeMessage | undefined {
  return [...fake.messages].reverse().find((m) => m.channel === channel && pattern.test(m.text));
}
