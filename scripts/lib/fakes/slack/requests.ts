// Slack → app: what Slack sends when people act, built from the fake's state so it looks like the
// real thing. Over HTTP (a Request URL at /slack/events): slash commands as forms, interactions as
// a `payload=` form, Events API callbacks as JSON, signed with v0 HMAC-SHA256 of `v0:{ts}:{body}`.
// Over Socket Mode: the same payloads in envelopes, answered by acks.
import { createHmac } from 'node:crypto';
import { fillModalView, type ModalAnswer } from './modal-ui.ts';
import type { FakeSlack } from './server.ts';
import type { FakeFile, FakeMessage } from './types.ts';

type Json = Record<string, unknown>;

export interface SentRequest {
  status: number;
  text: string;
  json?: Json;
  /** The response_url the request carried (slash commands, button clicks): where the app's answers land in `responses`. */
  responseUrl?: string;
}

export interface SignOptions {
  /** Unix seconds; defaults to now. */
  timestamp?: number;
  /** Sign with another secret (a forged request). */
  secret?: string;
}

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export type Delivery = 'command' | 'interactive' | 'event';

/** How Slack reaches the app: signed HTTP requests to /slack/events, or envelopes over Socket Mode. */
export interface Transport {
  deliver(kind: Delivery, body: Json, sign?: SignOptions): Promise<SentRequest>;
}

export class HttpTransport implements Transport {
  constructor(
    readonly appUrl: string,
    private readonly signingSecret: string,
  ) {}

  async post(body: string, contentType: string, opts: SignOptions = {}): Promise<SentRequest> {
    const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
    const res = await fetch(`${this.appUrl}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': slackSignature(opts.secret ?? this.signingSecret, timestamp, body),
      },
      body,
    });
    const text = await res.text();
    let json: Json | undefined;
    try {
      json = text ? (JSON.parse(text) as Json) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json };
  }

  deliver(kind: Delivery, body: Json, sign?: SignOptions): Promise<SentRequest> {
    if (kind === 'event') return this.post(JSON.stringify(body), 'application/json', sign);
    const form = kind === 'command' ? new URLSearchParams(body as Record<string, string>) : new URLSearchParams({ payload: JSON.stringify(body) });
    return this.post(form.toString(), 'application/x-www-form-urlencoded', sign);
  }
}

/** Socket Mode: the same payloads as envelopes; the ack's payload plays the HTTP response body. */
export class SocketTransport implements Transport {
  constructor(private readonly fake: FakeSlack) {}

  async deliver(kind: Delivery, body: Json): Promise<SentRequest> {
    const type = kind === 'command' ? 'slash_commands' : kind === 'interactive' ? 'interactive' : 'events_api';
    const payload = await this.fake.socketSend(type, body);
    const empty = Object.keys(payload).length === 0;
    return { status: 200, text: empty ? '' : JSON.stringify(payload), json: empty ? undefined : payload };
  }
}

export class SlackRequests {
  private eventSeq = 0;

  constructor(
    private readonly fake: FakeSlack,
    readonly transport: Transport,
  ) {}

  private user(id: string): Json {
    const u = this.fake.users.get(id);
    if (!u) throw new Error(`unknown fake user ${id}`);
    return { id, username: u.name, name: u.name, team_id: this.fake.teamId };
  }

  async command(command: string, text: string, p: { user: string; channel: string }, sign?: SignOptions): Promise<SentRequest> {
    const responseUrl = this.fake.responseUrl();
    const form = new URLSearchParams({
      token: 'legacy-verification-token',
      team_id: this.fake.teamId,
      team_domain: 'fake',
      channel_id: p.channel,
      channel_name: 'general',
      user_id: p.user,
      user_name: this.fake.users.get(p.user)?.name ?? p.user,
      command,
      text,
      api_app_id: 'AFAKE01',
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: this.fake.issueTrigger(p.user),
    });
    return { ...(await this.transport.deliver('command', Object.fromEntries(form), sign)), responseUrl };
  }

  async interaction(payload: Json, sign?: SignOptions): Promise<SentRequest> {
    return this.transport.deliver('interactive', payload, sign);
  }

  async event(event: Json, sign?: SignOptions): Promise<SentRequest> {
    this.eventSeq += 1;
    const envelope = {
      token: 'legacy-verification-token',
      team_id: this.fake.teamId,
      api_app_id: 'AFAKE01',
      event,
      type: 'event_callback',
      event_id: `Ev${String(this.eventSeq).padStart(8, '0')}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ enterprise_id: null, team_id: this.fake.teamId, user_id: this.fake.botUserId, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
    };
    return this.transport.deliver('event', envelope, sign);
  }

  async urlVerification(challenge: string, sign?: SignOptions): Promise<SentRequest> {
    return this.transport.deliver('event', { token: 'legacy-verification-token', challenge, type: 'url_verification' }, sign);
  }

  /** The user fills in the modal the app opened (the last views.open) and presses Submit. */
  async submitView(user: string, answers: Record<string, ModalAnswer>, viewId?: string, sign?: SignOptions): Promise<SentRequest> {
    const opened = viewId ? this.fake.views.find((v) => v.id === viewId) : this.fake.views.at(-1);
    if (!opened) throw new Error('no modal was opened');
    const values = fillModalView(opened.view, answers, (f) => this.fake.fileObject(f));
    return this.interaction({
      type: 'view_submission',
      team: { id: this.fake.teamId, domain: 'fake' },
      user: this.user(user),
      api_app_id: 'AFAKE01',
      token: 'legacy-verification-token',
      trigger_id: this.fake.issueTrigger(user),
      view: { ...opened.view, state: { values } },
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    }, sign);
  }

  /** The user posts a message mentioning the bot, with files attached. */
  async mention(p: { user: string; channel: string; text: string; files?: FakeFile[]; thread_ts?: string }, sign?: SignOptions): Promise<{ message: FakeMessage; response: SentRequest }> {
    const message = this.fake.addUserMessage({ channel: p.channel, user: p.user, text: `<@${this.fake.botUserId}> ${p.text}`, files: p.files, thread_ts: p.thread_ts });
    const response = await this.event({
      type: 'app_mention',
      user: p.user,
      text: message.text,
      ts: message.ts,
      channel: p.channel,
      event_ts: message.ts,
      team: this.fake.teamId,
      ...(p.thread_ts ? { thread_ts: p.thread_ts } : {}),
      ...(p.files?.length ? { files: p.files.map((f) => this.fake.fileObject(f)), upload: false } : {}),
    }, sign);
    return { message, response };
  }

  /** The user reacts to a message (Slack records it, then sends reaction_added). */
  async react(p: { user: string; channel: string; ts: string; name: string }): Promise<SentRequest> {
    const msg = this.fake.message(p.channel, p.ts);
    if (!msg) throw new Error(`no message ${p.ts} in ${p.channel}`);
    const r = this.fake.react(p.channel, p.ts, p.name, p.user);
    if (!r.ok) throw new Error(`reaction refused: ${String(r.error)}`);
    return this.event({
      type: 'reaction_added',
      user: p.user,
      reaction: p.name,
      item_user: msg.user,
      item: { type: 'message', channel: p.channel, ts: p.ts },
      event_ts: this.fake.nextTs(),
    });
  }

  /** The user clicks a button of a message (found by action_id in its blocks). */
  async clickButton(p: { user: string; channel: string; ts: string; actionId: string }): Promise<SentRequest> {
    const msg = this.fake.message(p.channel, p.ts);
    if (!msg) throw new Error(`no message ${p.ts} in ${p.channel}`);
    for (const block of msg.blocks ?? []) {
      for (const el of (block.elements as Json[] | undefined) ?? []) {
        if (el.type !== 'button' || el.action_id !== p.actionId) continue;
        const responseUrl = this.fake.responseUrl();
        const sent = await this.interaction({
          type: 'block_actions',
          user: this.user(p.user),
          api_app_id: 'AFAKE01',
          token: 'legacy-verification-token',
          container: { type: 'message', message_ts: msg.ts, channel_id: msg.channel, is_ephemeral: false },
          trigger_id: this.fake.issueTrigger(p.user),
          team: { id: this.fake.teamId, domain: 'fake' },
          enterprise: null,
          is_enterprise_install: false,
          channel: { id: msg.channel, name: 'general' },
          message: { type: 'message', ts: msg.ts, text: msg.text, user: msg.user, bot_id: msg.bot_id, blocks: msg.blocks },
          state: { values: {} },
          response_url: responseUrl,
          actions: [{ action_id: el.action_id, block_id: block.block_id, value: el.value, type: 'button', text: el.text, action_ts: `${Date.now() / 1000}` }],
        });
        return { ...sent, responseUrl };
      }
    }
    throw new Error(`message ${p.ts} has no button ${p.actionId}`);
  }
}
