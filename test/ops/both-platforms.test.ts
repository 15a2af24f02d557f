// `npm start` with Discord and Slack (Socket Mode) in one process, as the soak runs it: a result
// is posted on both. Regression: the Slack adapter's newer undici became the process's global
// dispatcher and every Discord upload failed ("action is not a function"; src/discord/rest-request.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationCommandOptionType as T } from 'discord.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { baseEnv, freePort, startMain, until, type BotProcess } from '../../scripts/lib/bot-process.ts';
import { FakeDiscord } from '../../scripts/lib/fakes/discord/index.ts';
import { FakeSlack, SlackRequests, SocketTransport } from '../../scripts/lib/fakes/slack/index.ts';
import { makePng } from '../../scripts/lib/png.ts';
import { MANIFEST, slackEnv } from './slack-bot-harness.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';

let dir: string;
let discord: FakeDiscord;
let slack: FakeSlack;
let bot: BotProcess;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stylize-both-'));
  const weights = await writeRandomWeightsFile(path.join(dir, 'vgg19.safetensors'), 7);
  discord = await FakeDiscord.start();
  slack = new FakeSlack({ scopes: MANIFEST.oauth_config.scopes.bot });
  await slack.start();
  slack.addUser({ id: 'U0BOTH001', name: 'carol' });
  const metricsPort = await freePort();
  bot = startMain(
    baseEnv({
      DISCORD_TOKEN: discord.token,
      DISCORD_APPLICATION_ID: discord.appId,
      DISCORD_API_URL: discord.apiUrl,
      ...slackEnv(slack),
      STYLIZE_WEIGHTS: weights,
      STYLIZE_BACKEND: 'wasm',
      STYLIZE_ENGINE_THREADS: '1',
      STYLIZE_DATA_DIR: path.join(dir, 'data'),
      STYLIZE_METRICS_PORT: String(metricsPort),
    }),
    dir,
  );
  await until(async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined))?.status === 200, '/readyz 200', 90_000);
}, 120_000);

afterAll(async () => {
  if (bot && bot.child.exitCode === null && bot.child.signalCode === null) {
    bot.child.kill('SIGTERM');
    await bot.exited;
  }
  await discord?.stop();
  await slack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('posts the result on Discord and on Slack from one process', async () => {
  const content = discord.addAttachment({ filename: 'content.png', contentType: 'image/png', data: await makePng(16, 16, 1), width: 16, height: 16 });
  const style = discord.addAttachment({ filename: 'style.png', contentType: 'image/png', data: await makePng(16, 16, 2), width: 16, height: 16 });
  discord.slashCommand(
    'stylize',
    [
      { name: 'content', type: T.Attachment, value: content.id },
      { name: 'style', type: T.Attachment, value: style.id },
      { name: 'size', type: T.Integer, value: 16 },
      { name: 'steps', type: T.Integer, value: 2 },
    ],
    { user: discord.alice },
    [content, style],
  );
  const files = [await makePng(16, 16, 3), await makePng(16, 16, 4)].map((bytes, i) => slack.addFile({ name: `${i}.png`, bytes, user: 'U0BOTH001', original_w: 16, original_h: 16 }));
  await new SlackRequests(slack, new SocketTransport(slack)).mention({ user: 'U0BOTH001', channel: 'C0BOTH001', text: 'size=16 steps=2', files });

  const upload = await discord.waitFor((r) => r.method === 'POST' && r.files.some((f) => f.name.startsWith('stylized')), 90_000, 'the Discord result');
  expect(upload.status).toBe(200);
  await slack.waitFor('the Slack result', () => slack.messages.find((m) => m.user === slack.botUserId && m.files?.some((f) => f.name.startsWith('stylize-'))), 90_000);
  expect(bot.output()).not.toContain('action is not a function');
}, 200_000);
