// Mentions that speak to the style library or the history rather than ask for a job:
// `save style <name>` (with the image attached), `styles`, `remove style <name>`, `history`,
// `show <job id>`. Answered in the mention's thread; the history privately.
import type { webApi } from '@slack/bolt';
import type { SlackDeps } from './context.ts';
import type { SlackFile } from './input-images.ts';
import { replyInThread, tellUser } from './replies.ts';
import { historyText, listStyles, removeStyle, saveStyle, showResult } from './style-library.ts';

export type LibraryMention =
  | { verb: 'save'; name: string }
  | { verb: 'list' }
  | { verb: 'remove'; name: string }
  | { verb: 'history' }
  | { verb: 'show'; jobId: string };

/** The request in a mention's words (mentions removed), or undefined when it asks for a job. */
export function readLibraryMention(words: string): LibraryMention | undefined {
  const w = words.trim().split(/\s+/);
  const [a = '', b = ''] = w.map((x) => x.toLowerCase());
  if (a === 'save' && b === 'style') return { verb: 'save', name: w[2] ?? '' };
  if ((a === 'remove' || a === 'delete') && b === 'style') return { verb: 'remove', name: w[2] ?? '' };
  if (w.length <= 2 && (a === 'styles' || (a === 'list' && b === 'styles') || (a === 'style' && b === 'list'))) return { verb: 'list' };
  if (w.length === 1 && a === 'history') return { verb: 'history' };
  if (w.length === 2 && a === 'show') return { verb: 'show', jobId: w[1] };
  return undefined;
}

export interface MentionPlace {
  teamId: string;
  userId: string;
  channel: string;
  threadTs: string;
  files: readonly SlackFile[];
}

export async function answerLibraryMention(deps: SlackDeps, client: webApi.WebClient, m: LibraryMention, at: MentionPlace): Promise<void> {
  const reply = (text: string) => replyInThread(client, at.channel, at.threadTs, `<@${at.userId}> ${text}`);
  const place = { channel: at.channel, threadTs: at.threadTs };
  switch (m.verb) {
    case 'save':
      if (!m.name) return reply('Name the style: `save style scream-blue`, with the image attached.');
      if (at.files.length > 1) return reply(`Attach one image to save as a style; this message has ${at.files.length}.`);
      return reply(await saveStyle(deps, client, at.teamId, at.userId, m.name, at.files[0]));
    case 'remove':
      return reply(await removeStyle(deps, client, at.teamId, at.userId, m.name));
    case 'list': {
      const text = await listStyles(deps, client, at.teamId, place);
      return text ? reply(text) : undefined;
    }
    case 'history':
      return tellUser(client, { channel: at.channel, user: at.userId, threadTs: at.threadTs }, await historyText(deps, client, at.teamId, at.userId));
    case 'show': {
      const text = await showResult(deps, client, at.teamId, place, at.userId, m.jobId);
      return text ? reply(text) : undefined;
    }
  }
}
