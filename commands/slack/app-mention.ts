// @stylize with images attached: first = content, second = style; words are options
// (`texture`, `steps=300`). With the word `sheet` and a kind (`sheet texture layers=conv_1,conv_2`)
// it queues an experiment sheet instead (see src/slack/sheet-mention.ts for which image is which).
// `save style <name>`, `styles`, `remove style <name>`, `history` and `show <job id>` speak to the
// style library and the history instead (src/slack/library-mention.ts). Everything is answered in
// the mention's thread.
import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../../src/slack/context.ts';
import { SlackInputError, type SlackFile } from '../../src/slack/input-images.ts';
import { answerLibraryMention, readLibraryMention } from '../../src/slack/library-mention.ts';
import { mentionText, readMention } from '../../src/slack/mention.ts';
import { asksForSheet, readSheetMention } from '../../src/slack/sheet-mention.ts';
import { replyInThread } from '../../src/slack/replies.ts';
import { submitSlackJob, type SlackJobRequest } from '../../src/slack/submit.ts';
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
    const files = (event.files ?? []) as SlackFile[];
    const words = mentionText(event.text ?? '');
    const base = { teamId, channel: event.channel, userId: user, threadTs };
    const library = readLibraryMention(words);
    if (library) {
      await answerLibraryMention(deps, client, library, { ...base, files }).catch(async (e: unknown) => {
        log.error({ err: (e as Error).message }, 'style library mention failed');
        await replyInThread(client, event.channel, threadTs, `<@${user}> Could not do that: ${(e as Error).message}`);
      });
      return;
    }
    let job: SlackJobRequest;
    if (asksForSheet(words)) {
      const req = readSheetMention(words, files);
      if (!req.ok) {
        await replyInThread(client, event.channel, threadTs, `<@${user}> ${req.reason}`);
        return;
      }
      job = { ...base, sheet: req.sheet, contentFiles: req.contentFiles, styleFiles: req.styleFiles, options: req.options };
    } else {
      const req = readMention(event.text ?? '', files, defaults);
      if (!req.ok) {
        await replyInThread(client, event.channel, threadTs, `<@${user}> ${req.reason}`);
        return;
      }
      job = { ...base, contentFile: req.contentFile, styleFile: req.styleFile, options: req.options };
    }
    try {
      const result = await submitSlackJob(deps, client, job);
      if (!result.ok) await replyInThread(client, event.channel, threadTs, `<@${user}> Could not start: ${result.reason}`);
    } catch (e) {
      if (!(e instanceof SlackInputError)) log.error({ err: (e as Error).message }, 'mention failed');
      const text = e instanceof SlackInputError ? e.message : `Could not start: ${(e as Error).message}`;
      await replyInThread(client, event.channel, threadTs, `<@${user}> ${text}`);
    }
  };
}
