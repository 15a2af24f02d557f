// The soak's duplicate result on Slack, replayed with the real bot process: Slack takes the result
// upload (files.completeUploadExternal runs and shares the file in the thread) but the bot is killed
// (SIGKILL) before it hears back, so the delivery is never recorded. The restarted bot announces the
// result again (afterRestart); it must find the file already in the thread, record the delivery and
// finish the thread without uploading the image a second time.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { baseEnv, freePort, startMain, until, type BotProcess } from '../../scripts/lib/bot-process.ts';
import { FakeSlack, SlackRequests, SocketTransport } from '../../scripts/lib/fakes/slack/index.ts';
import type { FakeMessage } from '../../scripts/lib/fakes/slack/types.ts';
import { makePng } from '../../scripts/lib/png.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';

const MANIFEST = JSON.parse(readFileSync(new URL('../../src/slack/manifest.json', import.meta.url), 'utf8')) as { oauth_config: { scopes: { bot: string[] } } };
const USER = 'U0KILL001';
const CHANNEL = 'C0KILL001';

let dir: string;
let weights: string;
let slack: FakeSlack;
const bots: BotProcess[] = [];

async function startBot(): Promise<BotProcess> {
  const metricsPort = await freePort();
  const bot = startMain(
    baseEnv({
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_APP_TOKEN: slack.appToken,
      SLACK_API_URL: slack.apiUrl,
      STYLIZE_WEIGHTS: weights,
      STYLIZE_BACKEND: 'wasm',
      STYLIZE_ENGINE_THREADS: '1',
      STYLIZE_DATA_DIR: path.join(dir, 'data'),
      STYLIZE_METRICS_PORT: String(metricsPort),
    }),
    dir,
  );
  bots.push(bot);
  await until(async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined))?.status === 200, '/readyz 200', 90_000);
  return bot;
}

async function stopBot(bot: BotProcess): Promise<void> {
  if (bot.child.exitCode === null && bot.child.signalCode === null) {
    bot.child.kill('SIGTERM');
    await bot.exited;
  }
}

/** When the job's result was recorded as posted (job_results.delivered_at), read as another process would. */
function deliveredAt(jobId: string): number | null | undefined {
  const db = new Database(path.join(dir, 'data', 'stylize.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT delivered_at FROM job_results WHERE job_id = ?').get(jobId) as { delivered_at: number | null } | undefined;
    return row?.delivered_at;
  } finally {
    db.close();
  }
}

const resultFiles = (thread: FakeMessage[], jobId: string) => thread.flatMap((m) => (m.files ?? []).filter((f) => f.name === `stylize-${jobId}.png`));

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stylize-slack-kill-'));
  weights = await writeRandomWeightsFile(path.join(dir, 'vgg19.safetensors'), 5);
  slack = new FakeSlack({ scopes: MANIFEST.oauth_config.scopes.bot });
  await slack.start();
  slack.addUser({ id: USER, name: 'dana' });
}, 60_000);

afterAll(async () => {
  for (const bot of bots) await stopBot(bot);
  await slack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * A Slack job whose result upload Slack takes but never answers, then the bot killed (SIGKILL):
 * the file is in the thread, the delivery is not recorded.
 */
async function killedAfterUpload(seed: number): Promise<{ jobId: string; rootTs: string; threadTs: string }> {
  const isResult = (result: Record<string, unknown>) =>
    result.ok === true && (result.files as { name: string }[]).some((f) => /^stylize-.+\.png$/.test(f.name) && !/-step\d+\.png$/.test(f.name));
  slack.holdNext('files.completeUploadExternal', 1, isResult);
  const bot = await startBot();
  const files = [await makePng(16, 16, seed), await makePng(16, 16, seed + 1)].map((bytes, i) => slack.addFile({ name: `${seed}-${i}.png`, bytes, user: USER, original_w: 16, original_h: 16 }));
  const before = slack.messages.length;
  await new SlackRequests(slack, new SocketTransport(slack)).mention({ user: USER, channel: CHANNEL, text: 'size=16 steps=2', files });
  const root = await slack.waitFor('the job root message', () => slack.messages.slice(before).find((m) => m.channel === CHANNEL && m.user === slack.botUserId && m.metadata?.event_payload.role === 'root'), 60_000);
  const jobId = String(root.metadata!.event_payload.job_id);
  const threadTs = root.thread_ts ?? root.ts;
  await slack.waitFor('the result upload Slack took', () => resultFiles(slack.thread(CHANNEL, threadTs), jobId).length > 0, 120_000);
  bot.child.kill('SIGKILL');
  expect(await bot.exited).toBeNull();
  expect(deliveredAt(jobId)).toBeNull();
  return { jobId, rootTs: root.ts, threadTs };
}

const REPOSTING = 'posting a result that was not confirmed before the restart';

it('a result Slack took just before the bot was killed is not uploaded again after the restart', async () => {
  const { jobId, rootTs, threadTs } = await killedAfterUpload(3);

  const second = await startBot();
  await until(() => second.logs().some((l) => l.msg === REPOSTING && l.job === jobId), 'the result announced again', 30_000);
  await until(() => Boolean(deliveredAt(jobId)), 'the delivery recorded', 60_000);
  // The rest of the thread is finished: the result message and the root saying done.
  await slack.waitFor('the result message', () => slack.thread(CHANNEL, threadTs).find((m) => m.metadata?.event_payload.role === 'result'), 30_000);
  await slack.waitFor('the root marked done', () => /done in .*result in the thread/.test(slack.message(CHANNEL, rootTs)!.text), 30_000);
  await stopBot(second);

  // A third start has nothing left to post.
  const callsBefore = slack.calls.length;
  const third = await startBot();
  await new Promise((r) => setTimeout(r, 1500));
  await stopBot(third);
  expect(third.logs().some((l) => l.msg === REPOSTING)).toBe(false);
  expect(slack.calls.slice(callsBefore).filter((c) => c.method.startsWith('files.') || c.method === 'chat.postMessage')).toEqual([]);

  expect(resultFiles(slack.thread(CHANNEL, threadTs), jobId)).toHaveLength(1);
  expect(slack.thread(CHANNEL, threadTs).filter((m) => m.metadata?.event_payload.role === 'result')).toHaveLength(1);
}, 400_000);

it('when the thread cannot be read after the restart, the result is uploaded again rather than lost', async () => {
  const { jobId, threadTs } = await killedAfterUpload(7);
  slack.failing.set('conversations.replies', 'missing_scope');
  try {
    const bot = await startBot();
    await until(() => Boolean(deliveredAt(jobId)), 'the delivery recorded', 60_000);
    await stopBot(bot);
    expect(bot.logs().some((l) => l.jobId === jobId && l.level === 40 && /could not look for the result in the thread/.test(String(l.msg)))).toBe(true);
  } finally {
    slack.failing.delete('conversations.replies');
  }
  expect(resultFiles(slack.thread(CHANNEL, threadTs), jobId)).toHaveLength(2);
  expect(slack.thread(CHANNEL, threadTs).filter((m) => m.metadata?.event_payload.role === 'result')).toHaveLength(1);
}, 400_000);
