// A local Slack for the adapter's tests: a node:http server on 127.0.0.1 answering the Web API the
// way slack.com does (POST /api/<method>, form or JSON bodies, Bearer token, HTTP 200 with
// {ok:false,error} on failure), the upload URLs of files.uploadV2, private file downloads and
// response_url posts. It records every call for assertions and keeps the workspace's messages,
// reactions and files as state.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';
import { WebSocketServer, type WebSocket } from 'ws';
import { validateModalView } from './modal-ui.ts';
import { SLACK_METHOD_SCOPES, historyScopeFor } from './scopes.ts';
import type { ApiCall, EphemeralMessage, FakeFile, FakeMessage, FakeUser, OpenedView, ResponseUrlPost } from './types.ts';

type Json = Record<string, unknown>;
export type Result = Json & { ok: boolean };

export interface FakeSlackOptions {
  botToken?: string;
  /** The app-level token Socket Mode connects with (apps.connections.open). */
  appToken?: string;
  teamId?: string;
  /** Scopes granted to the bot token; undefined grants everything. */
  scopes?: readonly string[];
  /** Whether files.completeUploadExternal already reports the share (real Slack often does not yet). */
  shareInfo?: boolean;
}

// Fields the Web API client sends JSON-encoded inside form bodies.
const JSON_FIELDS = new Set(['blocks', 'view', 'metadata', 'files', 'attachments']);
const TRIGGER_TTL_MS = 3000;

function isImage(bytes: Buffer): { mimetype: string; filetype: string } {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return { mimetype: 'image/png', filetype: 'png' };
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return { mimetype: 'image/jpeg', filetype: 'jpg' };
  return { mimetype: 'application/octet-stream', filetype: 'binary' };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export class FakeSlack {
  readonly botToken: string;
  readonly appToken: string;
  readonly teamId: string;
  readonly botUserId = 'UBOT0001';
  readonly botId = 'BBOT0001';
  scopes?: readonly string[];
  shareInfo: boolean;

  readonly calls: ApiCall[] = [];
  readonly messages: FakeMessage[] = [];
  readonly ephemerals: EphemeralMessage[] = [];
  readonly responses: ResponseUrlPost[] = [];
  readonly views: OpenedView[] = [];
  readonly files = new Map<string, FakeFile>();
  /** Every GET of a private file URL, with whether the bot token came with it and when it was answered. */
  readonly downloads: { fileId: string; authorized: boolean; at: number }[] = [];
  /** Delay before a private file is served (a slow file host). */
  fileDelayMs = 0;
  readonly users = new Map<string, FakeUser>();
  /** Methods that fail with the given error (e.g. a Slack outage of uploads). */
  readonly failing = new Map<string, string>();
  /** Channels the bot is not a member of: posting there fails with not_in_channel. */
  readonly notInChannel = new Set<string>();
  /** holdNext()'s pending holds. */
  private readonly holds: { method: string; remaining: number; when?: (result: Result) => boolean }[] = [];

  private server?: Server;
  private base = '';
  private seq = 0;
  private readonly triggers = new Map<string, { user: string; expires: number }>();
  private readonly pendingUploads = new Map<string, { filename: string; length: number; bytes?: Buffer }>();
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();
  private readonly acks = new Map<string, (payload: Json) => void>();
  /** Socket Mode connections opened (each after a hello). */
  socketConnections = 0;

  constructor(opts: FakeSlackOptions = {}) {
    this.botToken = opts.botToken ?? 'xoxb-fake-bot-token';
    this.appToken = opts.appToken ?? 'xapp-fake-app-token';
    this.teamId = opts.teamId ?? 'T0FAKE01';
    this.scopes = opts.scopes;
    this.shareInfo = opts.shareInfo ?? true;
    this.addUser({ id: this.botUserId, name: 'stylize' });
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.route(req, res).catch((e: unknown) => {
        res.statusCode = 500;
        res.end(String((e as Error).stack));
      });
    });
    this.server.on('upgrade', (req, socket, head) => {
      if (!req.url?.startsWith('/socket')) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.acceptSocket(ws));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  /** SLACK_API_URL for the app. */
  get apiUrl(): string {
    return `${this.base}/api/`;
  }

  get url(): string {
    return this.base;
  }

  addUser(user: FakeUser): FakeUser {
    this.users.set(user.id, user);
    return user;
  }

  nextTs(): string {
    this.seq += 1;
    return `1700000000.${String(this.seq).padStart(6, '0')}`;
  }

  nextId(prefix: string): string {
    this.seq += 1;
    return `${prefix}${String(this.seq).padStart(8, '0')}`;
  }

  /** A file a user uploaded to Slack (served at url_private with the bot token). */
  addFile(f: { name: string; bytes: Buffer; user: string; mimetype?: string; filetype?: string; original_w?: number; original_h?: number; chunked?: boolean }): FakeFile {
    const sniffed = isImage(f.bytes);
    const file: FakeFile = {
      id: this.nextId('F'),
      name: f.name,
      title: f.name,
      mimetype: f.mimetype ?? sniffed.mimetype,
      filetype: f.filetype ?? sniffed.filetype,
      size: f.bytes.length,
      bytes: f.bytes,
      user: f.user,
      original_w: f.original_w,
      original_h: f.original_h,
      chunked: f.chunked,
    };
    this.files.set(file.id, file);
    return file;
  }

  /** The file object as Slack puts it in events, view state and files.info. */
  fileObject(f: FakeFile): Json {
    const url = `${this.base}/files/${this.teamId}-${f.id}/${encodeURIComponent(f.name)}`;
    return {
      id: f.id,
      created: 1700000000,
      timestamp: 1700000000,
      name: f.name,
      title: f.title,
      mimetype: f.mimetype,
      filetype: f.filetype,
      pretty_type: f.filetype.toUpperCase(),
      user: f.user,
      user_team: this.teamId,
      size: f.size,
      mode: 'hosted',
      is_external: false,
      is_public: true,
      url_private: url,
      url_private_download: `${url}?download=1`,
      permalink: `${this.base}/files/${f.id}`,
      ...(f.original_w ? { original_w: f.original_w, original_h: f.original_h } : {}),
    };
  }

  /** A trigger_id as Slack puts in a slash command or interaction: valid for 3 s. */
  issueTrigger(user: string): string {
    const id = `${this.seq + 1}.${Date.now()}.${Math.random().toString(16).slice(2)}`;
    this.seq += 1;
    this.triggers.set(id, { user, expires: Date.now() + TRIGGER_TTL_MS });
    return id;
  }

  responseUrl(): string {
    return `${this.base}/response/${this.nextId('R')}`;
  }

  /** A message posted by a human (the app gets it as an event). */
  addUserMessage(m: { channel: string; user: string; text: string; files?: FakeFile[]; thread_ts?: string }): FakeMessage {
    const msg: FakeMessage = { channel: m.channel, ts: this.nextTs(), user: m.user, text: m.text, files: m.files, reactions: [], history: [m.text], ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}) };
    this.messages.push(msg);
    return msg;
  }

  message(channel: string, ts: string): FakeMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  /** Messages in the thread of `threadTs` (the parent included), in order. */
  thread(channel: string, threadTs: string): FakeMessage[] {
    return this.messages.filter((m) => m.channel === channel && (m.ts === threadTs || m.thread_ts === threadTs));
  }

  callsTo(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Polls until `probe` returns a value (not undefined/false); fails with the recent calls listed. */
  async waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline) {
        const recent = this.calls.slice(-15).map((c) => `${c.method}${c.ok ? '' : ` (${c.error})`}`).join(', ');
        throw new Error(`timed out waiting for ${what}; last calls: ${recent || 'none'}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  // ---- Socket Mode ----

  private connectionsOpen(): Result {
    return { ok: true, url: `${this.base.replace(/^http/, 'ws')}/socket?ticket=${this.nextId('T')}` };
  }

  private acceptSocket(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (data) => {
      let msg: { envelope_id?: string; payload?: Json };
      try {
        msg = JSON.parse(String(data)) as typeof msg;
      } catch {
        return;
      }
      const resolve = msg.envelope_id ? this.acks.get(msg.envelope_id) : undefined;
      if (resolve && msg.envelope_id) {
        this.acks.delete(msg.envelope_id);
        resolve(msg.payload ?? {});
      }
    });
    this.socketConnections += 1;
    ws.send(JSON.stringify({ type: 'hello', num_connections: this.sockets.size, debug_info: { host: 'fake-slack', approximate_connection_time: 18060 }, connection_info: { app_id: 'AFAKE01' } }));
  }

  /** Sends an envelope over the app's Socket Mode connection; resolves with the payload of its ack. */
  async socketSend(type: 'slash_commands' | 'interactive' | 'events_api', payload: Json, timeoutMs = 5000): Promise<Json> {
    const ws = [...this.sockets].find((s) => s.readyState === s.OPEN);
    if (!ws) throw new Error('no Socket Mode connection is open');
    const envelopeId = `env-${this.nextId('')}`;
    const acked = new Promise<Json>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.acks.delete(envelopeId);
        reject(new Error(`no ack for ${type} envelope within ${timeoutMs} ms`));
      }, timeoutMs);
      this.acks.set(envelopeId, (p) => {
        clearTimeout(timer);
        resolve(p);
      });
    });
    ws.send(JSON.stringify({ envelope_id: envelopeId, payload, type, accepts_response_payload: type !== 'events_api', retry_attempt: 0, retry_reason: '' }));
    return acked;
  }

  // ---- HTTP ----

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    const body = await readBody(req);
    if (req.method === 'POST' && url.pathname.startsWith('/api/')) return this.api(url.pathname.slice(5), req, body, res);
    if (req.method === 'POST' && url.pathname.startsWith('/upload/')) return this.receiveUpload(url.pathname.slice(8), req, body, res);
    if (req.method === 'GET' && url.pathname.startsWith('/files/')) return this.serveFile(url.pathname, req, res);
    if (req.method === 'POST' && url.pathname.startsWith('/response/')) {
      this.responses.push({ id: url.pathname.slice(10), body: JSON.parse(body.toString('utf8') || '{}') as Json });
      res.setHeader('content-type', 'text/plain');
      res.end('ok');
      return;
    }
    res.statusCode = 404;
    res.end('not found');
  }

  private async parseArgs(req: IncomingMessage, body: Buffer): Promise<Json> {
    const type = req.headers['content-type'] ?? '';
    if (type.includes('application/json')) return JSON.parse(body.toString('utf8') || '{}') as Json;
    if (type.includes('multipart/form-data')) {
      const form = await new Response(body, { headers: { 'content-type': type } }).formData();
      const out: Json = {};
      for (const [k, v] of form.entries()) out[k] = typeof v === 'string' ? v : Buffer.from(await v.arrayBuffer());
      return out;
    }
    const out: Json = {};
    for (const [k, v] of Object.entries(parseQuery(body.toString('utf8')))) {
      const s = Array.isArray(v) ? v[0] : v;
      if (s === undefined) continue;
      if (JSON_FIELDS.has(k)) {
        try {
          out[k] = JSON.parse(s);
          continue;
        } catch {
          // Slack would answer invalid_arguments; keeping the raw string lets the method say so.
        }
      }
      out[k] = s;
    }
    return out;
  }

  private send(res: ServerResponse, payload: Json): void {
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(payload));
  }

  /**
   * The next `count` calls of `method` (whose result `when` accepts) run for real, but their HTTP
   * answers are never sent (held until stop()): Slack did the work and the app never heard back.
   */
  holdNext(method: string, count: number, when?: (result: Result) => boolean): void {
    this.holds.push({ method, remaining: count, when });
  }

  private async api(method: string, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const args = await this.parseArgs(req, body);
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : (args.token as string | undefined);
    const { token: _drop, ...recorded } = args;
    let result: Result;
    if (!token) result = { ok: false, error: 'not_authed' };
    else if (method === 'apps.connections.open') result = token === this.appToken ? this.connectionsOpen() : { ok: false, error: token === this.botToken ? 'not_allowed_token_type' : 'invalid_auth' };
    else if (token === this.appToken) result = { ok: false, error: 'not_allowed_token_type' };
    else if (token !== this.botToken) result = { ok: false, error: 'invalid_auth' };
    else result = this.checkScope(method, recorded) ?? this.dispatch(method, recorded);
    this.calls.push({ method, args: recorded, ok: result.ok, ...(result.ok ? {} : { error: result.error as string }), at: Date.now() });
    const hold = this.holds.find((h) => h.remaining > 0 && h.method === method && (!h.when || h.when(result)));
    if (hold) {
      hold.remaining--;
      return;
    }
    this.send(res, result);
  }

  private checkScope(method: string, args: Json): Result | undefined {
    if (!this.scopes) return undefined;
    const needed = method.startsWith('conversations.') ? [historyScopeFor(String(args.channel ?? ''))] : SLACK_METHOD_SCOPES[method];
    if (!needed || needed.length === 0) return undefined;
    if (needed.some((s) => this.scopes!.includes(s))) return undefined;
    return { ok: false, error: 'missing_scope', needed: needed.join(','), provided: this.scopes.join(',') };
  }

  private dispatch(method: string, a: Json): Result {
    const failure = this.failing.get(method);
    if (failure) return { ok: false, error: failure };
    const channel = a.channel ?? a.channel_id;
    if (typeof channel === 'string' && this.notInChannel.has(channel) && /^(chat|reactions|files\.complete)/.test(method)) return { ok: false, error: 'not_in_channel' };
    switch (method) {
      case 'auth.test':
        return { ok: true, url: `${this.base}/`, team: 'Fake Team', user: 'stylize', team_id: this.teamId, user_id: this.botUserId, bot_id: this.botId, is_enterprise_install: false };
      case 'views.open':
        return this.viewsOpen(a);
      case 'chat.postMessage':
        return this.postMessage(a);
      case 'chat.update':
        return this.update(a);
      case 'chat.postEphemeral': {
        if (!a.channel || !a.user) return { ok: false, error: 'invalid_arguments' };
        if (!a.text && !a.blocks) return { ok: false, error: 'no_text' };
        if (!this.users.has(String(a.user))) return { ok: false, error: 'user_not_found' };
        this.ephemerals.push({ channel: String(a.channel), user: String(a.user), text: String(a.text ?? ''), ...(a.thread_ts ? { thread_ts: String(a.thread_ts) } : {}) });
        return { ok: true, message_ts: this.nextTs() };
      }
      case 'chat.getPermalink': {
        // Slack answers for any message the bot can see, with the workspace's URL and the ts without its dot.
        const m = this.messages.find((x) => x.channel === a.channel && x.ts === a.message_ts);
        if (!m) return { ok: false, error: 'message_not_found' };
        return { ok: true, channel: m.channel, permalink: `${this.base}/archives/${m.channel}/p${m.ts.replace('.', '')}` };
      }
      case 'users.info': {
        const u = this.users.get(String(a.user));
        if (!u) return { ok: false, error: 'user_not_found' };
        return { ok: true, user: { team_id: this.teamId, deleted: false, is_bot: u.id === this.botUserId, is_admin: false, is_owner: false, is_primary_owner: false, ...u } };
      }
      case 'reactions.add':
        return this.reactionsAdd(a);
      case 'files.getUploadURLExternal': {
        const length = Number(a.length);
        if (!a.filename || !Number.isInteger(length) || length <= 0) return { ok: false, error: 'invalid_arguments' };
        const id = this.nextId('F');
        this.pendingUploads.set(id, { filename: String(a.filename), length });
        return { ok: true, upload_url: `${this.base}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal':
        return this.completeUpload(a);
      case 'files.info': {
        const f = this.files.get(String(a.file));
        return f ? { ok: true, file: this.fileObject(f) } : { ok: false, error: 'file_not_found' };
      }
      case 'conversations.replies':
        return this.replies(a);
      case 'conversations.history':
        return this.history(a);
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private viewsOpen(a: Json): Result {
    const trigger = this.triggers.get(String(a.trigger_id ?? ''));
    if (!trigger) return { ok: false, error: 'invalid_trigger_id' };
    if (Date.now() > trigger.expires) return { ok: false, error: 'expired_trigger_id' };
    this.triggers.delete(String(a.trigger_id));
    const view = a.view as Json | undefined;
    if (!view || typeof view !== 'object') return { ok: false, error: 'invalid_arguments', response_metadata: { messages: ['[ERROR] missing required field: view'] } };
    const errors = validateModalView(view);
    if (errors.length) return { ok: false, error: 'invalid_arguments', response_metadata: { messages: errors } };
    const id = this.nextId('V');
    const opened = { ...view, id, team_id: this.teamId, app_id: 'AFAKE01', bot_id: this.botId, state: { values: {} }, hash: `${id}.hash` };
    this.views.push({ id, user: trigger.user, view: opened });
    return { ok: true, view: opened };
  }

  private checkBlocks(blocks: unknown): string | undefined {
    if (blocks === undefined) return undefined;
    if (!Array.isArray(blocks) || blocks.length > 50) return 'invalid_blocks';
    // Block ids and action ids must be unique within a message; buttons need plain text (≤ 75 chars).
    const blockIds = new Set<string>();
    const actionIds = new Set<string>();
    for (const b of blocks as Json[]) {
      if (typeof b.type !== 'string') return 'invalid_blocks';
      if (typeof b.block_id === 'string') {
        if (blockIds.has(b.block_id)) return 'invalid_blocks';
        blockIds.add(b.block_id);
      }
      const text = (b.text as Json | undefined)?.text;
      if (typeof text === 'string' && text.length > 3000) return 'invalid_blocks';
      if (b.type === 'actions' && (!Array.isArray(b.elements) || b.elements.length > 25)) return 'invalid_blocks';
      for (const el of b.type === 'actions' ? (b.elements as Json[]) : []) {
        if (el.type !== 'button') continue;
        const label = el.text as Json | undefined;
        if (label?.type !== 'plain_text' || typeof label.text !== 'string' || label.text.length === 0 || label.text.length > 75) return 'invalid_blocks';
        if (typeof el.action_id !== 'string' || el.action_id.length > 255 || actionIds.has(el.action_id)) return 'invalid_blocks';
        actionIds.add(el.action_id);
        if (el.value !== undefined && (typeof el.value !== 'string' || el.value.length > 2000)) return 'invalid_blocks';
      }
    }
    return undefined;
  }

  private checkMetadata(metadata: unknown): string | undefined {
    if (metadata === undefined) return undefined;
    const m = metadata as Json;
    if (typeof m.event_type !== 'string' || typeof m.event_payload !== 'object' || m.event_payload === null) return 'invalid_metadata_format';
    return undefined;
  }

  private postMessage(a: Json): Result {
    if (!a.channel) return { ok: false, error: 'channel_not_found' };
    if (!a.text && !a.blocks) return { ok: false, error: 'no_text' };
    const problem = this.checkBlocks(a.blocks) ?? this.checkMetadata(a.metadata);
    if (problem) return { ok: false, error: problem };
    const threadTs = a.thread_ts ? String(a.thread_ts) : undefined;
    if (threadTs && !this.message(String(a.channel), threadTs)) return { ok: false, error: 'thread_not_found' };
    const text = String(a.text ?? '');
    const msg: FakeMessage = {
      channel: String(a.channel),
      ts: this.nextTs(),
      user: this.botUserId,
      bot_id: this.botId,
      text,
      blocks: a.blocks as Json[] | undefined,
      metadata: a.metadata as FakeMessage['metadata'],
      reactions: [],
      history: [text],
      ...(threadTs ? { thread_ts: threadTs } : {}),
    };
    this.messages.push(msg);
    return { ok: true, channel: msg.channel, ts: msg.ts, message: { type: 'message', text, user: msg.user, bot_id: this.botId, ts: msg.ts } };
  }

  private update(a: Json): Result {
    const msg = this.message(String(a.channel), String(a.ts));
    if (!msg) return { ok: false, error: 'message_not_found' };
    if (msg.user !== this.botUserId) return { ok: false, error: 'cant_update_message' };
    if (!a.text && !a.blocks) return { ok: false, error: 'no_text' };
    const problem = this.checkBlocks(a.blocks) ?? this.checkMetadata(a.metadata);
    if (problem) return { ok: false, error: problem };
    msg.text = String(a.text ?? '');
    if (a.blocks !== undefined) msg.blocks = a.blocks as Json[];
    if (a.metadata !== undefined) msg.metadata = a.metadata as FakeMessage['metadata'];
    msg.history.push(msg.text);
    return { ok: true, channel: msg.channel, ts: msg.ts, text: msg.text };
  }

  /** Adds a reaction as `user` (the bot through the API, people through the tests). */
  react(channel: string, ts: string, name: string, user: string): Result {
    if (!/^[a-z0-9_+'-]+(::skin-tone-\d)?$/.test(name)) return { ok: false, error: 'invalid_name' };
    const msg = this.message(channel, ts);
    if (!msg) return { ok: false, error: 'message_not_found' };
    let r = msg.reactions.find((x) => x.name === name);
    if (!r) {
      r = { name, users: [] };
      msg.reactions.push(r);
    }
    if (r.users.includes(user)) return { ok: false, error: 'already_reacted' };
    r.users.push(user);
    return { ok: true };
  }

  private reactionsAdd(a: Json): Result {
    if (!a.channel || !a.timestamp || !a.name) return { ok: false, error: 'invalid_arguments' };
    return this.react(String(a.channel), String(a.timestamp), String(a.name), this.botUserId);
  }

  private async receiveUpload(id: string, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const pending = this.pendingUploads.get(id);
    if (!pending) {
      res.statusCode = 404;
      res.end('unknown upload');
      return;
    }
    const type = req.headers['content-type'] ?? '';
    let bytes = body;
    if (type.includes('multipart/form-data')) {
      const form = await new Response(body, { headers: { 'content-type': type } }).formData();
      const part = [...form.values()].find((v) => typeof v !== 'string');
      bytes = part && typeof part !== 'string' ? Buffer.from(await part.arrayBuffer()) : Buffer.alloc(0);
    }
    pending.bytes = bytes;
    res.setHeader('content-type', 'text/plain');
    res.end(`OK - ${bytes.length}`);
  }

  private completeUpload(a: Json): Result {
    const list = a.files as { id: string; title?: string }[] | undefined;
    if (!Array.isArray(list) || list.length === 0) return { ok: false, error: 'invalid_arguments' };
    const channel = a.channel_id ? String(a.channel_id) : undefined;
    const threadTs = a.thread_ts ? String(a.thread_ts) : undefined;
    if (threadTs && !channel) return { ok: false, error: 'invalid_arguments' };
    if (channel && threadTs && !this.message(channel, threadTs)) return { ok: false, error: 'thread_not_found' };
    const files: FakeFile[] = [];
    for (const entry of list) {
      const pending = this.pendingUploads.get(entry.id);
      if (!pending?.bytes) return { ok: false, error: 'file_not_found' };
      if (pending.bytes.length !== pending.length) return { ok: false, error: 'file_upload_size_mismatch' };
      this.pendingUploads.delete(entry.id);
      const kind = isImage(pending.bytes);
      const file: FakeFile = { id: entry.id, name: pending.filename, title: entry.title ?? pending.filename, ...kind, size: pending.bytes.length, bytes: pending.bytes, user: this.botUserId };
      this.files.set(file.id, file);
      files.push(file);
    }
    let ts: string | undefined;
    if (channel) {
      const text = String(a.initial_comment ?? '');
      const msg: FakeMessage = { channel, ts: this.nextTs(), user: this.botUserId, bot_id: this.botId, text, files, reactions: [], history: [text], ...(threadTs ? { thread_ts: threadTs } : {}) };
      this.messages.push(msg);
      ts = msg.ts;
      for (const f of files) f.shareTs = ts;
    }
    return {
      ok: true,
      files: files.map((f) => {
        const shares =
          channel && ts && this.shareInfo
            ? { [channel.startsWith('C') ? 'public' : 'private']: { [channel]: [{ ts, channel_name: channel.toLowerCase(), team_id: this.teamId, share_user_id: this.botUserId, ...(threadTs ? { thread_ts: threadTs } : {}) }] } }
            : {};
        return { ...this.fileObject(f), shares };
      }),
    };
  }

  /**
   * The channel's messages, newest first, as Slack answers: top-level messages only (a thread's
   * parent, not its replies), metadata only with include_all_metadata, pages of `limit` (default 100,
   * at most 999) with an opaque next_cursor.
   */
  private history(a: Json): Result {
    const channel = String(a.channel ?? '');
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const list = this.messages.filter((m) => m.channel === channel && (!m.thread_ts || m.thread_ts === m.ts)).reverse();
    return this.page(list, a, 100, 999);
  }

  /**
   * One page of `list` as conversations.history and .replies answer: oldest/latest (inclusive or
   * not), `limit` messages (default and most as the method has them), an opaque next_cursor, and
   * metadata only with include_all_metadata.
   */
  private page(all: FakeMessage[], a: Json, defaultLimit: number, mostLimit: number): Result {
    let list = all;
    const inclusive = a.inclusive === true || a.inclusive === 'true' || a.inclusive === '1';
    if (a.oldest !== undefined) list = list.filter((m) => (inclusive ? m.ts >= String(a.oldest) : m.ts > String(a.oldest)));
    if (a.latest !== undefined) list = list.filter((m) => (inclusive ? m.ts <= String(a.latest) : m.ts < String(a.latest)));
    const withMeta = a.include_all_metadata === true || a.include_all_metadata === 'true';
    const limit = Math.min(Math.max(Number(a.limit ?? defaultLimit) || defaultLimit, 1), mostLimit);
    const start = a.cursor ? Number(Buffer.from(String(a.cursor), 'base64').toString('utf8').replace(/^next_ts:/, '')) : 0;
    if (!Number.isInteger(start) || start < 0) return { ok: false, error: 'invalid_cursor' };
    const page = list.slice(start, start + limit);
    const more = start + limit < list.length;
    return {
      ok: true,
      has_more: more,
      messages: page.map((m) => this.messageObject(m, withMeta)),
      ...(more ? { response_metadata: { next_cursor: Buffer.from(`next_ts:${start + limit}`).toString('base64') } } : {}),
    };
  }

  private messageObject(m: FakeMessage, withMeta: boolean): Json {
    const replies = m.thread_ts ? [] : this.messages.filter((r) => r.channel === m.channel && r.thread_ts === m.ts && r.ts !== m.ts);
    return {
      type: 'message',
      ts: m.ts,
      user: m.user,
      ...(m.bot_id ? { bot_id: m.bot_id } : {}),
      text: m.text,
      ...(m.thread_ts ? { thread_ts: m.thread_ts } : replies.length ? { thread_ts: m.ts, reply_count: replies.length } : {}),
      ...(m.files?.length ? { files: m.files.map((f) => this.fileObject(f)) } : {}),
      ...(withMeta && m.metadata ? { metadata: m.metadata } : {}),
    };
  }

  private replies(a: Json): Result {
    const channel = String(a.channel ?? '');
    const msg = this.message(channel, String(a.ts ?? ''));
    if (!msg) return { ok: false, error: 'thread_not_found' };
    return this.page(this.thread(channel, msg.thread_ts ?? msg.ts), a, 1000, 1000);
  }

  private async serveFile(pathname: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.fileDelayMs > 0) await new Promise((r) => setTimeout(r, this.fileDelayMs));
    const m = /^\/files\/[^/]+-(F\d+)\//.exec(pathname);
    const file = m ? this.files.get(m[1]) : undefined;
    const authorized = req.headers.authorization === `Bearer ${this.botToken}`;
    if (file) this.downloads.push({ fileId: file.id, authorized, at: Date.now() });
    if (!file) {
      res.statusCode = 404;
      res.end('file not found');
      return;
    }
    if (!authorized) {
      res.statusCode = 403;
      res.end('forbidden');
      return;
    }
    res.setHeader('content-type', file.mimetype);
    if (!file.chunked) {
      res.setHeader('content-length', String(file.bytes.length));
      res.end(file.bytes);
      return;
    }
    for (let i = 0; i < file.bytes.length; i += 16 * 1024) res.write(file.bytes.subarray(i, i + 16 * 1024));
    res.end();
  }
}
