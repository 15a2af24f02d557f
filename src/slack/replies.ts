// One-line answers to a user outside the job's own messages (refusals, errors). Ephemeral in the
// channel when possible; a DM when the bot cannot post there.
import type { webApi } from '@slack/bolt';
import { logger } from '../log.ts';

const log = logger.child({ module: 'slack' });

export interface Audience {
  channel: string;
  user: string;
  threadTs?: string;
}

export async function tellUser(client: webApi.WebClient, to: Audience, text: string): Promise<void> {
  try {
    await client.chat.postEphemeral({ channel: to.channel, user: to.user, text, ...(to.threadTs ? { thread_ts: to.threadTs } : {}) });
  } catch (e) {
    log.warn({ err: (e as Error).message, channel: to.channel }, 'ephemeral message failed; sending a DM');
    await client.chat.postMessage({ channel: to.user, text }).catch((e2: unknown) => {
      log.error({ err: (e2 as Error).message }, 'could not reach the user');
    });
  }
}

export async function replyInThread(client: webApi.WebClient, channel: string, threadTs: string, text: string): Promise<void> {
  try {
    await client.chat.postMessage({ channel, thread_ts: threadTs, text, unfurl_links: false });
  } catch (e) {
    log.error({ err: (e as Error).message, channel }, 'could not reply in the thread');
  }
}
