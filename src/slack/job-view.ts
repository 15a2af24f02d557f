// Job events → Slack messages. One root message per job ("Stylizing… queued at position N"), then
// in its thread: a progress message edited in place (throttled), previews and the result as file
// uploads, and a result message carrying the 🧵/🧱 reactions. The ts of every message is persisted
// in the job's meta (meta.slack) so a restarted bot keeps editing the same messages.
//
// Reactions go on a text message posted after the upload, not on the file message: Slack shares an
// uploaded file asynchronously, so files.completeUploadExternal often returns before the share (and
// its ts) exists. When the share info is there, the file message is indexed too, so reacting on the
// image works as well.
import type { webApi } from '@slack/bolt';
import { cancelHint, jobProgressText, jobTitle, resultText, resumedText } from '../chat/format.ts';
import { formatDuration } from '../jobs/summary.ts';
import { isFinal, type FinalEvent, type ProgressEvent } from '../chat/job-events.ts';
import { RESULT_REACTIONS } from '../chat/reactions.ts';
import type { JobEvent, JobRecord, JobService } from '../jobs/types.ts';
import { logger } from '../log.ts';
import { escapeMrkdwn, mentionOrName, resultActionsBlock, statusBlocks } from './messages.ts';
import { JOB_METADATA_EVENT, jobMetadata, type JobMessageIndex, type JobMessageRole } from './job-messages.ts';
import { slackMetaOf, type SlackJobMeta } from './job-meta.ts';
import { aSheet } from '../jobs/sheet-rules.ts';
import { gridActionsBlocks } from './grid-buttons.ts';
import { tellUser } from './replies.ts';

const log = logger.child({ module: 'slack' });

interface JobState {
  job: JobRecord;
  meta: SlackJobMeta;
  chain: Promise<void>;
  position?: number;
  lastProgress?: ProgressEvent;
  pending?: ProgressEvent;
  lastUpdateAt: number;
  lastPreviewAt: number;
  /** What the root message says now: an unchanged text is not sent again. */
  rootShown?: string;
  timer?: NodeJS.Timeout;
  finished: boolean;
  /** The root message could not be posted: the job was given up. */
  abandoned?: boolean;
  /**
   * The job is from before this process started and its root's ts was never stored: a killed bot may
   * have posted the root without hearing back, so it is looked for before being posted again.
   */
  rootUnknown?: boolean;
}

export interface SlackJobViewOptions {
  jobs: JobService;
  client: webApi.WebClient;
  index: JobMessageIndex;
  updateIntervalMs: number;
  previewIntervalMs: number;
  /** A Slack API call failed (metrics). */
  onApiError?: () => void;
}

// Looking for a result already uploaded (or a root posted) before a restart reads the thread (the
// channel) a page at a time, up to this many messages.
const THREAD_PAGE_SIZE = 200;
const MAX_THREAD_PAGES = 10;

/** What findOwn() reads of a message from conversations.replies or .history. */
interface OwnMessageCandidate {
  user?: string;
  bot_id?: string;
  files?: { name?: string }[];
  metadata?: unknown;
}

function queuedStatus(position: number): string {
  return `queued at position ${position}.`;
}

export class SlackJobView {
  private readonly views = new Map<string, JobState>();
  private readonly inFlight = new Set<Promise<void>>();
  private unsubscribe?: () => void;
  /** When this view started listening: a job created before comes from a previous run of the bot. */
  private attachedAt = Date.now();
  /** Who the bot is (auth.test), to tell its own messages in a thread. */
  private identity?: Promise<{ userId?: string; botId?: string }>;

  constructor(private readonly opts: SlackJobViewOptions) {}

  attach(): void {
    if (!this.unsubscribe) this.attachedAt = Date.now();
    this.unsubscribe ??= this.opts.jobs.on((event, job) => {
      if (job.owner.platform !== 'slack') return;
      try {
        this.onEvent(event, job);
      } catch (e) {
        log.error({ err: (e as Error).message, jobId: job.id }, 'slack job view failed');
      }
    });
  }

  detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const v of this.views.values()) if (v.timer) clearTimeout(v.timer);
  }

  /** Called by the handlers right after a successful submit: makes sure the root message exists. */
  announce(job: JobRecord, position: number): void {
    const view = this.view(job);
    view.position ??= position;
    this.enqueue(view, () => this.ensureRoot(view));
  }

  /** Resolves once every message already scheduled has been sent (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private view(job: JobRecord): JobState {
    let v = this.views.get(job.id);
    if (!v) {
      const meta = slackMetaOf(job);
      v = { job, meta, chain: Promise.resolve(), lastUpdateAt: 0, lastPreviewAt: 0, finished: false, rootUnknown: !meta.rootTs && job.createdAt < this.attachedAt };
      this.views.set(job.id, v);
    } else {
      v.job = job;
    }
    return v;
  }

  private enqueue(view: JobState, step: () => Promise<void>): void {
    const next = view.chain.then(() => (view.abandoned ? undefined : step())).catch((e: unknown) => {
      this.opts.onApiError?.();
      log.error({ err: (e as Error).message, jobId: view.job.id }, 'slack message update failed');
    });
    view.chain = next;
    this.inFlight.add(next);
    void next.finally(() => this.inFlight.delete(next));
  }

  private onEvent(event: JobEvent, job: JobRecord): void {
    const view = this.view(job);
    if (view.finished) {
      // An abandoned job's own end (the cancel it asked for) only needs forgetting.
      if (view.abandoned && isFinal(event)) this.views.delete(job.id);
      return;
    }
    switch (event.type) {
      case 'queued':
        view.position = event.position;
        this.enqueue(view, async () => {
          if (view.meta.rootTs) await this.updateRoot(view, this.rootText(view, queuedStatus(event.position)), true);
          else await this.ensureRoot(view);
        });
        break;
      case 'resumed':
        this.enqueue(view, async () => {
          await this.ensureRoot(view);
          const from = resumedText(event, undefined, view.job).replace(/^Resumed after a restart/, '').replace(/\.$/, '');
          await this.updateRoot(view, this.rootText(view, `resumed after a restart${from}, waiting for its turn.`), true);
        });
        break;
      case 'started':
        this.enqueue(view, async () => {
          await this.ensureRoot(view);
          await this.updateRoot(view, this.rootText(view, 'running, progress in the thread.'), true);
        });
        break;
      case 'progress':
        view.lastProgress = event;
        this.scheduleProgress(view, event);
        break;
      case 'preview': {
        const now = Date.now();
        // The last step's preview is the result itself, which follows.
        if (event.iteration >= job.options.steps) break;
        if (view.lastPreviewAt > 0 && now - view.lastPreviewAt < this.opts.previewIntervalMs) break;
        view.lastPreviewAt = now;
        this.enqueue(view, async () => {
          // A preview still waiting when the result is in would only clutter the thread.
          if (view.finished) return;
          await this.ensureRoot(view);
          await this.upload(view, event.png, `stylize-${job.id}-step${event.iteration}.png`, `Preview at step ${event.iteration}`);
        });
        break;
      }
      case 'completed':
      case 'failed':
      case 'cancelled':
        this.finish(view, event);
        break;
    }
    if (isFinal(event)) {
      this.enqueue(view, async () => {
        this.views.delete(job.id);
      });
    }
  }

  private scheduleProgress(view: JobState, event: ProgressEvent): void {
    view.pending = event;
    if (view.timer) return;
    const wait = Math.max(0, view.lastUpdateAt + this.opts.updateIntervalMs - Date.now());
    if (wait === 0) {
      this.flushProgress(view);
      return;
    }
    view.timer = setTimeout(() => {
      view.timer = undefined;
      this.flushProgress(view);
    }, wait);
    view.timer.unref();
  }

  private flushProgress(view: JobState): void {
    const p = view.pending;
    view.pending = undefined;
    if (!p || view.finished) return;
    view.lastUpdateAt = Date.now();
    this.enqueue(view, async () => {
      await this.ensureRoot(view);
      await this.putProgress(view, jobProgressText(view.job, p), true);
    });
  }

  private finish(view: JobState, event: FinalEvent): void {
    view.finished = true;
    if (view.timer) clearTimeout(view.timer);
    view.timer = undefined;
    view.pending = undefined;
    const job = view.job;
    this.enqueue(view, async () => {
      await this.ensureRoot(view);
      // Each part stands alone: a failed upload must not keep the root message saying "running".
      const attempt = async (what: string, part: () => Promise<unknown>): Promise<boolean> => {
        try {
          await part();
          return true;
        } catch (e) {
          this.opts.onApiError?.();
          log.error({ err: (e as Error).message, jobId: job.id }, `slack: could not ${what}`);
          return false;
        }
      };
      const last = view.lastProgress;
      if (event.type === 'completed') {
        if (view.meta.fileTs) {
          // Uploaded before a restart that came before the service heard of it.
          this.opts.jobs.confirmDelivered(job.id);
          return;
        }
        if (view.meta.progressTs && last) {
          await attempt('finish the progress message', () => this.putProgress(view, `Finished.\n${jobProgressText(job, { ...last, iteration: last.steps, etaMs: 0 })}`, false));
        }
        const [name, title] = job.sheet
          ? [`sheet-${job.sheet.kind}-${job.id}.png`, `${jobTitle(job)}`]
          : job.kind === 'grid'
            ? [`grid-${job.id}.png`, `${jobTitle(job)} (2×2)`]
            : [`stylize-${job.id}.png`, `Stylized (${job.options.mode})`];
        const delivered = (fileTs: string | undefined): void => {
          this.opts.jobs.confirmDelivered(job.id);
          if (fileTs) {
            view.meta.fileTs = fileTs;
            this.persist(view);
            this.opts.index.set(view.meta.channel, fileTs, { jobId: job.id, role: 'file' });
          }
        };
        // The bot may have died after Slack took the upload but before it heard back: the file is then
        // in the thread already. Everything after the upload was not done yet (the delivery would have
        // been confirmed), so only the upload is skipped.
        const already = event.afterRestart ? await this.findUploaded(view, name) : undefined;
        let uploaded: boolean;
        if (already) {
          log.info({ jobId: job.id, ts: already }, 'slack: the result was uploaded before the restart, not uploading it again');
          // The image is in the thread whatever happens to the bookkeeping.
          await attempt('record the result as delivered', async () => delivered(already));
          uploaded = true;
        } else {
          uploaded = await attempt('upload the result', async () => delivered(await this.upload(view, event.png, name, title)));
        }
        const compare = event.compare;
        if (uploaded && compare) await attempt('upload the before/after image', () => this.upload(view, compare, `before-after-${job.id}.png`, 'Before / after'));
        const text = uploaded ? resultText(job, event.runtimeMs) : `${resultText(job, event.runtimeMs)}\n(The image could not be uploaded to Slack.)`;
        await attempt('post the result message', async () => {
          const blocks = statusBlocks(escapeMrkdwn(text), job.id, false, event.summary ? escapeMrkdwn(event.summary) : undefined);
          // A sheet is not one image to re-run in another mode and keeps no frames: no buttons or reactions.
          // A grid offers its U/V buttons instead (its candidates are what to go on from).
          if (job.kind === 'grid') blocks.push(...gridActionsBlocks(job.id));
          else if (!job.sheet) blocks.push(resultActionsBlock(job.id));
          const ts = await this.post(view, text, blocks, 'result');
          if (!ts) return;
          view.meta.resultTs = ts;
          this.persist(view);
          if (job.sheet || job.kind === 'grid') return;
          for (const r of RESULT_REACTIONS) {
            await attempt(`add the ${r.slackName} reaction`, () => this.opts.client.reactions.add({ channel: view.meta.channel, timestamp: ts, name: r.slackName }));
          }
        });
        await this.updateRoot(view, this.rootText(view, `done in ${formatDuration(event.runtimeMs)}, result in the thread.`), false, ':white_check_mark:');
      } else if (event.type === 'failed') {
        const what = job.sheet ? `The ${jobTitle(job)}` : 'Stylizing';
        // As for the result: the bot may have died after Slack took the failure but before it heard back.
        const already = event.afterRestart ? await this.findOwnRole(view, 'failure') : undefined;
        if (already) log.info({ jobId: job.id, ts: already }, 'slack: the failure was posted before the restart, not posting it again');
        const posted =
          Boolean(already) || (await attempt('post the failure', () => this.post(view, `${what} failed: ${event.reason}`, statusBlocks(`:warning: ${what} failed: ${escapeMrkdwn(event.reason)}`, job.id, false), 'failure')));
        if (posted) await attempt('record the failure as posted', async () => this.opts.jobs.confirmDelivered(job.id));
        if (view.meta.progressTs && last) await attempt('stop the progress message', () => this.putProgress(view, `Stopped.\n${jobProgressText(job, last)}`, false));
        await this.updateRoot(view, this.rootText(view, `failed: ${escapeMrkdwn(event.reason)}`), false, ':warning:');
      } else {
        const by = mentionOrName(event.by);
        await attempt('post the cancellation', () => this.post(view, `Cancelled by ${by}.`, statusBlocks(`:x: Cancelled by ${by}.`, job.id, false)));
        if (view.meta.progressTs && last) await attempt('stop the progress message', () => this.putProgress(view, `Cancelled.\n${jobProgressText(job, last)}`, false));
        await this.updateRoot(view, this.rootText(view, `cancelled by ${by}.`), false, ':x:');
      }
    });
  }

  private rootText(view: JobState, status: string): string {
    const job = view.job;
    const what = job.sheet
      ? `Rendering ${aSheet(job.sheet.kind)}`
      : job.kind === 'grid' || job.kind === 'upscale'
        ? `${job.kind === 'grid' ? 'Rendering a' : 'Rendering the'} ${jobTitle(job)}`
        : job.parentJobId
          ? `Re-running as ${job.options.mode}`
          : 'Stylizing';
    return `${what} for <@${job.owner.userId}>… ${status}`;
  }

  private async ensureRoot(view: JobState): Promise<void> {
    if (view.meta.rootTs) return;
    if (view.abandoned) throw new Error('the job has no message to update');
    if (view.rootUnknown) {
      view.rootUnknown = false;
      const found = await this.findOwnRole(view, 'root');
      if (found) {
        log.info({ jobId: view.job.id, ts: found }, 'slack: the job\'s first message was posted before the restart, editing it');
        view.meta.rootTs = found;
        view.meta.threadTs ??= found;
        this.opts.index.set(view.meta.channel, found, { jobId: view.job.id, role: 'root' });
        this.persist(view);
        return;
      }
    }
    const status = view.position !== undefined ? queuedStatus(view.position) : 'starting.';
    const text = `${this.rootText(view, status)} ${cancelHint()}`;
    let ts: string | undefined;
    try {
      ts = await this.post(view, text, statusBlocks(`:art: ${text}`, view.job.id, true), 'root', view.meta.threadTs);
      if (!ts) throw new Error('Slack returned no message ts');
    } catch (e) {
      await this.abandon(view, e);
      throw e;
    }
    view.meta.rootTs = ts;
    view.meta.threadTs ??= ts;
    view.rootShown = `${text}|true`;
    this.persist(view);
  }

  /**
   * Without its first message a job could never show progress or deliver its result (typically the
   * bot is not in the channel): cancel it and tell the user why, by DM if need be.
   */
  private async abandon(view: JobState, e: unknown): Promise<void> {
    view.abandoned = true;
    view.finished = true;
    if (view.timer) clearTimeout(view.timer);
    const job = view.job;
    const code = (e as { data?: { error?: string } }).data?.error ?? (e as Error).message;
    const where = `<#${view.meta.channel}>`;
    const text =
      code === 'not_in_channel' || code === 'channel_not_found'
        ? `I can't post in ${where}, so your Stylize job was cancelled: invite me there with \`/invite @Stylize\` and try again.`
        : `I can't post in ${where} (${escapeMrkdwn(code)}), so your Stylize job was cancelled.`;
    const cancelled = this.opts.jobs.cancel(job.id, { userId: job.owner.userId, isAdmin: false });
    if (!cancelled.ok) log.warn({ jobId: job.id, reason: cancelled.reason }, 'could not cancel a job without a message');
    await tellUser(this.opts.client, { channel: view.meta.channel, user: job.owner.userId }, text);
  }

  private async updateRoot(view: JobState, text: string, cancellable: boolean, icon = ':art:'): Promise<void> {
    if (!view.meta.rootTs) return;
    const full = cancellable ? `${text} ${cancelHint()}` : text;
    if (view.rootShown === `${full}|${cancellable}`) return;
    view.rootShown = `${full}|${cancellable}`;
    await this.opts.client.chat.update({
      channel: view.meta.channel,
      ts: view.meta.rootTs,
      text: full,
      blocks: statusBlocks(`${icon} ${full}`, view.job.id, cancellable),
      metadata: jobMetadata(view.job.id, 'root'),
    });
  }

  private async putProgress(view: JobState, text: string, cancellable: boolean): Promise<void> {
    const blocks = statusBlocks(`\`\`\`${text}\`\`\``, view.job.id, cancellable);
    if (view.meta.progressTs) {
      await this.opts.client.chat.update({ channel: view.meta.channel, ts: view.meta.progressTs, text, blocks, metadata: jobMetadata(view.job.id, 'progress') });
      return;
    }
    const ts = await this.post(view, text, blocks, 'progress');
    if (ts) {
      view.meta.progressTs = ts;
      this.persist(view);
    }
  }

  /** Posts in the job's thread (or at `threadTs` for the root); returns the message ts. */
  private async post(view: JobState, text: string, blocks: ReturnType<typeof statusBlocks>, role?: JobMessageRole, threadTs = view.meta.threadTs): Promise<string | undefined> {
    const res = await this.opts.client.chat.postMessage({
      channel: view.meta.channel,
      text,
      blocks,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      ...(role ? { metadata: jobMetadata(view.job.id, role) } : {}),
      unfurl_links: false,
    });
    if (res.ts && role) this.opts.index.set(view.meta.channel, res.ts, { jobId: view.job.id, role });
    return res.ts;
  }

  /** files.uploadV2 into the thread; returns the file message's ts when Slack already reports the share. */
  private async upload(view: JobState, png: Buffer, filename: string, title: string): Promise<string | undefined> {
    const threadTs = view.meta.threadTs;
    const res = threadTs
      ? await this.opts.client.files.uploadV2({ channel_id: view.meta.channel, thread_ts: threadTs, file: png, filename, title })
      : await this.opts.client.files.uploadV2({ channel_id: view.meta.channel, file: png, filename, title });
    return shareTs(res, view.meta.channel);
  }

  /** The ts of the bot's message in the job's thread carrying a file named `filename` (see findOwn). */
  private findUploaded(view: JobState, filename: string): Promise<string | undefined> {
    if (!view.meta.threadTs) return Promise.resolve(undefined);
    return this.findOwn(view, view.meta.threadTs, (m) => Boolean(m.files?.some((f) => f.name === filename)), 'the result in the thread', 'uploading it');
  }

  /**
   * The ts of the job's message of this role where it would have been posted (the root where
   * ensureRoot() posts it; the failure in the thread), by its metadata (see findOwn).
   */
  private findOwnRole(view: JobState, role: 'root' | 'failure'): Promise<string | undefined> {
    const jobId = view.job.id;
    const isIt = (m: OwnMessageCandidate): boolean => {
      const meta = m.metadata as { event_type?: string; event_payload?: { job_id?: unknown; role?: unknown } } | undefined;
      return meta?.event_type === JOB_METADATA_EVENT && meta.event_payload?.job_id === jobId && meta.event_payload.role === role;
    };
    return this.findOwn(view, view.meta.threadTs, isIt, role === 'root' ? "the job's first message" : 'the failure', 'posting it');
  }

  /**
   * The ts of the bot's own message that `matches`, in the thread `threadTs` (else the channel, newest
   * first), read a page at a time. Undefined when there is none or it cannot be looked for: what
   * `otherwise` says is then done again, since showing twice beats losing it.
   */
  private async findOwn(view: JobState, threadTs: string | undefined, matches: (m: OwnMessageCandidate) => boolean, what: string, otherwise: string): Promise<string | undefined> {
    const { channel } = view.meta;
    const jobId = view.job.id;
    try {
      const me = await this.me();
      const mine = (m: OwnMessageCandidate) => (me.userId !== undefined && m.user === me.userId) || (me.botId !== undefined && m.bot_id === me.botId);
      let cursor: string | undefined;
      for (let page = 0; page < MAX_THREAD_PAGES; page++) {
        const args = { channel, limit: THREAD_PAGE_SIZE, include_all_metadata: true, ...(cursor ? { cursor } : {}) };
        const res = threadTs ? await this.opts.client.conversations.replies({ ...args, ts: threadTs }) : await this.opts.client.conversations.history(args);
        const found = res.messages?.find((m) => mine(m) && matches(m));
        if (found?.ts) return found.ts;
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!res.has_more || !cursor) return undefined;
      }
      log.warn({ jobId, channel, threadTs }, `slack: stopped looking for ${what} after ${MAX_THREAD_PAGES * THREAD_PAGE_SIZE} messages, ${otherwise}`);
      return undefined;
    } catch (e) {
      this.opts.onApiError?.();
      log.warn({ err: (e as Error).message, jobId }, `slack: could not look for ${what}, ${otherwise} (it may show twice)`);
      return undefined;
    }
  }

  /** Who the bot is (auth.test, asked once): its own messages are the only ones to adopt. */
  private async me(): Promise<{ userId?: string; botId?: string }> {
    this.identity ??= this.opts.client.auth.test().then((r) => ({ userId: r.user_id, botId: r.bot_id }));
    return this.identity.catch((e: unknown) => {
      this.identity = undefined;
      throw e;
    });
  }

  private persist(view: JobState): void {
    try {
      this.opts.jobs.updateMeta(view.job.id, { slack: { ...view.meta } });
    } catch (e) {
      log.warn({ err: (e as Error).message, jobId: view.job.id }, 'could not persist slack message ids');
    }
  }
}

interface ShareEntry {
  ts?: string;
}
interface UploadedFileInfo {
  shares?: { public?: Record<string, ShareEntry[]>; private?: Record<string, ShareEntry[]> };
}

/** The ts of the message that shared the uploaded file in `channel`, when the upload response has it. */
export function shareTs(res: unknown, channel: string): string | undefined {
  const completions = (res as { files?: { files?: UploadedFileInfo[] }[] }).files ?? [];
  for (const c of completions) {
    for (const f of c.files ?? []) {
      const entry = f.shares?.public?.[channel]?.[0] ?? f.shares?.private?.[channel]?.[0];
      if (entry?.ts) return entry.ts;
    }
  }
  return undefined;
}
