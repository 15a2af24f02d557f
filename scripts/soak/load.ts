// The soak's users: on the fake Discord and the fake Slack at once, each user submits tiny jobs
// (16-48 px, 2-10 steps) of all three modes, sheets and coarse-to-fine runs, re-runs results by
// reaction and by button, asks for time-lapses and charts, cancels waiting and running jobs; an
// admin on each platform changes the defaults; one user on each sends only bad inputs (a file that
// is not an image, an image over the pixel limit), which must be refused. Every action is recorded
// (what, when) for the checker; every loop is bounded in count and in time.
import { ApplicationCommandOptionType as T } from 'discord.js';
import { parseJobTag } from '../../src/discord/job-meta.ts';
import type { FakeDiscord, RecordedRequest } from '../lib/fakes/discord/index.ts';
import { makeUser, type FakeUser } from '../lib/fakes/discord/payloads.ts';
import type { FakeSlack, SlackRequests } from '../lib/fakes/slack/index.ts';
import type { FakeMessage } from '../lib/fakes/slack/types.ts';
import { makePng } from '../lib/png.ts';
import type { Random } from './random.ts';

export type Platform = 'discord' | 'slack';

export interface Action {
  seq: number;
  platform: Platform;
  user: string;
  kind: string;
  at: number;
  /** A bad input: must be refused once, storing nothing. */
  bad?: boolean;
  /** Discord: the interaction; Slack: the mention's channel and ts. */
  token?: string;
  interactionId?: string;
  ts?: string;
  /** The job acted on (cancel, re-run, visual). */
  jobId?: string;
  /** Slack slash commands and buttons: where the bot's answers to this action land (the fake's `responses`). */
  responseUrl?: string;
  /** The action could not reach the bot (it was down): nothing is expected of it. */
  undelivered?: string;
}

export interface LoadConfig {
  discord: FakeDiscord;
  slack: FakeSlack;
  slackRequests: () => SlackRequests;
  slackChannel: string;
  users: number;
  rng: Random;
  /** Images over this many pixels are refused (the bot's STYLIZE_MAX_INPUT_PIXELS). */
  maxInputPixels: number;
}

interface User {
  platform: Platform;
  id: string;
  discordUser?: FakeUser;
  admin: boolean;
  bad: boolean;
  rng: Random;
}

const MODES = ['transfer', 'texture', 'reconstruct'] as const;
/** Most actions one user takes (a bound on top of the time). */
const MAX_ACTIONS_PER_USER = 2000;

function jobTagOf(r: RecordedRequest): string | undefined {
  const content = (r.body as { content?: unknown } | undefined)?.content;
  return typeof content === 'string' ? parseJobTag(content) : undefined;
}

function hasFile(r: RecordedRequest, prefix: RegExp): boolean {
  return r.files.some((f) => prefix.test(f.name));
}

function messageId(r: RecordedRequest): string | undefined {
  const id = (r.response as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

function components(r: RecordedRequest): string[] {
  const rows = (r.body as { components?: { components?: { custom_id?: string }[] }[] } | undefined)?.components ?? [];
  return rows.flatMap((row) => row.components ?? []).flatMap((c) => (c.custom_id ? [c.custom_id] : []));
}

export class LoadGenerator {
  readonly actions: Action[] = [];
  private readonly users: User[] = [];
  private seq = 0;
  private stopped = false;
  private images: { small: Buffer[]; huge: Buffer; text: Buffer } | undefined;

  constructor(private readonly config: LoadConfig) {
    const half = Math.ceil(config.users / 2);
    for (let i = 0; i < config.users; i++) {
      const platform: Platform = i < half ? 'discord' : 'slack';
      const index = platform === 'discord' ? i : i - half;
      const count = platform === 'discord' ? half : config.users - half;
      const rng = config.rng.fork(i);
      const admin = index === 0;
      // The last user of each platform sends only bad inputs (at least two users per platform).
      const bad = count > 1 && index === count - 1;
      if (platform === 'discord') {
        const discordUser = admin ? config.discord.admin : makeUser(`soak-d${index}`);
        this.users.push({ platform, id: discordUser.id, discordUser, admin, bad, rng });
      } else {
        const id = `U0SOAK${String(index).padStart(3, '0')}`;
        config.slack.addUser({ id, name: `soak-s${index}`, ...(admin ? { is_admin: true } : {}) });
        this.users.push({ platform, id, admin, bad, rng });
      }
    }
  }

  /** The user ids that send only bad inputs: nothing of theirs may be stored. */
  badUsers(): { platform: Platform; id: string }[] {
    return this.users.filter((u) => u.bad).map((u) => ({ platform: u.platform, id: u.id }));
  }

  stop(): void {
    this.stopped = true;
  }

  /** Runs every user until endAt (or stop()). */
  async run(endAt: number, pauseMs: [number, number]): Promise<void> {
    const small = await Promise.all([16, 24, 32, 40, 48].map((s, i) => makePng(s, s - (i % 2) * 4, 100 + i)));
    const side = Math.ceil(Math.sqrt(this.config.maxInputPixels)) + 16;
    this.images = { small, huge: await makePng(side, side, 7), text: Buffer.from('this is not an image\n'.repeat(20)) };
    await Promise.all(this.users.map((u) => this.userLoop(u, endAt, pauseMs)));
  }

  private async userLoop(u: User, endAt: number, pauseMs: [number, number]): Promise<void> {
    for (let n = 0; n < MAX_ACTIONS_PER_USER && !this.stopped && Date.now() < endAt; n++) {
      await new Promise((r) => setTimeout(r, u.rng.int(pauseMs[0], pauseMs[1])));
      if (this.stopped || Date.now() >= endAt) return;
      try {
        if (u.platform === 'discord') await this.discordAction(u);
        else await this.slackAction(u);
      } catch (e) {
        // A fake refusing an action (e.g. a button that is gone) is the user's problem, not a finding.
        this.record(u, 'error', { undelivered: (e as Error).message.split('\n')[0] });
      }
    }
  }

  private record(u: User, kind: string, extra: Partial<Action> = {}): Action {
    const a: Action = { seq: ++this.seq, platform: u.platform, user: u.id, kind, at: Date.now(), ...extra };
    this.actions.push(a);
    return a;
  }

  private jobOptions(u: User, mode: string): { size: number; steps: number; multires?: number } {
    const size = u.rng.pick([16, 24, 32, 40, 48]);
    const o: { size: number; steps: number; multires?: number } = { size, steps: u.rng.int(2, 10) };
    if (size >= 32 && mode !== 'reconstruct' && u.rng.chance(0.25)) o.multires = 2;
    return o;
  }

  // ---- Discord ----

  private discordMessages(pred: (r: RecordedRequest) => boolean): RecordedRequest[] {
    return this.config.discord.requests.filter((r) => r.method === 'POST' && r.status === 200 && pred(r));
  }

  private async discordAction(u: User): Promise<void> {
    // The bot may answer before the dispatch call returns: the action counts from before it.
    const at = Date.now();
    const record = (kind: string, extra: Partial<Action> = {}): Action => this.record(u, kind, { at, ...extra });
    const d = this.config.discord;
    const ctx = { user: u.discordUser! };
    const images = this.images!;
    if (u.bad) {
      const huge = u.rng.chance(0.5);
      const bad = huge
        ? d.addAttachment({ filename: 'huge.png', contentType: 'image/png', data: images.huge, width: 9999, height: 9999 })
        : d.addAttachment({ filename: 'notes.png', contentType: 'image/png', data: images.text });
      const style = d.addAttachment({ filename: 'style.png', contentType: 'image/png', data: images.small[0], width: 16, height: 16 });
      const i = d.slashCommand('stylize', [{ name: 'content', type: T.Attachment, value: bad.id }, { name: 'style', type: T.Attachment, value: style.id }, { name: 'steps', type: T.Integer, value: 2 }], ctx, [bad, style]);
      record(huge ? 'bad-oversized' : 'bad-not-image', { bad: true, token: i.token, interactionId: i.id });
      return;
    }
    if (u.admin && u.rng.chance(0.15)) {
      const value = String(u.rng.int(4, 10));
      const i = d.slashCommand('stylize-config', [{ name: 'set', type: T.Subcommand, options: [{ name: 'option', type: T.String, value: 'steps' }, { name: 'value', type: T.String, value }] }] as never, ctx);
      record('config', { token: i.token, interactionId: i.id });
      return;
    }
    const mine = (r: RecordedRequest) => (r.body as { content?: string }).content?.includes(`<@${u.id}>`) ?? false;
    const roll = u.rng.next();
    if (roll < 0.12) {
      // Cancel one of my jobs that shows a Cancel button (waiting or running).
      const progress = this.discordMessages((r) => components(r).some((c) => c.startsWith('stylize:cancel:')) && true).reverse();
      const target = progress.find((r) => {
        const id = components(r).find((c) => c.startsWith('stylize:cancel:'))!.slice('stylize:cancel:'.length);
        return !this.actions.some((a) => a.kind === 'cancel' && a.jobId === id) && this.ownerOf(id) === u.id;
      });
      if (target && messageId(target)) {
        const jobId = components(target).find((c) => c.startsWith('stylize:cancel:'))!.slice('stylize:cancel:'.length);
        const i = d.clickButton(messageId(target)!, `stylize:cancel:${jobId}`, ctx);
        record('cancel', { jobId, token: i.token, interactionId: i.id });
        return;
      }
    }
    if (roll < 0.3) {
      // Something on one of my results: a re-run by reaction or button, a time-lapse or a chart.
      const results = this.discordMessages((r) => hasFile(r, /^stylized/) && mine(r) && components(r).length > 0).reverse();
      const target = results[0];
      const jobId = target && jobTagOf(target);
      if (target && jobId && messageId(target)) {
        const pick = u.rng.pick(['react-texture', 'react-reconstruct', 'button-texture', 'button-reconstruct', 'timelapse', 'chart'] as const);
        if (pick.startsWith('react-')) {
          d.react(messageId(target)!, pick === 'react-texture' ? '🧵' : '🧱', u.discordUser!);
          record(`rerun-${pick}`, { jobId });
        } else {
          const action = pick.replace('button-', '');
          const i = d.clickButton(messageId(target)!, `stylize:result:${action}:${jobId}`, ctx);
          record(pick.startsWith('button-') ? `rerun-${pick}` : pick, { jobId, token: i.token, interactionId: i.id });
        }
        return;
      }
    }
    if (roll > 0.9) {
      const style = d.addAttachment({ filename: 'style.png', contentType: 'image/png', data: images.small[0], width: 16, height: 16 });
      const i = d.slashCommand('stylize-sheet', [{ name: 'kind', type: T.String, value: 'texture' }, { name: 'style', type: T.Attachment, value: style.id }, { name: 'layers', type: T.String, value: 'conv_1,conv_2' }, { name: 'size', type: T.Integer, value: 16 }, { name: 'steps', type: T.Integer, value: 2 }], ctx, [style]);
      record('sheet', { token: i.token, interactionId: i.id });
      return;
    }
    const mode = u.rng.pick(MODES);
    const o = this.jobOptions(u, mode);
    const content = d.addAttachment({ filename: 'content.png', contentType: 'image/png', data: u.rng.pick(images.small), width: 48, height: 48 });
    const style = d.addAttachment({ filename: 'style.png', contentType: 'image/png', data: u.rng.pick(images.small), width: 48, height: 48 });
    const options = [
      { name: 'mode', type: T.String, value: mode },
      { name: 'size', type: T.Integer, value: o.size },
      { name: 'steps', type: T.Integer, value: o.steps },
      ...(o.multires ? [{ name: 'multires', type: T.Integer, value: o.multires }] : []),
      ...(mode !== 'texture' ? [{ name: 'content', type: T.Attachment, value: content.id }] : []),
      ...(mode !== 'reconstruct' ? [{ name: 'style', type: T.Attachment, value: style.id }] : []),
    ];
    const i = d.slashCommand('stylize', options, ctx, [content, style]);
    record(o.multires ? `stylize-${mode}-coarse-to-fine` : `stylize-${mode}`, { token: i.token, interactionId: i.id });
  }

  /** Who submitted a job, from the user mention in its messages. */
  private ownerOf(jobId: string): string | undefined {
    for (const r of this.config.discord.requests) {
      if (r.method !== 'POST' || jobTagOf(r) !== jobId) continue;
      const m = /<@(\d+)>/.exec((r.body as { content: string }).content);
      if (m) return m[1];
    }
    return undefined;
  }

  // ---- Slack ----

  private botMessages(pred: (m: FakeMessage) => boolean): FakeMessage[] {
    const s = this.config.slack;
    return s.messages.filter((m) => m.user === s.botUserId && m.channel === this.config.slackChannel && pred(m));
  }

  private async slackAction(u: User): Promise<void> {
    const s = this.config.slack;
    const channel = this.config.slackChannel;
    const images = this.images!;
    const send = this.config.slackRequests();
    const file = (name: string, bytes: Buffer, w?: number) => s.addFile({ name, bytes, user: u.id, ...(w ? { original_w: w, original_h: w } : {}) });
    const deliver = async (kind: string, f: (a: Action) => Promise<unknown>, extra: Partial<Action> = {}) => {
      const a = this.record(u, kind, extra);
      try {
        await f(a);
      } catch (e) {
        a.undelivered = (e as Error).message.split('\n')[0];
      }
      return a;
    };
    if (u.bad) {
      const huge = u.rng.chance(0.5);
      const bad = huge ? file('huge.png', images.huge, Math.ceil(Math.sqrt(this.config.maxInputPixels)) + 16) : file('notes.txt', images.text);
      const style = file('style.png', images.small[0], 16);
      await deliver(huge ? 'bad-oversized' : 'bad-not-image', async (a) => {
        const { message } = await send.mention({ user: u.id, channel, text: 'steps=2 size=16', files: [bad, style] });
        a.ts = message.ts;
      }, { bad: true });
      return;
    }
    if (u.admin && u.rng.chance(0.15)) {
      await deliver('config', async (a) => {
        a.responseUrl = (await send.command('/stylize-config', `set steps ${u.rng.int(4, 10)}`, { user: u.id, channel })).responseUrl;
      });
      return;
    }
    const roll = u.rng.next();
    const meta = (m: FakeMessage) => m.metadata?.event_payload as { job_id?: string; role?: string } | undefined;
    const ownedBy = (jobId: string) => this.actions.some((a) => a.user === u.id && a.jobId === jobId && a.kind.startsWith('stylize'));
    if (roll < 0.12) {
      const roots = this.botMessages((m) => meta(m)?.role === 'root' && (m.blocks ?? []).some((b) => JSON.stringify(b).includes('stylize_cancel'))).reverse();
      const target = roots.find((m) => ownedBy(meta(m)!.job_id!) && !this.actions.some((a) => a.kind === 'cancel' && a.jobId === meta(m)!.job_id));
      if (target) {
        await deliver(
          'cancel',
          async (a) => {
            a.responseUrl = (await send.clickButton({ user: u.id, channel, ts: target.ts, actionId: 'stylize_cancel' })).responseUrl;
          },
          { jobId: meta(target)!.job_id },
        );
        return;
      }
    }
    if (roll < 0.3) {
      const results = this.botMessages((m) => meta(m)?.role === 'result' && ownedBy(meta(m)!.job_id!) && (m.blocks ?? []).some((b) => JSON.stringify(b).includes('stylize_result_'))).reverse();
      const target = results[0];
      if (target) {
        const jobId = meta(target)!.job_id;
        const pick = u.rng.pick(['thread', 'bricks', 'button-texture', 'button-reconstruct', 'film_frames', 'chart_with_upwards_trend'] as const);
        if (pick.startsWith('button-')) {
          await deliver(`rerun-${pick}`, () => send.clickButton({ user: u.id, channel, ts: target.ts, actionId: `stylize_result_${pick.slice('button-'.length)}` }), { jobId });
        } else {
          const kind = pick === 'thread' || pick === 'bricks' ? `rerun-react-${pick}` : pick === 'film_frames' ? 'timelapse' : 'chart';
          await deliver(kind, () => send.react({ user: u.id, channel, ts: target.ts, name: pick }), { jobId });
        }
        return;
      }
    }
    const mode = u.rng.pick(MODES);
    const o = this.jobOptions(u, mode);
    const files = mode === 'transfer' ? [file('content.png', u.rng.pick(images.small), 48), file('style.png', u.rng.pick(images.small), 48)] : [file('image.png', u.rng.pick(images.small), 48)];
    const words = [mode === 'transfer' ? '' : mode, `size=${o.size}`, `steps=${o.steps}`, ...(o.multires ? [`multires=${o.multires}`] : [])].filter(Boolean).join(' ');
    const a = await deliver(o.multires ? `stylize-${mode}-coarse-to-fine` : `stylize-${mode}`, async (a) => {
      const { message } = await send.mention({ user: u.id, channel, text: words, files });
      a.ts = message.ts;
    });
    // The job id, once the bot has answered in the mention's thread (for cancels and re-runs later).
    if (a.ts) {
      const ts = a.ts;
      setTimeout(() => {
        const root = s.thread(channel, ts).find((m) => m.user === s.botUserId && meta(m)?.job_id);
        if (root) a.jobId = meta(root)!.job_id;
      }, 3000).unref();
    }
  }
}
