// `npm start` as a user runs it: a real process, configured only through the environment.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseEnv, freePort, startMain, until } from './helpers/bot-process.ts';
import { FakeSlack, HttpTransport, SlackRequests } from './helpers/fake-slack/index.ts';
import { writeRandomWeightsFile } from '../scripts/lib/random-weights.ts';

const SECRET = 'main-test-signing-secret';

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

describe('npm start', () => {
  it('says which variables to set and exits non-zero when no platform is configured', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stylize-main-'));
    const run = startMain(baseEnv({}), dir);
    expect(await run.exited).toBe(1);
    for (const name of ['DISCORD_TOKEN', 'DISCORD_APPLICATION_ID', 'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET']) {
      expect(run.output()).toContain(name);
    }
  });

  it('refuses a half-configured platform in one line', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stylize-main-'));
    const run = startMain(baseEnv({ DISCORD_TOKEN: 'x'.repeat(30) }), dir);
    expect(await run.exited).toBe(1);
    expect(run.output().trim()).toMatch(/^stylize: DISCORD_APPLICATION_ID is not set/);
    expect(run.output()).not.toContain('x'.repeat(30));
  });

  it('runs Slack in HTTP mode from the environment and answers a signed /stylize with a modal', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stylize-main-'));
    const weights = await writeRandomWeightsFile(path.join(dir, 'vgg19.safetensors'), 5);
    const fake = new FakeSlack({});
    await fake.start();
    cleanup.push(() => fake.stop());
    fake.addUser({ id: 'U0ALICE01', name: 'alice' });
    const port = await freePort();
    const run = startMain(
      baseEnv({
        SLACK_BOT_TOKEN: fake.botToken,
        SLACK_SIGNING_SECRET: SECRET,
        PORT: String(port),
        SLACK_API_URL: fake.apiUrl,
        STYLIZE_WEIGHTS: weights,
        STYLIZE_DATA_DIR: path.join(dir, 'data'),
      }),
      dir,
    );
    cleanup.push(() => {
      run.child.kill('SIGKILL');
    });
    await until(() => run.output().includes('Slack: running'), 'the Slack adapter to listen');
    const slack = new SlackRequests(fake, new HttpTransport(`http://127.0.0.1:${port}`, SECRET));
    const started = Date.now();
    const res = await slack.command('/stylize', '', { user: 'U0ALICE01', channel: 'C0GENERAL' });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3000);
    await until(() => fake.views.length > 0, 'views.open');
    expect(run.output()).not.toContain(fake.botToken);
    expect(run.output()).not.toContain(SECRET);

    // A clean shutdown on SIGTERM.
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });
});
