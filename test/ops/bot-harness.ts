// What the tests of the real bot process (`npm start`) against the local fake Discord share: one
// fake Discord, random VGG weights and a scratch directory per test file, the environment a bot
// is started with, and every bot started is killed at the end if a test left it running.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationCommandOptionType as T } from 'discord.js';
import Database from 'better-sqlite3';
import { afterAll, beforeAll } from 'vitest';
import { baseEnv, freePort, startMain, until, type BotProcess } from '../../scripts/lib/bot-process.ts';
import { FakeDiscord, type FakeAttachment, type RecordedRequest, type SlashOption } from '../../scripts/lib/fakes/discord/index.ts';
import { makePng } from '../../scripts/lib/png.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';

export interface BotHarness {
  /** Set in beforeAll. */
  fake: FakeDiscord;
  dir: string;
  /** A bot's environment: the fake Discord, wasm, the random weights, its own data directory, metrics on a port. */
  env(dataDir: string, metricsPort: number, extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** Starts `npm start`'s entry point (killed after the file if still running). */
  start(env: NodeJS.ProcessEnv): BotProcess;
  /** A PNG attachment of size×size the fake serves from its CDN. */
  attachment(name: string, seed: number, size?: number): Promise<FakeAttachment>;
}

/** Registers the file's beforeAll/afterAll; the returned harness is usable inside tests. */
export function useBotHarness(tmpPrefix: string): BotHarness {
  const bots: BotProcess[] = [];
  let weights = '';
  const h: BotHarness = {
    fake: undefined as unknown as FakeDiscord,
    dir: '',
    env: (dataDir, metricsPort, extra = {}) =>
      baseEnv({
        DISCORD_TOKEN: h.fake.token,
        DISCORD_APPLICATION_ID: h.fake.appId,
        DISCORD_API_URL: h.fake.apiUrl,
        STYLIZE_WEIGHTS: weights,
        STYLIZE_BACKEND: 'wasm',
        STYLIZE_DATA_DIR: dataDir,
        STYLIZE_METRICS_PORT: String(metricsPort),
        STYLIZE_DISCORD_EDIT_INTERVAL_MS: '200',
        ...extra,
      }),
    start: (env) => {
      const bot = startMain(env, h.dir);
      bots.push(bot);
      return bot;
    },
    attachment: async (name, seed, size = 32) =>
      h.fake.addAttachment({ filename: name, contentType: 'image/png', data: await makePng(size, size, seed), width: size, height: size }),
  };
  beforeAll(async () => {
    h.fake = await FakeDiscord.start();
    h.dir = mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
    weights = await writeRandomWeightsFile(path.join(h.dir, 'vgg19.safetensors'), 7);
  });
  afterAll(async () => {
    for (const b of bots) if (b.child.exitCode === null && b.child.signalCode === null) b.child.kill('SIGKILL');
    await h.fake?.stop();
    if (h.dir) rmSync(h.dir, { recursive: true, force: true });
  });
  return h;
}

export async function get(port: number, p: string): Promise<{ status: number; text: string }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${p}`);
    return { status: res.status, text: await res.text() };
  } catch {
    return { status: 0, text: '' };
  }
}

/** Until /readyz answers 200: logged in and an engine started. */
export async function ready(port: number): Promise<void> {
  await until(async () => (await get(port, '/readyz')).status === 200, 'ready', 90_000);
}

export { freePort, until };
export const body = (r: RecordedRequest) => r.body as Record<string, unknown>;
/** The bot's successful requests on the messages of a channel (a job's thread). */
export const inThread = (threadId: string) => (r: RecordedRequest) => r.path.startsWith(`/channels/${threadId}/messages`) && r.status === 200;

/**
 * Alice's `/stylize` of a 32×32 content and style PNG at `size` px and `steps` steps (plus `extra`
 * options), answered: the interaction and the job's thread (its reply message).
 */
export async function askStylize(
  fake: FakeDiscord,
  o: { size: number; steps: number; extra?: SlashOption[]; contentSize?: { width: number; height: number } },
): Promise<{ interaction: ReturnType<FakeDiscord['slashCommand']>; threadId: string }> {
  const png = async (name: string, seed: number, { width, height } = { width: 32, height: 32 }) =>
    fake.addAttachment({ filename: name, contentType: 'image/png', data: await makePng(width, height, seed), width, height });
  const content = await png('content.png', 1, o.contentSize);
  const style = await png('style.png', 2);
  const interaction = fake.slashCommand(
    'stylize',
    [
      { name: 'content', type: T.Attachment, value: content.id },
      { name: 'style', type: T.Attachment, value: style.id },
      { name: 'size', type: T.Integer, value: o.size },
      { name: 'steps', type: T.Integer, value: o.steps },
      ...(o.extra ?? []),
    ],
    { user: fake.alice },
    [content, style],
  );
  await fake.waitFor((r) => r.method === 'PATCH' && r.path === `/webhooks/${fake.appId}/${interaction.token}/messages/@original`, 30_000, 'the reply');
  return { interaction, threadId: interaction.originalMessageId! };
}

/** A time column of a job's row in a bot's data directory, read as another process would (undefined: no row). */
function timeOf(dataDir: string, sql: string, jobId: string): number | null | undefined {
  const db = new Database(path.join(dataDir, 'stylize.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(sql).get(jobId) as { at: number | null } | undefined)?.at;
  } finally {
    db.close();
  }
}

/** jobs.failure_posted_at of a job (undefined: no such job). */
export const failurePostedAt = (dataDir: string, jobId: string) => timeOf(dataDir, 'SELECT failure_posted_at AS at FROM jobs WHERE id = ?', jobId);

/** job_results.delivered_at of a job (undefined: no result row). */
export const deliveredAt = (dataDir: string, jobId: string) => timeOf(dataDir, 'SELECT delivered_at AS at FROM job_results WHERE job_id = ?', jobId);
