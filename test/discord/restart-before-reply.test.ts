// The bot killed after taking a /stylize (the job is stored) and before replying to it: the
// restarted bot has no thread for the job and no command handler will attach one, so the result
// goes to the command's channel at once, not after the minute a fresh command may take to reply.
// Regression (soak, local mode, seed 2: a bot SIGKILL ~10 ms after a submit; the drain ended
// before the minute was up and the result was never posted).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDiscord, type DiscordBot } from '../../src/discord/bot.ts';
import { parseJobTag } from '../../src/discord/job-meta.ts';
import { createJobService } from '../../src/jobs/create-job-service.ts';
import type { JobCoordinator } from '../../src/jobs/job-coordinator.ts';
import { FakeDiscord } from '../../scripts/lib/fakes/discord/index.ts';
import { makePng } from '../../scripts/lib/png.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';

let dir: string;
let fake: FakeDiscord;
let jobs: JobCoordinator | undefined;
let bot: DiscordBot | undefined;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stylize-restart-reply-'));
  fake = await FakeDiscord.start();
});

afterAll(async () => {
  await bot?.stop();
  await jobs?.stop();
  await fake?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('posts the result of a job taken before a restart but never replied to in its channel, promptly', async () => {
  const weightsPath = await writeRandomWeightsFile(path.join(dir, 'vgg19.safetensors'), 7);
  const config = { dataDir: path.join(dir, 'data'), weightsPath, backend: 'wasm', engineThreads: 1 };
  // What the killed process left: the job stored with the command's channel, no reply, no thread.
  const before = createJobService(config);
  const submitted = before.submit({
    owner: { platform: 'discord', workspaceId: fake.guildId, channelId: fake.channelId, userId: fake.alice.id },
    inputs: { content: await makePng(16, 16, 1), styles: [await makePng(16, 16, 2)] },
    options: { size: 16, steps: 2 },
    meta: { discord: { guildId: fake.guildId, channelId: fake.channelId, interactionAt: Date.now() } },
  });
  if (!submitted.ok) throw new Error(submitted.reason);
  await before.stop();
  await new Promise((r) => setTimeout(r, 20));

  jobs = createJobService(config);
  bot = await startDiscord({ jobs, token: fake.token, applicationId: fake.appId, apiUrl: fake.apiUrl, cdnUrl: fake.cdnUrl });
  const restartedAt = Date.now();
  await jobs.start();
  const result = await fake.waitFor(
    (r) => r.method === 'POST' && r.path === `/channels/${fake.channelId}/messages` && r.files.some((f) => f.name.startsWith('stylized')),
    45_000,
    'the result in the channel',
  );
  expect(result.status).toBe(200);
  expect(parseJobTag(String((result.body as { content: string }).content))).toBe(submitted.job.id);
  // Well before the minute a fresh command's reply may take.
  expect(result.at - restartedAt).toBeLessThan(30_000);
}, 90_000);
