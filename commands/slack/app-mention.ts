// @stylize with images attached: first = content, second = style; words are options
// (`texture`, `steps=300`). Everything is answered in the mention's thread.
import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../../src/slack/context.ts';
import { SlackInputError, type SlackFile } from '../../src/slack/files.ts';
import { readMention } from '../../src/slack/mention.ts';
import { replyInThread } from '../../src/slack/notify.ts';
import { submitSlackJob } from '../../src/slack/submit.ts';
import { logger } from '../../src/log.ts';
import type { OptionsInput } from '../../src/options.ts';

const log = logger.child({ module: 'slack' });

// Slack redelivers an event it thinks was not received; one job per message however often it comes.
const seen = new Set<string>();
function firstDelivery(key: string): boolean {
  if (seen.has(key)) return false;
  seen.add(key);
  if (seen.size > 5000) seen.delete(seen.values().next().value as string);
  return true;
}

export function appMention(deps: SlackDeps) {
  return async ({ event, body, client, context }: SlackEventMiddlewareArgs<'app_mention'> & AllMiddlewareArgs): Promise<void> => {
    const user = event.user;
    if (!user || event.bot_id) return;
    if (!firstDelivery(`${event.channel}:${event.ts}`)) return;
    const teamId = body.team_id ?? context.teamId ?? event.team ?? 'unknown';
    const threadTs = event.thread_ts ?? event.ts;
    let defaults: OptionsInput = {};
    try {
      defaults = deps.jobs.settings.get('slack', teamId).defaults;
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'could not read workspace defaults');
    }
    const req = readMention(event.text ?? '', (event.files ?? []) as SlackFile[], defaults);
    if (!req.ok) {
      await replyInThread(client, event.channel, threadTs, `<@${user}> ${req.reason}`);
      return;
    }
    try {
      const result = await submitSlackJob(deps, client, {
        teamId,
        channel: event.channel,
        userId: user,
        threadTs,
        contentFile: req.contentFile,
        styleFile: req.styleFile,
        options: req.options,
      });
      if (!result.ok) await replyInThread(client, event.channel, threadTs, `<@${user}> Could not start: ${result.reason}`);
    } catch (e) {
      if (!(e instanceof SlackInputError)) log.error({ err: (e as Error).message }, 'mention failed');
      const text = e instanceof SlackInputError ? e.message : `Could not start: ${(e as Error).message}`;
      await replyInThread(client, event.channel, threadTs, `<@${user}> ${text}`);
    }
  };
}
