// A local stand-in for Discord: REST (/api/v10), the gateway (ws on the same port) and a CDN for
// attachments. It keeps just enough state (channels, messages, interactions, commands) to answer
// the way Discord does, records every request for assertions, and can fail chosen calls (429 with
// retry_after, 5xx) to exercise the client's retry paths.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ChannelType,
  ComponentType,
  InteractionContextType,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
} from 'discord.js';
import { FakeGateway } from './gateway.ts';
import { parseBody, type UploadedFile } from './multipart.ts';
import {
  ADMIN_PERMISSIONS,
  BOT_PERMISSIONS,
  EVERYONE_PERMISSIONS,
  apiMessage,
  dmChannel,
  makeUser,
  member,
  role,
  snowflake,
  textChannel,
  threadChannel,
  type FakeAttachment,
  type FakeMessage,
  type FakeUser,
} from './payloads.ts';

export interface RecordedRequest {
  method: string;
  /** Path below /api/v10, without the query string, e.g. /channels/123/messages. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
  files: UploadedFile[];
  status: number;
  /** The JSON the fake answered with. */
  response: unknown;
  at: number;
  /** Carried out, but never answered (holdNext). */
  held?: boolean;
}

interface Fault {
  method: string;
  path: RegExp;
  remaining: number;
  status: number;
  retryAfterSec?: number;
  /** Carried out as usual, but the answer is never sent (the caller dies or times out waiting). */
  hold?: boolean;
  /** Narrows the fault to some calls of the route (e.g. only those uploading a file). */
  when?: (r: { body: unknown; files: UploadedFile[] }) => boolean;
}

interface FakeInteraction {
  id: string;
  token: string;
  channelId: string;
  guildId?: string;
  acknowledged: boolean;
  originalMessageId?: string;
  /** For component interactions: the message the button sits on. */
  messageId?: string;
  /** Autocomplete interactions may only be answered with choices (type 8), and nothing else may be. */
  autocomplete?: boolean;
  /** The choices an autocomplete interaction was answered with. */
  choices?: { name: string; value: string | number }[];
  expired: boolean;
}

interface Route {
  method: string;
  pattern: RegExp;
  handler: (req: RouteRequest, params: string[]) => RouteResult | Promise<RouteResult>;
  auth: boolean;
}

interface RouteRequest {
  query: URLSearchParams;
  body: unknown;
  files: UploadedFile[];
}

type RouteResult = { status: number; body?: unknown };

export interface SlashOption {
  name: string;
  type: ApplicationCommandOptionType;
  value?: string | number | boolean;
  focused?: boolean;
  options?: SlashOption[];
}

export interface InteractionContext {
  user: FakeUser;
  /** Defaults to the guild text channel; pass a DM channel id for DMs. */
  channelId?: string;
  /** Interaction payload field; Discord sends the guild's upload limit here. */
  attachmentSizeLimit?: number;
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** What Discord checks in an autocomplete result: at most 25 choices, each name and string value 1–100 characters. */
function choicesProblem(choices: unknown): string | undefined {
  if (!Array.isArray(choices)) return 'data.choices: must be an array';
  if (choices.length > 25) return 'data.choices: Must be 25 or fewer in length.';
  for (const [k, c] of choices.entries()) {
    const { name, value } = (c ?? {}) as { name?: unknown; value?: unknown };
    if (typeof name !== 'string' || name.length < 1 || name.length > 100) return `data.choices.${k}.name: Must be between 1 and 100 in length.`;
    if (typeof value === 'string' ? value.length < 1 || value.length > 100 : typeof value !== 'number') return `data.choices.${k}.value: Must be between 1 and 100 in length.`;
  }
  return undefined;
}

function error(status: number, code: number, message: string): RouteResult {
  return { status, body: { code, message } };
}

export class FakeDiscord {
  readonly token = 'fake-bot-token.do-not-log';
  readonly appId = snowflake();
  readonly bot = makeUser('stylize-bot', true);
  readonly owner = makeUser('owner');
  readonly admin = makeUser('admin');
  readonly alice = makeUser('alice');
  readonly bob = makeUser('bob');
  readonly guildId = snowflake();
  readonly channelId = snowflake();
  readonly adminRoleId = snowflake();
  /** Per-request upload cap, as Discord enforces it (413 / code 40005 above it). */
  uploadLimit = 10 * 1024 * 1024;

  readonly requests: RecordedRequest[] = [];
  readonly channels = new Map<string, Record<string, unknown>>();
  readonly messages = new Map<string, FakeMessage>();
  readonly interactions = new Map<string, FakeInteraction>();
  readonly commands = new Map<string, unknown[]>();
  /** Every reaction added through REST, in order. */
  readonly reactions: { channelId: string; messageId: string; emoji: string; userId: string }[] = [];
  private readonly cdnFiles = new Map<string, { data: Buffer; contentType: string }>();
  private readonly faults: Fault[] = [];
  private readonly routes: Route[] = [];
  private listeners: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    readonly gateway: FakeGateway,
    readonly port: number,
  ) {
    this.channels.set(this.channelId, textChannel(this.channelId, this.guildId, 'art'));
    this.defineRoutes();
  }

  static async start(): Promise<FakeDiscord> {
    // The server must exist before the fake (which needs its port), and route into the fake after.
    const holder: { fake?: FakeDiscord } = {};
    const server = createServer((req, res) => {
      void holder.fake!.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const gateway = new FakeGateway(server, '/gateway', {
      get token() {
        return holder.fake!.token;
      },
      ready: () => holder.fake!.readyPayload(),
      guilds: () => [holder.fake!.guildPayload()],
    });
    holder.fake = new FakeDiscord(server, gateway, port);
    return holder.fake;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  /** What discord.js takes as `rest.api` (it appends /v10). */
  get apiUrl(): string {
    return `${this.baseUrl}/api`;
  }
  get cdnUrl(): string {
    return `${this.baseUrl}/cdn`;
  }

  async stop(): Promise<void> {
    await this.gateway.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- state payloads -------------------------------------------------------------------------

  private readyPayload(): Record<string, unknown> {
    return {
      v: 10,
      user: { ...this.bot, verified: true, mfa_enabled: false, flags: 0 },
      guilds: [{ id: this.guildId, unavailable: true }],
      session_id: 'fake-session',
      resume_gateway_url: `ws://127.0.0.1:${this.port}/gateway`,
      shard: [0, 1],
      application: { id: this.appId, flags: 0 },
      private_channels: [],
      relationships: [],
      presences: [],
      guild_join_requests: [],
      user_settings: {},
    };
  }

  private guildPayload(): Record<string, unknown> {
    return {
      id: this.guildId,
      name: 'Fake guild',
      icon: null,
      owner_id: this.owner.id,
      unavailable: false,
      member_count: 5,
      large: false,
      premium_tier: 0,
      features: [],
      joined_at: new Date(0).toISOString(),
      roles: [role(this.guildId, '@everyone', EVERYONE_PERMISSIONS, 0), role(this.adminRoleId, 'mods', ADMIN_PERMISSIONS, 1)],
      members: [member(this.bot, []), member(this.owner, []), member(this.admin, [this.adminRoleId]), member(this.alice, []), member(this.bob, [])],
      channels: [...this.channels.values()].filter((c) => c.guild_id === this.guildId && c.type !== ChannelType.PublicThread),
      // Discord lists the guild's active threads here, so a reconnecting client knows them.
      threads: [...this.channels.values()].filter((c) => c.guild_id === this.guildId && c.type === ChannelType.PublicThread),
      emojis: [],
      stickers: [],
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  private isAdmin(user: FakeUser): boolean {
    return user.id === this.owner.id || user.id === this.admin.id;
  }

  private memberPayload(user: FakeUser) {
    const perms = this.isAdmin(user) ? ADMIN_PERMISSIONS : EVERYONE_PERMISSIONS;
    return { ...member(user, user.id === this.admin.id ? [this.adminRoleId] : []), permissions: perms.toString() };
  }

  /** Channels whose REST routes answer 403 Missing Access: the bot may not see them. */
  readonly deniedChannels = new Set<string>();

  /** Another text channel of the guild; with botDenied the bot has no access to it. */
  addTextChannel(name: string, opts: { botDenied?: boolean } = {}): string {
    const id = snowflake();
    this.channels.set(id, textChannel(id, this.guildId, name));
    if (opts.botDenied) this.deniedChannels.add(id);
    return id;
  }

  /** A DM channel between the bot and a user (what Discord creates on the first DM). */
  openDm(user: FakeUser): string {
    const id = snowflake();
    this.channels.set(id, dmChannel(id, user));
    return id;
  }

  // ---- CDN ------------------------------------------------------------------------------------

  /**
   * Puts bytes on the fake CDN and returns the attachment object Discord would put in
   * `resolved.attachments`. width/height/size default to the truth but can lie, as a client can.
   */
  addAttachment(a: { filename: string; contentType?: string; data: Buffer; width?: number; height?: number; size?: number }): FakeAttachment {
    const id = snowflake();
    const path = `/cdn/ephemeral-attachments/${this.appId}/${id}/${encodeURIComponent(a.filename)}`;
    this.cdnFiles.set(path, { data: a.data, contentType: a.contentType ?? 'application/octet-stream' });
    const url = `${this.baseUrl}${path}?ex=1&is=1&hm=fake`;
    return {
      id,
      filename: a.filename,
      size: a.size ?? a.data.length,
      url,
      proxy_url: url,
      ...(a.contentType ? { content_type: a.contentType } : {}),
      ...(a.width !== undefined ? { width: a.width, height: a.height ?? null } : {}),
    };
  }

  // ---- playing events -------------------------------------------------------------------------

  private baseInteraction(ctx: InteractionContext) {
    const channelId = ctx.channelId ?? this.channelId;
    const channel = this.channels.get(channelId);
    if (!channel) throw new Error(`fake: no channel ${channelId}`);
    const inGuild = channel.guild_id !== undefined;
    const id = snowflake();
    const token = `itoken-${id}`;
    const interaction: FakeInteraction = { id, token, channelId, guildId: inGuild ? this.guildId : undefined, acknowledged: false, expired: false };
    this.interactions.set(token, interaction);
    const payload: Record<string, unknown> = {
      id,
      token,
      application_id: this.appId,
      version: 1,
      channel_id: channelId,
      channel: { ...channel, ...(inGuild ? { permissions: ADMIN_PERMISSIONS.toString() } : {}) },
      app_permissions: BOT_PERMISSIONS.toString(),
      locale: 'en-US',
      entitlements: [],
      attachment_size_limit: ctx.attachmentSizeLimit ?? this.uploadLimit,
    };
    if (inGuild) {
      Object.assign(payload, {
        guild_id: this.guildId,
        guild_locale: 'en-US',
        guild: { id: this.guildId, locale: 'en-US', features: [] },
        member: this.memberPayload(ctx.user),
        authorizing_integration_owners: { '0': this.guildId },
        context: InteractionContextType.Guild,
      });
    } else {
      Object.assign(payload, { user: ctx.user, authorizing_integration_owners: { '0': this.guildId }, context: InteractionContextType.BotDM });
    }
    return { interaction, payload };
  }

  /** Plays a chat-input command. Attachment options carry the attachment id as value. */
  slashCommand(name: string, options: SlashOption[], ctx: InteractionContext, attachments: FakeAttachment[] = []): FakeInteraction {
    const { interaction, payload } = this.baseInteraction(ctx);
    payload.type = InteractionType.ApplicationCommand;
    payload.data = {
      id: snowflake(),
      name,
      type: ApplicationCommandType.ChatInput,
      options,
      ...(attachments.length ? { resolved: { attachments: Object.fromEntries(attachments.map((a) => [a.id, a])) } } : {}),
      ...(interaction.guildId ? { guild_id: interaction.guildId } : {}),
    };
    this.gateway.dispatch('INTERACTION_CREATE', payload);
    return interaction;
  }

  autocomplete(name: string, options: SlashOption[], ctx: InteractionContext): FakeInteraction {
    const { interaction, payload } = this.baseInteraction(ctx);
    payload.type = InteractionType.ApplicationCommandAutocomplete;
    interaction.autocomplete = true;
    payload.data = { id: snowflake(), name, type: ApplicationCommandType.ChatInput, options, ...(interaction.guildId ? { guild_id: interaction.guildId } : {}) };
    this.gateway.dispatch('INTERACTION_CREATE', payload);
    return interaction;
  }

  clickButton(messageId: string, customId: string, ctx: InteractionContext): FakeInteraction {
    const message = this.messages.get(messageId);
    if (!message) throw new Error(`fake: no message ${messageId}`);
    // Only a button the message shows can be pressed.
    const buttons = (message.components as { components?: { type: number; custom_id?: string; disabled?: boolean }[] }[]).flatMap((row) => row.components ?? []);
    const button = buttons.find((b) => b.type === ComponentType.Button && b.custom_id === customId);
    if (!button || button.disabled) throw new Error(`fake: message ${messageId} has no button ${customId}`);
    const { interaction, payload } = this.baseInteraction({ ...ctx, channelId: message.channel_id });
    interaction.messageId = messageId;
    payload.type = InteractionType.MessageComponent;
    payload.message = apiMessage(message);
    payload.data = { custom_id: customId, component_type: ComponentType.Button };
    this.gateway.dispatch('INTERACTION_CREATE', payload);
    return interaction;
  }

  react(messageId: string, emoji: string, user: FakeUser): void {
    const message = this.messages.get(messageId);
    if (!message) throw new Error(`fake: no message ${messageId}`);
    this.reactionAdd(message, emoji, user);
  }

  private reactionAdd(message: FakeMessage, emoji: string, user: FakeUser): void {
    const d: Record<string, unknown> = {
      user_id: user.id,
      channel_id: message.channel_id,
      message_id: message.id,
      emoji: { id: null, name: emoji },
      burst: false,
      burst_colors: [],
      type: 0,
      message_author_id: message.author.id,
    };
    if (message.guild_id) Object.assign(d, { guild_id: message.guild_id, member: member(user, user.id === this.admin.id ? [this.adminRoleId] : []) });
    this.gateway.dispatch('MESSAGE_REACTION_ADD', d);
  }

  /** Makes an interaction token unusable, as Discord does after 15 minutes. */
  expireInteraction(token: string): void {
    const i = this.interactions.get(token);
    if (i) i.expired = true;
  }

  // ---- faults ---------------------------------------------------------------------------------

  /** The next `count` calls of method+path (and `when`) answer 429 with retry_after (seconds). */
  rateLimitNext(method: string, path: RegExp, count: number, retryAfterSec: number, when?: Fault['when']): void {
    this.faults.push({ method, path, remaining: count, status: 429, retryAfterSec, when });
  }

  /** The next `count` calls of method+path (and `when`) answer `status` (e.g. 500, 503). */
  failNext(method: string, path: RegExp, count: number, status: number, when?: Fault['when']): void {
    this.faults.push({ method, path, remaining: count, status, when });
  }

  /**
   * The next `count` calls of method+path (and `when`) are carried out (a message is created), but
   * their HTTP answers are never sent: Discord took the request and the caller never heard back.
   */
  holdNext(method: string, path: RegExp, count: number, when?: Fault['when']): void {
    this.faults.push({ method, path, remaining: count, status: 200, hold: true, when });
  }

  // ---- waiting --------------------------------------------------------------------------------

  /** Resolves with the first recorded request (past or future) matching; rejects after timeoutMs. */
  waitFor(pred: (r: RecordedRequest) => boolean, timeoutMs = 20_000, what = 'request'): Promise<RecordedRequest> {
    let found: RecordedRequest | undefined;
    try {
      found = this.requests.find(pred);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== check);
        reject(new Error(`fake discord: timed out waiting for ${what}; saw ${this.requests.map((r) => `${r.method} ${r.path} ${r.status}`).join(', ')}`));
      }, timeoutMs);
      const check = () => {
        let hit: RecordedRequest | undefined;
        try {
          hit = this.requests.find(pred);
        } catch (e) {
          // A predicate may throw to end the wait early (a request that rules out success).
          clearTimeout(timer);
          this.listeners = this.listeners.filter((l) => l !== check);
          reject(e as Error);
          return;
        }
        if (!hit) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        resolve(hit);
      };
      this.listeners.push(check);
    });
  }

  /** Messages of a channel in creation order. */
  channelMessages(channelId: string): FakeMessage[] {
    return [...this.messages.values()].filter((m) => m.channel_id === channelId);
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);

    if (url.pathname.startsWith('/cdn/')) {
      const file = this.cdnFiles.get(url.pathname);
      if (!file) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.data.length }).end(file.data);
      return;
    }

    const method = req.method ?? 'GET';
    const prefix = '/api/v10';
    const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
    const parsed = await parseBody(raw, req.headers['content-type']).catch(() => ({ json: undefined, files: [] }));
    const record: RecordedRequest = { method, path: safeDecode(path), query: url.searchParams, headers: req.headers, body: parsed.json, files: parsed.files, status: 0, response: undefined, at: Date.now() };

    let result: RouteResult;
    const extraHeaders: Record<string, string> = {};
    const fault = this.faults.find((f) => f.remaining > 0 && f.method === method && f.path.test(path) && (!f.when || f.when({ body: parsed.json, files: parsed.files })));
    if (!url.pathname.startsWith(prefix)) {
      result = error(404, 0, '404: Not Found');
    } else if (fault?.hold) {
      fault.remaining--;
      result = await this.route(method, path, req, { query: url.searchParams, body: parsed.json, files: parsed.files });
      record.status = result.status;
      record.response = result.body;
      record.held = true;
      this.requests.push(record);
      for (const l of [...this.listeners]) l();
      return;
    } else if (fault) {
      fault.remaining--;
      if (fault.status === 429) {
        const retryAfter = fault.retryAfterSec ?? 1;
        Object.assign(extraHeaders, { 'retry-after': String(retryAfter), 'x-ratelimit-scope': 'user' });
        result = { status: 429, body: { message: 'You are being rate limited.', retry_after: retryAfter, global: false } };
      } else {
        result = error(fault.status, 0, `${fault.status}: injected failure`);
      }
    } else {
      result = await this.route(method, path, req, { query: url.searchParams, body: parsed.json, files: parsed.files });
    }

    record.status = result.status;
    record.response = result.body;
    this.requests.push(record);
    if (result.body === undefined) res.writeHead(result.status, extraHeaders).end();
    else res.writeHead(result.status, { 'content-type': 'application/json', ...extraHeaders }).end(JSON.stringify(result.body));
    for (const l of [...this.listeners]) l();
  }

  private async route(method: string, path: string, req: IncomingMessage, r: RouteRequest): Promise<RouteResult> {
    const channel = /^\/channels\/(\d+)/.exec(path)?.[1];
    if (channel && this.deniedChannels.has(channel)) return error(403, 50001, 'Missing Access');
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      if (route.auth && req.headers.authorization !== `Bot ${this.token}`) return error(401, 0, '401: Unauthorized');
      return route.handler(r, m.slice(1).map(decodeURIComponent));
    }
    return error(404, 0, '404: Not Found');
  }

  private on(method: string, pattern: RegExp, handler: Route['handler'], auth = true): void {
    this.routes.push({ method, pattern, handler, auth });
  }

  // ---- messages -------------------------------------------------------------------------------

  private storeFiles(files: UploadedFile[], channelId: string, declared: unknown): { attachments: FakeAttachment[]; bytes: Map<string, Buffer> } {
    const attachments: FakeAttachment[] = [];
    const bytes = new Map<string, Buffer>();
    const decl = Array.isArray(declared) ? (declared as { id: number | string; filename?: string }[]) : [];
    files.forEach((f, index) => {
      const id = snowflake();
      const name = decl.find((d) => String(d.id) === String(index))?.filename ?? f.name;
      const path = `/cdn/attachments/${channelId}/${id}/${encodeURIComponent(name)}`;
      this.cdnFiles.set(path, { data: f.data, contentType: f.contentType });
      attachments.push({ id, filename: name, size: f.data.length, url: `${this.baseUrl}${path}`, proxy_url: `${this.baseUrl}${path}`, content_type: f.contentType });
      bytes.set(id, f.data);
    });
    return { attachments, bytes };
  }

  /**
   * Discord's checks of message components (action rows of buttons): a 400 "Invalid Form Body"
   * (50035) for what the real API refuses, so a malformed row fails here as it would there.
   */
  private componentsProblem(components: unknown): string | undefined {
    if (components === undefined) return undefined;
    if (!Array.isArray(components) || components.length > 5) return 'components: at most 5 action rows';
    const ids = new Set<string>();
    for (const [i, row] of (components as Record<string, unknown>[]).entries()) {
      const children = row.components as Record<string, unknown>[] | undefined;
      if (row.type !== ComponentType.ActionRow || !Array.isArray(children) || children.length < 1 || children.length > 5) return `components.${i}: an action row of 1 to 5 components`;
      for (const [j, c] of children.entries()) {
        const where = `components.${i}.components.${j}`;
        if (c.type !== ComponentType.Button) continue;
        const style = c.style as number;
        if (!Number.isInteger(style) || style < 1 || style > 6) return `${where}.style: unknown button style`;
        if (style !== 5 && style !== 6) {
          const id = c.custom_id;
          if (typeof id !== 'string' || id.length < 1 || id.length > 100) return `${where}.custom_id: 1 to 100 characters`;
          if (ids.has(id)) return `${where}.custom_id: duplicate "${id}"`;
          ids.add(id);
        }
        if (c.label === undefined && c.emoji === undefined) return `${where}: a button needs a label or an emoji`;
        if (c.label !== undefined && (typeof c.label !== 'string' || c.label.length > 80)) return `${where}.label: at most 80 characters`;
      }
    }
    return undefined;
  }

  private tooLarge(files: UploadedFile[]): boolean {
    return files.some((f) => f.data.length > this.uploadLimit);
  }

  private createMessage(channelId: string, body: Record<string, unknown>, files: UploadedFile[], extra: Partial<FakeMessage> = {}): FakeMessage {
    const channel = this.channels.get(channelId);
    const { attachments, bytes } = this.storeFiles(files, channelId, body.attachments);
    const message: FakeMessage = {
      id: snowflake(),
      channel_id: channelId,
      ...(channel?.guild_id ? { guild_id: channel.guild_id as string } : {}),
      author: this.bot,
      content: typeof body.content === 'string' ? body.content : '',
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments,
      embeds: Array.isArray(body.embeds) ? body.embeds : [],
      components: Array.isArray(body.components) ? body.components : [],
      pinned: false,
      type: body.message_reference ? 19 : 0,
      flags: typeof body.flags === 'number' ? body.flags : 0,
      ...(body.message_reference ? { message_reference: body.message_reference } : {}),
      files: bytes,
      ...extra,
    };
    this.messages.set(message.id, message);
    return message;
  }

  private editMessage(message: FakeMessage, body: Record<string, unknown>, files: UploadedFile[]): FakeMessage {
    if (typeof body.content === 'string') message.content = body.content;
    if (Array.isArray(body.components)) message.components = body.components;
    if (Array.isArray(body.embeds)) message.embeds = body.embeds;
    const { attachments, bytes } = this.storeFiles(files, message.channel_id, body.attachments);
    if (Array.isArray(body.attachments)) {
      // Listed existing attachments are kept; new files come in through files[n].
      const keep = new Set((body.attachments as { id: string | number }[]).map((a) => String(a.id)));
      message.attachments = message.attachments.filter((a) => keep.has(a.id));
      for (const id of [...message.files.keys()]) if (!keep.has(id)) message.files.delete(id);
    }
    message.attachments.push(...attachments);
    for (const [id, b] of bytes) message.files.set(id, b);
    message.edited_timestamp = new Date().toISOString();
    return message;
  }

  // ---- routes ---------------------------------------------------------------------------------

  private defineRoutes(): void {
    const json = (status: number, body?: unknown): RouteResult => ({ status, body });

    this.on('GET', /^\/gateway\/bot$/, () =>
      json(200, {
        url: `ws://127.0.0.1:${this.port}/gateway`,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
      }),
    );
    this.on('GET', /^\/users\/@me$/, () => json(200, this.bot));
    this.on('GET', /^\/applications\/@me$/, () => json(200, { id: this.appId, name: 'stylize', flags: 0, bot_public: true }));

    // Command registration (register-commands.ts).
    const putCommands = (key: string) => (r: RouteRequest) => {
      const list = (Array.isArray(r.body) ? r.body : []).map((c) => ({ ...(c as object), id: snowflake(), application_id: this.appId, version: snowflake() }));
      this.commands.set(key, list);
      return json(200, list);
    };
    this.on('PUT', /^\/applications\/(\d+)\/commands$/, (r, [app]) => (app === this.appId ? putCommands('global')(r) : error(403, 50001, 'Missing Access')));
    this.on('PUT', /^\/applications\/(\d+)\/guilds\/(\d+)\/commands$/, (r, [app, guild]) =>
      app === this.appId ? putCommands(`guild:${guild}`)(r) : error(403, 50001, 'Missing Access'),
    );

    this.on('GET', /^\/channels\/(\d+)$/, (_r, [id]) => {
      const c = this.channels.get(id);
      return c ? json(200, c) : error(404, 10003, 'Unknown Channel');
    });
    this.on('GET', /^\/guilds\/(\d+)$/, (_r, [id]) => (id === this.guildId ? json(200, { ...this.guildPayload(), channels: undefined, members: undefined }) : error(404, 10004, 'Unknown Guild')));
    this.on('GET', /^\/guilds\/(\d+)\/members\/(\d+)$/, (_r, [gid, uid]) => {
      const u = [this.bot, this.owner, this.admin, this.alice, this.bob].find((x) => x.id === uid);
      return gid === this.guildId && u ? json(200, member(u, u.id === this.admin.id ? [this.adminRoleId] : [])) : error(404, 10007, 'Unknown Member');
    });

    this.on('POST', /^\/channels\/(\d+)\/messages$/, (r, [cid]) => {
      if (!this.channels.has(cid)) return error(404, 10003, 'Unknown Channel');
      if (this.tooLarge(r.files)) return error(413, 40005, 'Request entity too large');
      const body = (r.body ?? {}) as Record<string, unknown>;
      const problem = this.componentsProblem(body.components);
      if (problem) return error(400, 50035, `Invalid Form Body: ${problem}`);
      return json(200, apiMessage(this.createMessage(cid, body, r.files)));
    });
    // Newest first, `limit` 1–100 (default 50), as Discord lists a channel's messages.
    this.on('GET', /^\/channels\/(\d+)\/messages$/, (r, [cid]) => {
      if (!this.channels.has(cid)) return error(404, 10003, 'Unknown Channel');
      const limit = Number(r.query.get('limit') ?? 50);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) return error(400, 50035, 'Invalid Form Body: limit: 1 to 100');
      return json(200, this.channelMessages(cid).reverse().slice(0, limit).map(apiMessage));
    });
    this.on('GET', /^\/channels\/(\d+)\/messages\/(\d+)$/, (_r, [cid, mid]) => {
      const m = this.messages.get(mid);
      return m && m.channel_id === cid ? json(200, apiMessage(m)) : error(404, 10008, 'Unknown Message');
    });
    this.on('PATCH', /^\/channels\/(\d+)\/messages\/(\d+)$/, (r, [cid, mid]) => {
      const m = this.messages.get(mid);
      if (!m || m.channel_id !== cid) return error(404, 10008, 'Unknown Message');
      if (this.tooLarge(r.files)) return error(413, 40005, 'Request entity too large');
      const problem = this.componentsProblem((r.body as Record<string, unknown> | undefined)?.components);
      if (problem) return error(400, 50035, `Invalid Form Body: ${problem}`);
      return json(200, apiMessage(this.editMessage(m, (r.body ?? {}) as Record<string, unknown>, r.files)));
    });
    this.on('DELETE', /^\/channels\/(\d+)\/messages\/(\d+)$/, (_r, [, mid]) => (this.messages.delete(mid) ? json(204) : error(404, 10008, 'Unknown Message')));

    this.on('POST', /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/, (r, [cid, mid]) => {
      const parent = this.channels.get(cid);
      const m = this.messages.get(mid);
      if (!parent || !m || m.channel_id !== cid) return error(404, 10008, 'Unknown Message');
      if (parent.type !== ChannelType.GuildText && parent.type !== ChannelType.GuildAnnouncement) return error(400, 50024, 'Cannot execute action on this channel type');
      if (this.channels.has(mid)) return error(400, 160004, 'A thread has already been created for this message');
      const body = (r.body ?? {}) as { name?: string };
      // Like Discord, a thread started from a message shares the message's id.
      const thread = threadChannel(mid, this.guildId, cid, body.name ?? 'thread', this.bot.id);
      this.channels.set(mid, thread);
      this.gateway.dispatch('THREAD_CREATE', { ...thread, newly_created: true, member: { id: mid, user_id: this.bot.id, join_timestamp: new Date().toISOString(), flags: 1 } });
      return json(201, thread);
    });

    this.on('PUT', /^\/channels\/(\d+)\/messages\/(\d+)\/reactions\/([^/]+)\/@me$/, (_r, [cid, mid, emoji]) => {
      const m = this.messages.get(mid);
      if (!m || m.channel_id !== cid) return error(404, 10008, 'Unknown Message');
      this.reactions.push({ channelId: cid, messageId: mid, emoji, userId: this.bot.id });
      // Discord echoes the bot's own reactions on the gateway: the adapter must ignore them.
      this.reactionAdd(m, emoji, this.bot);
      return json(204);
    });

    // ---- interactions (no bot auth: the token in the path is the credential) ----
    this.on(
      'POST',
      /^\/interactions\/(\d+)\/([^/]+)\/callback$/,
      (r, [id, token]) => {
        const i = this.interactions.get(token);
        if (!i || i.id !== id) return error(404, 10062, 'Unknown interaction');
        if (i.acknowledged) return error(400, 40060, 'Interaction has already been acknowledged.');
        const body = (r.body ?? {}) as { type: number; data?: Record<string, unknown> };
        // Discord: an autocomplete interaction takes only a choices result, which nothing else may send.
        if ((body.type === InteractionResponseType.ApplicationCommandAutocompleteResult) !== (i.autocomplete === true)) {
          return error(400, 50035, `Invalid Form Body: interaction response type ${body.type} does not fit this interaction`);
        }
        if (i.autocomplete) {
          const problem = choicesProblem(body.data?.choices);
          if (problem) return error(400, 50035, `Invalid Form Body: ${problem}`);
          i.choices = body.data!.choices as { name: string; value: string }[];
        }
        i.acknowledged = true;
        switch (body.type) {
          case InteractionResponseType.ChannelMessageWithSource: {
            const m = this.createMessage(i.channelId, body.data ?? {}, r.files, { webhook_id: this.appId, application_id: this.appId });
            i.originalMessageId = m.id;
            break;
          }
          case InteractionResponseType.DeferredChannelMessageWithSource: {
            const flags = ((body.data?.flags as number | undefined) ?? 0) | MessageFlags.Loading;
            const m = this.createMessage(i.channelId, { content: '', flags }, [], { webhook_id: this.appId, application_id: this.appId });
            i.originalMessageId = m.id;
            break;
          }
          case InteractionResponseType.UpdateMessage: {
            const m = i.messageId ? this.messages.get(i.messageId) : undefined;
            if (m) this.editMessage(m, body.data ?? {}, r.files);
            break;
          }
          case InteractionResponseType.DeferredMessageUpdate:
          case InteractionResponseType.ApplicationCommandAutocompleteResult:
          case InteractionResponseType.Modal:
            break;
          default:
            return error(400, 50035, `Invalid interaction response type ${body.type}`);
        }
        if (r.query.get('with_response') === 'true') {
          const msg = i.originalMessageId ? this.messages.get(i.originalMessageId) : undefined;
          return json(200, { interaction: { id: i.id, type: 2 }, resource: { type: body.type, ...(msg ? { message: apiMessage(msg) } : {}) } });
        }
        return json(204);
      },
      false,
    );

    const webhookInteraction = (appId: string, token: string): FakeInteraction | RouteResult => {
      const i = this.interactions.get(token);
      if (appId !== this.appId || !i) return error(404, 10015, 'Unknown Webhook');
      if (i.expired) return error(401, 50027, 'Invalid Webhook Token');
      return i;
    };
    const isResult = (x: FakeInteraction | RouteResult): x is RouteResult => 'status' in x;
    const target = (i: FakeInteraction, mid: string): FakeMessage | undefined => this.messages.get(mid === '@original' ? (i.originalMessageId ?? '') : mid);

    this.on(
      'GET',
      /^\/webhooks\/(\d+)\/([^/]+)\/messages\/([^/]+)$/,
      (_r, [app, token, mid]) => {
        const i = webhookInteraction(app, token);
        if (isResult(i)) return i;
        const m = target(i, mid);
        return m ? json(200, apiMessage(m)) : error(404, 10008, 'Unknown Message');
      },
      false,
    );
    this.on(
      'PATCH',
      /^\/webhooks\/(\d+)\/([^/]+)\/messages\/([^/]+)$/,
      (r, [app, token, mid]) => {
        const i = webhookInteraction(app, token);
        if (isResult(i)) return i;
        const m = target(i, mid);
        if (!m) return error(404, 10008, 'Unknown Message');
        if (this.tooLarge(r.files)) return error(413, 40005, 'Request entity too large');
        const body = (r.body ?? {}) as Record<string, unknown>;
        const problem = this.componentsProblem(body.components);
        if (problem) return error(400, 50035, `Invalid Form Body: ${problem}`);
        this.editMessage(m, body, r.files);
        m.flags &= ~MessageFlags.Loading;
        return json(200, apiMessage(m));
      },
      false,
    );
    this.on(
      'DELETE',
      /^\/webhooks\/(\d+)\/([^/]+)\/messages\/([^/]+)$/,
      (_r, [app, token, mid]) => {
        const i = webhookInteraction(app, token);
        if (isResult(i)) return i;
        const m = target(i, mid);
        if (!m) return error(404, 10008, 'Unknown Message');
        this.messages.delete(m.id);
        return json(204);
      },
      false,
    );
    this.on(
      'POST',
      /^\/webhooks\/(\d+)\/([^/]+)$/,
      (r, [app, token]) => {
        const i = webhookInteraction(app, token);
        if (isResult(i)) return i;
        if (this.tooLarge(r.files)) return error(413, 40005, 'Request entity too large');
        const problem = this.componentsProblem((r.body as Record<string, unknown> | undefined)?.components);
        if (problem) return error(400, 50035, `Invalid Form Body: ${problem}`);
        const m = this.createMessage(i.channelId, (r.body ?? {}) as Record<string, unknown>, r.files, { webhook_id: this.appId, application_id: this.appId });
        return json(200, apiMessage(m));
      },
      false,
    );
  }
}
