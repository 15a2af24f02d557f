// The style library, history and show on Slack, shared by the slash commands, the save-style modal
// and mentions: each returns the text to tell the user, and posts what is public (a contact sheet,
// a result shown again) itself. The job service does the checking; this file speaks Slack.
import type { types, webApi } from '@slack/bolt';
import { jobTitle, resultText } from '../chat/format.ts';
import type { JobRecord, LibraryEntry } from '../jobs/types.ts';
import { logger } from '../log.ts';
import type { SlackDeps } from './context.ts';
import { downloadSlackImage, SlackInputError, type SlackFile } from './input-images.ts';
import { slackMetaOf } from './job-meta.ts';
import { escapeMrkdwn, resultActionsBlock, statusBlocks } from './messages.ts';

const log = logger.child({ module: 'slack' });

export const STYLE_USAGE =
  '`/stylize-style save [name]` opens a form to save an image as a style · `/stylize-style list` shows the library · `/stylize-style remove <name>`. ' +
  'Or mention me: `@Stylize save style scream-blue` with an image attached, `@Stylize styles`, `@Stylize remove style scream-blue`. ' +
  'Use a style with `style=scream-blue` in a mention, or pick it in the `/stylize` form.';

/** Where a public answer goes. */
export interface Place {
  channel: string;
  threadTs?: string;
}

async function isAdmin(deps: SlackDeps, client: webApi.WebClient, userId: string): Promise<boolean> {
  try {
    return await deps.admins.isAdmin(client, userId);
  } catch (e) {
    log.warn({ err: (e as Error).message }, 'could not check admin status; treating as a member');
    return false;
  }
}

export async function saveStyle(deps: SlackDeps, client: webApi.WebClient, teamId: string, userId: string, name: string, file: SlackFile | undefined): Promise<string> {
  if (!file) return `Attach the image to save as style "${escapeMrkdwn(name)}".`;
  let image: Buffer;
  try {
    image = await downloadSlackImage(file, { botToken: deps.botToken, client, limits: deps.config, label: 'The style image', apiUrl: deps.apiUrl });
  } catch (e) {
    if (e instanceof SlackInputError) return `Not saved: ${e.message}`;
    throw e;
  }
  const saved = await deps.jobs.styles.save('slack', teamId, name, image, { userId, isAdmin: await isAdmin(deps, client, userId) });
  if (!saved.ok) return `Not saved: ${escapeMrkdwn(saved.reason)}.`;
  return `${saved.replaced ? 'Replaced' : 'Saved'} the style \`${saved.entry.name}\`. Use it with \`style=${saved.entry.name}\` in a mention, or pick it in the \`/stylize\` form.`;
}

export async function removeStyle(deps: SlackDeps, client: webApi.WebClient, teamId: string, userId: string, name: string): Promise<string> {
  if (!name) return `Which style? \`/stylize-style remove <name>\`.`;
  const removed = deps.jobs.styles.remove('slack', teamId, name, { userId, isAdmin: await isAdmin(deps, client, userId) });
  return removed.ok ? `Removed the style \`${escapeMrkdwn(name)}\`.` : `Not removed: ${escapeMrkdwn(removed.reason)}.`;
}

function entryText(e: LibraryEntry): string {
  return e.source === 'builtin' ? `\`${e.name}\` (built-in)` : `\`${e.name}\` (saved by <@${e.savedBy}>)`;
}

/** Uploads the contact sheet where asked, with the names as its message; returns what to tell the user when it could not. */
export async function listStyles(deps: SlackDeps, client: webApi.WebClient, teamId: string, place: Place): Promise<string | undefined> {
  const entries = deps.jobs.styles.entries('slack', teamId);
  if (entries.length === 0) return 'This workspace has no styles: every built-in is hidden and none is saved. Save one with `/stylize-style save`.';
  const sheet = await deps.jobs.styles.contactSheet('slack', teamId);
  const text = `*${entries.length} style${entries.length === 1 ? '' : 's'}* to use by name (blend with weights: \`style=starry-night:3,scream\`): ${entries.map(entryText).join(' · ')}`;
  try {
    const upload = { file: sheet!, filename: 'style-library.png', title: 'Style library', initial_comment: text };
    await (place.threadTs
      ? client.files.uploadV2({ channel_id: place.channel, thread_ts: place.threadTs, ...upload })
      : client.files.uploadV2({ channel_id: place.channel, ...upload }));
    return undefined;
  } catch (e) {
    log.warn({ err: (e as Error).message }, 'could not upload the style library');
    return `Could not post the style library here (${(e as Error).message}). The styles: ${entries.map((e) => e.name).join(', ')}`;
  }
}

async function resultLink(client: webApi.WebClient, job: JobRecord): Promise<string> {
  const meta = slackMetaOf(job);
  const ts = meta.resultTs ?? meta.fileTs;
  if (job.state !== 'completed' || !ts) return '';
  try {
    const res = await client.chat.getPermalink({ channel: meta.channel, message_ts: ts });
    return res.permalink ? ` — <${res.permalink}|result>` : '';
  } catch {
    return '';
  }
}

export async function historyText(deps: SlackDeps, client: webApi.WebClient, teamId: string, userId: string): Promise<string> {
  const jobs = deps.jobs.history.recent('slack', teamId, userId);
  if (jobs.length === 0) return 'You have no Stylize jobs in this workspace yet.';
  const lines = await Promise.all(
    jobs.map(async (j) => `• \`${j.id}\` *${jobTitle(j)}* · ${j.state} · ${j.options.size}px · <!date^${Math.floor(j.createdAt / 1000)}^{date_short_pretty} {time}|${new Date(j.createdAt).toISOString()}>${await resultLink(client, j)}`),
  );
  return [`Your last ${jobs.length} job${jobs.length === 1 ? '' : 's'} here (newest first):`, ...lines, '`/stylize-show <job id>` posts a result again while it is kept.'].join('\n');
}

/** Posts a kept result of the user's (an admin: any of the workspace's) again where asked, with its buttons; returns what to tell the user when it cannot. */
export async function showResult(deps: SlackDeps, client: webApi.WebClient, teamId: string, place: Place, userId: string, jobId: string): Promise<string | undefined> {
  if (!jobId) return 'Which job? `/stylize-show <job id>` (see `/stylize-history`).';
  const found = deps.jobs.history.result('slack', teamId, jobId, { userId, isAdmin: await isAdmin(deps, client, userId) });
  if (!found.ok) return `Nothing to show: ${escapeMrkdwn(found.reason)}.`;
  const { job } = found;
  const thread = place.threadTs ? { thread_ts: place.threadTs } : {};
  const upload = { file: found.png, filename: `stylize-${job.id}.png`, title: `Stylized (${jobTitle(job)})` };
  await (place.threadTs
    ? client.files.uploadV2({ channel_id: place.channel, thread_ts: place.threadTs, ...upload })
    : client.files.uploadV2({ channel_id: place.channel, ...upload }));
  const text = `Job ${job.id} again — ${resultText(job, found.runtimeMs)}`;
  const blocks: types.KnownBlock[] = statusBlocks(escapeMrkdwn(text), job.id, false, escapeMrkdwn(found.summary));
  if (!job.sheet) blocks.push(resultActionsBlock(job.id));
  await client.chat.postMessage({ channel: place.channel, ...thread, text, blocks, unfurl_links: false });
  return undefined;
}
