// Turns job events into Discord messages: one progress message per job, edited at most every
// editIntervalMs (with the latest preview attached), then the result upload with the re-run
// reactions. Handlers never wait for a job: the job service pushes events, and each job's Discord
// calls run one after another on their own promise chain. Where the messages go is persisted in the
// job's meta, so a restarted bot finds them again.
import type { APIMessage } from 'discord.js';
import { jobTitle, queuedText, resumedText } from '../chat/format.ts';
import type { FinalEvent } from '../chat/job-events.ts';
import { RESULT_REACTIONS } from '../chat/reactions.ts';
import { RecentIndex } from '../chat/recent-index.ts';
import type { JobEvent, JobRecord, JobService } from '../jobs/types.ts';
import { logger } from '../log.ts';
import type { DiscordConfig } from './adapter-config.ts';
import {
  DiscordCodes,
  describeError,
  discordErrorCode,
  isForbidden,
  isPermanent,
  isTooLarge,
  type DiscordIO,
  type OutgoingFile,
  type OutgoingMessage,
} from './discord-io.ts';
import { INTERACTION_TOKEN_LIFETIME_MS, jobTag, parseJobTag, readDiscordMeta, type DiscordJobMeta } from './job-meta.ts';
import { gridButtons } from './grid-buttons.ts';
import { cancelCustomId, cancelRow, finishedProgressMessage, mention, progressMessage, resultButtons, resultFileBase, resultMessage, type LiveState } from './messages.ts';
import { UploadTooLargeError, fitForUpload } from './upload-fit.ts';

interface JobState {
  job: JobRecord;
  meta?: DiscordJobMeta;
  ready: Promise<void>;
  markReady: () => void;
  isReady: boolean;
  chain: Promise<void>;
  live: LiveState;
  preview?: Buffer;
  dirty: boolean;
  flushQueued: boolean;
  lastEditAt: number;
  timer?: NodeJS.Timeout;
  fallbackTimer?: NodeJS.Timeout;
  finished: boolean;
  /**
   * A job from before this process started with no progress message on record: the bot may have
   * died after Discord took it but before it heard back, so it is looked for before posting one.
   */
  progressUnknown: boolean;
  /** The command's interaction, kept in memory only: the way in where the bot cannot post. */
  interaction?: { applicationId: string; token: string; expiresAt: number };
}

export interface DiscordJobViewDeps {
  jobs: JobService;
  io: DiscordIO;
  config: DiscordConfig;
}

/** Stop using an interaction token a little before Discord does. */
const TOKEN_MARGIN_MS = 30_000;

/** A job whose command handler never said where to post (crash mid-setup) falls back to its channel. */
const DESTINATION_TIMEOUT_MS = 60_000;
/** Message id → job id entries kept in memory; older ones are found through the job tag. */
const INDEX_LIMIT = 10_000;
const MAX_RETRY_WAIT_MS = 60_000;

export class DiscordJobView {
  private readonly tracked = new Map<string, JobState>();
  private readonly messageIndex = new RecentIndex<string>(INDEX_LIMIT);
  private readonly abort = new AbortController();
  private unsubscribe?: () => void;
  private stopped = false;
  private readonly log = logger.child({ component: 'discord-jobs' });
  /** Jobs submitted before this moment were submitted by an earlier process (see track()). */
  private readonly createdAt = Date.now();

  constructor(private readonly deps: DiscordJobViewDeps) {}

  start(): void {
    this.unsubscribe = this.deps.jobs.on((event, job) => this.onEvent(event, job));
  }

  /** Stops editing and retrying; waits a little for calls already under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.abort.abort();
    const chains: Promise<void>[] = [];
    for (const t of this.tracked.values()) {
      clearTimeout(t.timer);
      clearTimeout(t.fallbackTimer);
      t.markReady();
      chains.push(t.chain);
    }
    await Promise.race([Promise.allSettled(chains), sleep(5000)]);
  }

  /** The job a bot message belongs to, if this process posted or saw it. */
  jobForMessage(messageId: string): string | undefined {
    return this.messageIndex.get(messageId);
  }

  rememberMessage(messageId: string, jobId: string): void {
    this.messageIndex.set(messageId, jobId);
  }

  /**
   * Called by the command handler once the reply (and thread) exist: from here on the job's
   * messages go to meta.postChannelId. Events that came before are replayed in order.
   */
  attach(job: JobRecord, meta: DiscordJobMeta, status?: string, interaction?: { applicationId: string; token: string; createdAt: number }): void {
    if (this.stopped) return;
    if (!this.tracked.has(job.id)) {
      const current = this.deps.jobs.get(job.id);
      if (current && current.state !== 'queued' && current.state !== 'running') {
        // Finished while the reply was being set up (and already reported in the channel).
        this.deps.jobs.updateMeta(job.id, { discord: meta });
        return;
      }
    }
    const t = this.track(job);
    t.meta = { ...t.meta, ...meta };
    if (interaction) {
      const expiresAt = interaction.createdAt + INTERACTION_TOKEN_LIFETIME_MS - TOKEN_MARGIN_MS;
      t.interaction = { applicationId: interaction.applicationId, token: interaction.token, expiresAt };
    }
    if (status && !t.live.progress) t.live.status = status;
    this.indexMeta(t.meta, job.id);
    this.persist(t);
    t.markReady();
    this.touch(t);
  }

  private onEvent(event: JobEvent, job: JobRecord): void {
    if (job.owner.platform !== 'discord' || this.stopped) return;
    const t = this.track(job);
    t.job = job;
    switch (event.type) {
      case 'queued':
        t.live.status = queuedText(event.position);
        this.touch(t);
        break;
      case 'started':
        t.live.status = 'Started…';
        this.touch(t);
        break;
      case 'resumed': {
        const text = resumedText(event, undefined, t.job);
        t.live = { status: text, note: text };
        this.touch(t);
        break;
      }
      case 'progress':
        t.live.progress = event;
        this.touch(t);
        break;
      case 'preview':
        t.preview = event.png;
        this.touch(t);
        break;
      case 'completed':
      case 'failed':
      case 'cancelled':
        this.finish(t, event);
        break;
    }
  }

  private track(job: JobRecord): JobState {
    const existing = this.tracked.get(job.id);
    if (existing) return existing;
    let markReady = () => {};
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const meta = readDiscordMeta(job);
    const t: JobState = {
      job,
      meta,
      ready,
      markReady: () => {
        t.isReady = true;
        clearTimeout(t.fallbackTimer);
        markReady();
      },
      isReady: false,
      chain: Promise.resolve(),
      live: { status: 'Queued.' },
      dirty: false,
      flushQueued: false,
      lastEditAt: 0,
      finished: false,
      progressUnknown: !meta?.progressMessageId && job.createdAt < this.createdAt,
    };
    this.tracked.set(job.id, t);
    if (t.meta) this.indexMeta(t.meta, job.id);
    if (t.meta?.postChannelId) {
      t.markReady();
    } else {
      // A job submitted before this process started (the bot died between taking the command and
      // replying) gets no reply from a command handler here: its channel at once, not in a minute.
      const waitMs = job.createdAt < this.createdAt ? 0 : DESTINATION_TIMEOUT_MS;
      t.fallbackTimer = setTimeout(() => {
        if (t.isReady) return;
        const channelId = t.meta?.channelId ?? job.owner.threadId ?? job.owner.channelId;
        this.log.warn({ jobId: job.id }, 'no destination for a Discord job; posting in its channel');
        t.meta = { ...t.meta, channelId, postChannelId: job.owner.threadId ?? channelId };
        this.persist(t);
        t.markReady();
      }, waitMs);
      t.fallbackTimer.unref();
    }
    return t;
  }

  private indexMeta(meta: DiscordJobMeta, jobId: string): void {
    for (const id of [meta.replyMessageId, meta.progressMessageId, meta.resultMessageId]) if (id) this.rememberMessage(id, jobId);
  }

  private persist(t: JobState): void {
    if (!t.meta) return;
    try {
      this.deps.jobs.updateMeta(t.job.id, { discord: t.meta });
    } catch (e) {
      this.log.warn({ jobId: t.job.id, err: describeError(e) }, 'could not persist Discord message ids');
    }
  }

  private enqueue(t: JobState, step: () => Promise<void>): void {
    t.chain = t.chain.then(step).catch((e: unknown) => {
      this.log.error({ jobId: t.job.id, err: describeError(e) }, 'Discord update failed');
    });
  }

  /** Marks the progress message stale and schedules an edit no sooner than editIntervalMs after the last one. */
  private touch(t: JobState): void {
    t.dirty = true;
    if (t.finished || t.timer || t.flushQueued || this.stopped) return;
    const wait = Math.max(0, t.lastEditAt + this.deps.config.editIntervalMs - Date.now());
    t.timer = setTimeout(() => {
      t.timer = undefined;
      t.flushQueued = true;
      this.enqueue(t, () => this.flush(t));
    }, wait);
  }

  private uploadLimit(t: JobState): number {
    return t.meta?.uploadLimitBytes ?? this.deps.config.defaultUploadLimitBytes;
  }

  private replyTo(meta: DiscordJobMeta): string | undefined {
    // Without a thread, messages answer the command's reply so they read as one conversation.
    return meta.postChannelId === meta.channelId ? meta.replyMessageId : undefined;
  }

  private liveInteraction(t: JobState): { applicationId: string; token: string } | undefined {
    return t.interaction && Date.now() < t.interaction.expiresAt ? t.interaction : undefined;
  }

  /**
   * Posts in the job's channel or thread; where the bot may not post (a command used in a channel
   * the bot cannot see), answers through the interaction instead, while its token lives.
   */
  private async send(t: JobState, msg: OutgoingMessage): Promise<APIMessage> {
    const meta = t.meta!;
    if (!meta.viaWebhook) {
      try {
        return await this.deps.io.send(meta.postChannelId!, msg);
      } catch (e) {
        if (!isForbidden(e) || !this.liveInteraction(t)) throw e;
        this.log.warn({ jobId: t.job.id, err: describeError(e) }, 'cannot post in the channel; answering through the interaction');
        meta.viaWebhook = true;
        this.persist(t);
      }
    }
    const live = this.liveInteraction(t);
    if (!live) throw new Error('the bot cannot post in this channel and the interaction has expired');
    return this.deps.io.followUp(live.applicationId, live.token, msg);
  }

  private async edit(t: JobState, messageId: string, msg: OutgoingMessage): Promise<APIMessage> {
    const meta = t.meta!;
    if (!meta.viaWebhook) return this.deps.io.edit(meta.postChannelId!, messageId, msg);
    const live = this.liveInteraction(t);
    if (!live) throw new Error('the interaction that carried this job has expired');
    return this.deps.io.editFollowUp(live.applicationId, live.token, messageId, msg);
  }

  private async flush(t: JobState): Promise<void> {
    await t.ready;
    t.flushQueued = false;
    if (!t.dirty || t.finished || this.stopped || !t.meta?.postChannelId) return;
    // Scheduled while the previous edit was still in flight: count the interval from its end.
    if (Date.now() < t.lastEditAt + this.deps.config.editIntervalMs) return this.touch(t);
    t.dirty = false;
    const meta = t.meta;
    const content = progressMessage(t.job, t.live);
    const preview = t.preview;
    t.preview = undefined;
    let files: OutgoingFile[] | undefined;
    if (preview) {
      try {
        files = [(await fitForUpload(preview, this.uploadLimit(t), 'preview')).file];
      } catch (e) {
        this.log.warn({ jobId: t.job.id, err: describeError(e) }, 'preview too large to post');
      }
    }
    t.lastEditAt = Date.now();
    try {
      await this.adoptProgressMessage(t);
      if (meta.progressMessageId) {
        await this.edit(t, meta.progressMessageId, { content, components: cancelRow(t.job.id), files, replaceAttachments: Boolean(files) });
      } else {
        const m = await this.send(t, { content, components: cancelRow(t.job.id), files, replyTo: this.replyTo(meta) });
        meta.progressMessageId = m.id;
        this.rememberMessage(m.id, t.job.id);
        this.persist(t);
      }
    } catch (e) {
      if (files && isTooLarge(e)) {
        // The channel's cap is below what we were told: remember it for previews and the result.
        meta.uploadLimitBytes = Math.floor(files[0].data.length * 0.8);
        this.persist(t);
        t.dirty = true;
      } else if (discordErrorCode(e) === DiscordCodes.UnknownMessage) {
        // Someone deleted the progress message: post a fresh one next time.
        meta.progressMessageId = undefined;
        t.dirty = true;
      }
      this.log.warn({ jobId: t.job.id, err: describeError(e) }, 'progress update failed');
    } finally {
      t.lastEditAt = Date.now();
    }
    if (t.dirty) this.touch(t);
  }

  private finish(t: JobState, event: FinalEvent): void {
    if (t.finished) return;
    t.finished = true;
    clearTimeout(t.timer);
    t.timer = undefined;
    this.enqueue(t, async () => {
      try {
        await t.ready;
        if (this.stopped || !t.meta?.postChannelId) return;
        // The outcome first (what the user waits for), then the progress message's last edit,
        // which keeps to the edit interval like every other edit.
        if (event.type === 'completed') await this.deliver(t, event);
        else if (event.type === 'failed') await this.notifyFailure(t, event);
        await sleep(t.lastEditAt + this.deps.config.editIntervalMs - Date.now(), this.abort.signal);
        await this.finalProgress(t, event);
      } finally {
        this.tracked.delete(t.job.id);
      }
    });
  }

  private async finalProgress(t: JobState, event: FinalEvent): Promise<void> {
    const meta = t.meta!;
    const content = finishedProgressMessage(t.job, event);
    t.lastEditAt = Date.now();
    try {
      await this.adoptProgressMessage(t);
      if (meta.progressMessageId) {
        await this.edit(t, meta.progressMessageId, { content, components: [], replaceAttachments: true });
      } else if (event.type === 'cancelled') {
        const m = await this.send(t, { content, replyTo: this.replyTo(meta) });
        this.rememberMessage(m.id, t.job.id);
      }
    } catch (e) {
      this.log.warn({ jobId: t.job.id, err: describeError(e) }, 'final progress edit failed');
    }
  }

  private async notifyFailure(t: JobState, event: Extract<JobEvent, { type: 'failed' }>): Promise<void> {
    const meta = t.meta!;
    const user = t.job.owner.userId;
    if (event.afterRestart && (await this.postedBeforeRestart(t, 'failure'))) return;
    try {
      await this.send(t, {
        content: `${mention(user)} your ${jobTitle(t.job)} failed: ${event.reason}\n${jobTag(t.job.id)}`,
        mentionUsers: [user],
        replyTo: this.replyTo(meta),
      });
      this.deps.jobs.confirmDelivered(t.job.id);
    } catch (e) {
      this.log.warn({ jobId: t.job.id, err: describeError(e) }, 'could not post the failure');
      // Trying again after a restart would fail the same way; anything else is tried again then.
      if (isPermanent(e)) this.deps.jobs.confirmDelivered(t.job.id);
    }
  }

  /**
   * Posts the result, re-encoding it smaller when over the upload cap and retrying with backoff
   * when Discord fails: the PNG lives in this closure until it is delivered or attempts run out.
   */
  private async deliver(t: JobState, event: Extract<JobEvent, { type: 'completed' }>): Promise<void> {
    const meta = t.meta!;
    if (meta.delivered) {
      // Posted before a restart that came before the service heard of it.
      this.deps.jobs.confirmDelivered(t.job.id);
      return;
    }
    if (event.afterRestart && (await this.postedBeforeRestart(t, 'result'))) return;
    const user = t.job.owner.userId;
    let limit = this.uploadLimit(t);
    let attempt = 0;
    while (!this.stopped) {
      let size = 0;
      try {
        const fitted = await fitForUpload(event.png, limit, resultFileBase(t.job));
        size = fitted.file.data.length;
        // The before/after goes with the result when it fits too; the result never waits for it.
        const compare = event.compare ? await fitForUpload(event.compare, limit, 'before-after').catch(() => undefined) : undefined;
        const m = await this.send(t, {
          content: resultMessage(t.job, event.runtimeMs, fitted.note, event.summary),
          files: compare ? [fitted.file, compare.file] : [fitted.file],
          ...(t.job.sheet ? {} : { components: t.job.kind === 'grid' ? gridButtons(t.job.id) : resultButtons(t.job.id) }),
          mentionUsers: [user],
          replyTo: this.replyTo(meta),
        });
        meta.resultMessageId = m.id;
        meta.delivered = true;
        this.rememberMessage(m.id, t.job.id);
        this.persist(t);
        this.deps.jobs.confirmDelivered(t.job.id);
        break;
      } catch (e) {
        if (e instanceof UploadTooLargeError) {
          await this.sendQuietly(t, `${mention(user)} the result is too large to upload here.\n${jobTag(t.job.id)}`, [user]);
          this.deps.jobs.confirmDelivered(t.job.id);
          return;
        }
        if (isTooLarge(e) && size > 0) {
          // The channel's cap is lower than we were told: aim below what was just refused.
          limit = Math.floor(size * 0.8);
          meta.uploadLimitBytes = limit;
          continue;
        }
        if (isPermanent(e)) {
          if (meta.postChannelId !== meta.channelId && !meta.viaWebhook) {
            // The thread is gone or closed to the bot: post in the channel the command came from.
            this.log.warn({ jobId: t.job.id, err: describeError(e) }, 'thread unusable; posting the result in the channel');
            meta.postChannelId = meta.channelId;
            this.persist(t);
            continue;
          }
          this.log.error({ jobId: t.job.id, err: describeError(e) }, 'cannot post the result here');
          // Trying again after a restart would fail the same way.
          this.deps.jobs.confirmDelivered(t.job.id);
          return;
        }
        attempt++;
        if (attempt >= this.deps.config.retryAttempts) {
          this.log.error({ jobId: t.job.id, err: describeError(e), attempts: attempt }, 'giving up posting a result');
          return;
        }
        const wait = Math.min(MAX_RETRY_WAIT_MS, this.deps.config.retryBaseMs * 2 ** (attempt - 1));
        this.log.warn({ jobId: t.job.id, err: describeError(e), attempt, waitMs: wait }, 'posting the result failed; retrying');
        await sleep(wait, this.abort.signal);
      }
    }
    // A sheet is not one image to re-run in another mode, and keeps no frames: no offers. A grid offers its U/V buttons.
    if (!meta.delivered || !meta.resultMessageId || t.job.sheet || t.job.kind === 'grid') return;
    for (const r of RESULT_REACTIONS) {
      try {
        await this.deps.io.react(meta.postChannelId!, meta.resultMessageId, r.unicode);
      } catch (e) {
        this.log.warn({ jobId: t.job.id, err: describeError(e) }, 'could not add a reaction');
      }
    }
  }

  /**
   * A result or failure announced again after a restart: the bot may have died after Discord took
   * the message but before it heard back. A bot message with the job's tag among the channel's
   * latest messages, carrying the result file (or saying it failed), says it was posted. A lookup
   * that fails posts it again: twice is better than never.
   */
  private async postedBeforeRestart(t: JobState, what: 'result' | 'failure'): Promise<boolean> {
    const file = new RegExp(`^${resultFileBase(t.job)}\\.(png|jpg)$`);
    const failure = `your ${jobTitle(t.job)} failed: `;
    const isIt = (m: APIMessage) => (what === 'result' ? m.attachments.some((a) => file.test(a.filename)) : m.content.includes(failure));
    const posted = await this.findOwnRecent(t, isIt, `a ${what}`, 'posting it');
    if (!posted) return false;
    this.log.info({ jobId: t.job.id, messageId: posted.id }, `the ${what} was posted before the restart; not posting it again`);
    if (what === 'result') {
      t.meta!.resultMessageId = posted.id;
      t.meta!.delivered = true;
      this.rememberMessage(posted.id, t.job.id);
      this.persist(t);
    }
    this.deps.jobs.confirmDelivered(t.job.id);
    return true;
  }

  /**
   * A job from before the restart with no progress message on record takes up the one a bot that
   * died before it heard back may have posted: its message with the job's Cancel button (once).
   * None found: a new one is posted (a stale message is better than none).
   */
  private async adoptProgressMessage(t: JobState): Promise<void> {
    if (t.meta!.progressMessageId || !t.progressUnknown) return;
    t.progressUnknown = false;
    const cancel = cancelCustomId(t.job.id);
    const hasCancel = (m: APIMessage) => (m.components ?? []).some((row) => 'components' in row && row.components.some((c) => 'custom_id' in c && c.custom_id === cancel));
    const found = await this.findOwnRecent(t, hasCancel, 'a progress message', 'posting one');
    if (!found) return;
    this.log.info({ jobId: t.job.id, messageId: found.id }, 'the progress message was posted before the restart; editing it');
    t.meta!.progressMessageId = found.id;
    this.rememberMessage(found.id, t.job.id);
    this.persist(t);
  }

  /**
   * The bot's own message with the job's tag that `matches`, among the job channel's latest
   * messages. Undefined when there is none, when the job answers through its interaction, or when
   * the lookup fails (then what `otherwise` says is done again).
   */
  private async findOwnRecent(t: JobState, matches: (m: APIMessage) => boolean, what: string, otherwise: string): Promise<APIMessage | undefined> {
    const meta = t.meta!;
    if (meta.viaWebhook || !meta.postChannelId) return undefined;
    try {
      const recent = await this.deps.io.recentMessages(meta.postChannelId);
      return recent.find((m) => m.author.bot && parseJobTag(m.content) === t.job.id && matches(m));
    } catch (e) {
      this.log.warn({ jobId: t.job.id, err: describeError(e) }, `could not look for ${what} posted before the restart; ${otherwise}`);
      return undefined;
    }
  }

  private async sendQuietly(t: JobState, content: string, mentionUsers: string[]): Promise<void> {
    try {
      await this.send(t, { content, mentionUsers, replyTo: this.replyTo(t.meta!) });
    } catch (e) {
      this.log.warn({ err: describeError(e) }, 'could not post a notice');
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
