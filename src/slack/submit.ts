// Shared by the modal and the @mention: download the attached images, then submit the job. The
// renderer takes over from there; nothing here waits for the job itself.
import type { webApi } from '@slack/bolt';
import type { OptionsInput } from '../options.ts';
import type { SubmitResult } from '../jobs/types.ts';
import type { SlackDeps } from './context.ts';
import { downloadSlackImage, type SlackFile } from './files.ts';
import type { SlackJobMeta } from './renderer.ts';

export interface SlackJobRequest {
  teamId: string;
  channel: string;
  userId: string;
  /** Answer in this thread instead of a new root message in the channel. */
  threadTs?: string;
  contentFile?: SlackFile;
  styleFile?: SlackFile;
  options: OptionsInput;
}

/** Throws SlackInputError (a message for the user) when an image cannot be used. */
export async function submitSlackJob(deps: SlackDeps, client: webApi.WebClient, req: SlackJobRequest): Promise<SubmitResult> {
  const download = (file: SlackFile, label: string) =>
    downloadSlackImage(file, { botToken: deps.botToken, client, limits: deps.settings, label, apiUrl: deps.apiUrl });
  const [content, style] = await Promise.all([
    req.contentFile ? download(req.contentFile, 'The content image') : undefined,
    req.styleFile ? download(req.styleFile, 'The style image') : undefined,
  ]);
  const meta: SlackJobMeta = { teamId: req.teamId, channel: req.channel, ...(req.threadTs ? { threadTs: req.threadTs } : {}) };
  const result = deps.jobs.submit({
    owner: { platform: 'slack', workspaceId: req.teamId, channelId: req.channel, userId: req.userId, ...(req.threadTs ? { threadId: req.threadTs } : {}) },
    inputs: { ...(content ? { content } : {}), styles: style ? [style] : [] },
    options: req.options,
    meta: { slack: meta },
  });
  if (result.ok) deps.renderer.announce(result.job, result.position);
  return result;
}
