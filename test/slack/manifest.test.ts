// The shipped manifest must grant what the code uses: every Web API call found in the adapter's
// source is listed in api-scopes.ts, every scope listed there is in the manifest, and the manifest
// asks for nothing the code does not need.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NON_METHOD_SCOPES, WEB_API_METHOD_SCOPES, WRAPPER_METHODS } from '../../src/slack/api-scopes.ts';
import { SLACK_METHOD_SCOPES } from '../../scripts/lib/fakes/slack/scopes.ts';
import { MANIFEST } from './harness.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** `client.chat.postMessage(`, `this.opts.client.files.uploadV2(`, `client.apiCall('x.y'` in the adapter's code. */
function methodsCalled(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of [...sources('src/slack'), ...sources('commands/slack')]) {
    const text = readFileSync(path.join(root, file), 'utf8');
    const patterns = [/\bclient\.([a-z]+(?:\.[a-zA-Z0-9]+)+)\(/g, /\.apiCall\(\s*['"]([\w.]+)['"]/g];
    for (const re of patterns) {
      for (const m of text.matchAll(re)) found.set(m[1], [...(found.get(m[1]) ?? []), file]);
    }
  }
  return found;
}

describe('Slack app manifest', () => {
  const granted = new Set(MANIFEST.oauth_config.scopes.bot);

  it('lists every Web API method the code calls, with its scopes', () => {
    const called = methodsCalled();
    expect(called.size).toBeGreaterThan(5);
    const unlisted = [...called.keys()].filter((m) => !(m in WEB_API_METHOD_SCOPES) && !(m in WRAPPER_METHODS));
    expect(unlisted, `methods called but missing from api-scopes.ts: ${unlisted.join(', ')}`).toEqual([]);
    // Wrappers expand to listed methods; nothing in the table is stale.
    for (const parts of Object.values(WRAPPER_METHODS)) for (const m of parts) expect(WEB_API_METHOD_SCOPES).toHaveProperty([m]);
    const expanded = new Set([...called.keys()].flatMap((m) => WRAPPER_METHODS[m] ?? [m]));
    expanded.add('auth.test'); // Bolt calls it at start-up with the bot token.
    expect(Object.keys(WEB_API_METHOD_SCOPES).filter((m) => !expanded.has(m))).toEqual([]);
  });

  it('agrees with the scopes Slack documents for those methods', () => {
    for (const [method, scopes] of Object.entries(WEB_API_METHOD_SCOPES)) {
      if (method.startsWith('conversations.')) {
        expect(scopes).toEqual(expect.arrayContaining(['channels:history', 'groups:history', 'im:history', 'mpim:history']));
        continue;
      }
      expect(SLACK_METHOD_SCOPES[method], `no documented scope for ${method}`).toBeDefined();
      expect([...scopes].sort()).toEqual([...SLACK_METHOD_SCOPES[method]].sort());
    }
  });

  it('grants every scope the code needs and no other', () => {
    const needed = new Set([...Object.values(WEB_API_METHOD_SCOPES).flat(), ...Object.keys(NON_METHOD_SCOPES)]);
    expect([...needed].filter((s) => !granted.has(s))).toEqual([]);
    expect([...granted].filter((s) => !needed.has(s))).toEqual([]);
  });

  it('subscribes to the events, commands and interactivity the listeners use', () => {
    expect(MANIFEST.settings.event_subscriptions.bot_events.sort()).toEqual(['app_mention', 'reaction_added']);
    expect(MANIFEST.features.slash_commands.map((c) => c.command).sort()).toEqual(['/stylize', '/stylize-config', '/stylize-history', '/stylize-sheet', '/stylize-show', '/stylize-style']);
    expect(MANIFEST.settings.interactivity.is_enabled).toBe(true);
    expect(MANIFEST.settings.socket_mode_enabled).toBe(true);
    const listeners = readFileSync(path.join(root, 'commands/slack/index.ts'), 'utf8');
    for (const c of MANIFEST.features.slash_commands) expect(listeners).toContain(`app.command('${c.command}'`);
    for (const e of MANIFEST.settings.event_subscriptions.bot_events) expect(listeners).toContain(`app.event('${e}'`);
  });
});
