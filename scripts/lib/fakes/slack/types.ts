// The fake Slack's records: what tests inspect after driving the app.

export interface FakeUser {
  id: string;
  name: string;
  is_admin?: boolean;
  is_owner?: boolean;
  is_primary_owner?: boolean;
}

export interface FakeFile {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  size: number;
  bytes: Buffer;
  user: string;
  original_w?: number;
  original_h?: number;
  /** Served without content-length (chunked), as a proxy might. */
  chunked?: boolean;
  /** Set on files the app uploaded (files.completeUploadExternal). */
  shareTs?: string;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  user: string;
  bot_id?: string;
  text: string;
  blocks?: Record<string, unknown>[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  files?: FakeFile[];
  reactions: { name: string; users: string[] }[];
  /** Every text the message had, oldest first (chat.update appends). */
  history: string[];
}

export interface ApiCall {
  method: string;
  args: Record<string, unknown>;
  ok: boolean;
  error?: string;
  at: number;
}

export interface ResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
}

export interface EphemeralMessage {
  channel: string;
  user: string;
  text: string;
  thread_ts?: string;
}

export interface OpenedView {
  id: string;
  user: string;
  view: Record<string, unknown>;
}
