// The gateway half of the fake: HELLO → IDENTIFY → READY + GUILD_CREATE, heartbeats ACKed, and
// dispatch() for the events a test plays (interactions, reactions, thread creation).
import type { IncomingMessage, Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { GatewayOpcodes } from 'discord.js';

export interface GatewayHooks {
  token: string;
  /** READY's d, built when the client identifies. */
  ready(): Record<string, unknown>;
  /** The GUILD_CREATE payloads sent right after READY. */
  guilds(): Record<string, unknown>[];
}

export interface IdentifyInfo {
  token: string;
  intents: number;
  properties: unknown;
}

export class FakeGateway {
  readonly wss: WebSocketServer;
  private socket: WebSocket | null = null;
  private seq = 0;
  readonly identifies: IdentifyInfo[] = [];
  heartbeats = 0;
  private readyWaiters: (() => void)[] = [];
  private isReady = false;

  constructor(server: Server, path: string, private readonly hooks: GatewayHooks) {
    this.wss = new WebSocketServer({ server, path });
    this.wss.on('connection', (ws: WebSocket, req: IncomingMessage) => this.onConnection(ws, req));
  }

  private send(payload: { op: number; d: unknown; s?: number | null; t?: string | null }): void {
    this.socket?.send(JSON.stringify({ s: null, t: null, ...payload }));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const url = new URL(req.url ?? '/', 'ws://x');
    // discord.js asks for JSON without transport compression when zlib-sync is absent; anything
    // else would be a frame format this fake does not speak.
    if (url.searchParams.get('encoding') !== 'json' || url.searchParams.get('compress')) {
      ws.close(4002, 'unsupported encoding');
      return;
    }
    this.socket = ws;
    this.isReady = false;
    ws.on('message', (raw) => this.onMessage(raw.toString()));
    ws.on('close', () => {
      if (this.socket === ws) this.socket = null;
    });
    // A long interval: heartbeats are answered, but tests should not depend on their timing.
    this.send({ op: GatewayOpcodes.Hello, d: { heartbeat_interval: 41_250 } });
  }

  private onMessage(text: string): void {
    const payload = JSON.parse(text) as { op: number; d: Record<string, unknown> | number | null };
    switch (payload.op) {
      case GatewayOpcodes.Heartbeat:
        this.heartbeats++;
        this.send({ op: GatewayOpcodes.HeartbeatAck, d: null });
        break;
      case GatewayOpcodes.Identify: {
        const d = payload.d as { token: string; intents: number; properties: unknown };
        this.identifies.push({ token: d.token, intents: d.intents, properties: d.properties });
        if (d.token !== this.hooks.token) {
          this.socket?.close(4004, 'Authentication failed.');
          return;
        }
        this.dispatch('READY', this.hooks.ready());
        for (const guild of this.hooks.guilds()) this.dispatch('GUILD_CREATE', guild);
        this.isReady = true;
        for (const w of this.readyWaiters.splice(0)) w();
        break;
      }
      case GatewayOpcodes.Resume:
        this.dispatch('RESUMED', {});
        break;
      default:
        break;
    }
  }

  dispatch(t: string, d: unknown): void {
    this.seq++;
    this.send({ op: GatewayOpcodes.Dispatch, t, s: this.seq, d });
  }

  get connected(): boolean {
    return this.socket !== null;
  }

  waitReady(): Promise<void> {
    if (this.isReady) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
