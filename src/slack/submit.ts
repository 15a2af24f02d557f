// Shared by the modal and the @mention: download the attached images, then submit the job. The
// job view takes over from there; nothing here waits for the job itself.
import type { webApi } from '@slack/bolt';
import type { OptionsInput } from '../options.ts';
import type { JobInputs, SheetSpec, SubmitResult } from '../jobs/types.ts';
import { logger } from '../log.ts';
import type { SlackDeps } from './context.ts';
import { downloadSlackImage, SlackInputError, type SlackFile } from './input-images.ts';
import { tellUser } from './replies.ts';
import type { SlackJobMeta } from './job-meta.ts';

const log = logger.child({ module: 'slack' });

export interface SlackJobRequest {
  teamId: string;
  channel: string;
  userId: string;
  /** Answer in this thread instead of a new root message in the channel. */
  threadTs?: string;
  contentFile?: SlackFile;
  styleFile?: SlackFile;
  /** A sheet job: what to render, from these images (contentFile and styleFile are then unused). */
  sheet?: SheetSpec;
  contentFiles?: SlackFile[];
  styleFiles?: SlackFile[];
  options: OptionsInput;
}

/** "The style image", or "Style image 2" among several. */
function label(role: 'content' | 'style', index: number, count: number): string {
  if (count === 1) return `The ${role} image`;
  return `${role === 'content' ? 'Content' : 'Style'} image ${index + 1}`;
}

/** Throws SlackInputError (a message for the user) when an image cannot be used. */
export async function submitSlackJob(deps: SlackDeps, client: webApi.WebClient, req: SlackJobRequest): Promise<SubmitResult> {
  const download = (file: SlackFile, label: string) =>
    downloadSlackImage(file, { botToken: deps.botToken, client, limits: deps.config, label, apiUrl: deps.apiUrl });
  let inputs: JobInputs;
  if (req.sheet) {
    const all = (role: 'content' | 'style', files: SlackFile[] = []) => Promise.all(files.map((f, i) => download(f, label(role, i, files.length))));
    const [contents, styles] = await Promise.all([all('content', req.contentFiles), all('style', req.styleFiles)]);
    inputs = { contents, styles };
  } else {
    const [content, style] = await Promise.all([
      req.contentFile ? download(req.contentFile, 'The content image') : undefined,
      req.styleFile ? download(req.styleFile, 'The style image') : undefined,
    ]);
    inputs = { ...(content ? { content } : {}), styles: style ? [style] : [] };
  }
  const meta: SlackJobMeta = { teamId: req.teamId, channel: req.channel, ...(req.threadTs ? { threadTs: req.threadTs } : {}) };
  const result = deps.jobs.submit({
    owner: { platform: 'slack', workspaceId: req.teamId, channelId: req.channel, userId: req.userId, ...(req.threadTs ? { threadId: req.threadTs } : {}) },
    ...(req.sheet ? { kind: 'sheet' as const, sheet: req.sheet } : {}),
    inputs,
    options: req.options,
    meta: { slack: meta },
  });
  if (result.ok) deps.jobView.announce(result.job, result.position);
  return result;
}

/**
 * A form's job, submitted after the form was acknowledged: a refusal or an unusable image is told to
 * the user ephemerally (where the form was opened), an unexpected failure is logged too.
 */
export async function submitFromForm(deps: SlackDeps, client: webApi.WebClient, req: SlackJobRequest, form: string): Promise<void> {
  const to = { channel: req.channel, user: req.userId, ...(req.threadTs ? { threadTs: req.threadTs } : {}) };
  try {
    const result = await submitSlackJob(deps, client, req);
    if (!result.ok) await tellUser(client, to, `Could not start: ${result.reason}`);
  } catch (e) {
    if (!(e instanceof SlackInputError)) log.error({ err: (e as Error).message }, `${form} submission failed`);
    await tellUser(client, to, e instanceof SlackInputError ? e.message : `Could not start: ${(e as Error).message}`);
  }
}
