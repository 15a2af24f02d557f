// The soak's verdict, from what the chat APIs actually received (the fakes' own records), the bot's
// SQLite database and Redis: every accepted job ended exactly once (one result, or one failure with
// its reason; nothing for a cancelled job but its cancellation), no job stuck, nothing of a
// finished job left in Redis, bad inputs refused once with nothing stored, every other command
// answered once (command-answers.ts), the database intact.
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import path from 'node:path';
import { parseJobTag } from '../../src/discord/job-meta.ts';
import { jobIdOfKey } from '../../src/jobs/queue/redis/shared.ts';
import type { FakeDiscord, RecordedRequest } from '../lib/fakes/discord/index.ts';
import type { FakeSlack } from '../lib/fakes/slack/index.ts';
import { checkAnswers, type AnswerCount, type AnswerKind } from './command-answers.ts';
import type { Action, Platform } from './load.ts';

export interface StoredJob {
  id: string;
  state: string;
  platform: Platform;
  userId: string;
  error: string | null;
  createdAt: number;
  kind: string;
  parentJobId: string | null;
  threadId: string | null;
  finishedAt: number | null;
  /** The resolved mode (options_json). */
  mode: string;
  /** meta_json: where the chat adapters put the job's messages. */
  meta: Record<string, unknown>;
}

export interface Ending {
  results: number;
  failures: number;
  /** When the last final message reached the chat API (ms). */
  at?: number;
}

export interface Violation {
  jobId?: string;
  what: string;
}

export interface CheckInput {
  dataDir: string;
  redisUrl?: string;
  discord: FakeDiscord;
  slack: FakeSlack;
  slackChannel: string;
  actions: Action[];
  badUsers: { platform: Platform; id: string }[];
  /** When the bot was down (killed .. ready again), to tell an unanswered command from a lost one. */
  botDown: { from: number; to: number }[];
}

export interface CheckResult {
  jobs: StoredJob[];
  endings: Map<string, Ending>;
  violations: Violation[];
  refused: number;
  unanswered: number;
  /** The other commands: accepted once / refused once / unanswered (bot down), by kind. */
  answers: Record<AnswerKind, AnswerCount>;
  integrity: string;
}

const FINISHED = new Set(['completed', 'failed', 'cancelled']);
const BULL_JOB = /^stylize:jobs:([A-Za-z0-9]{8})(?::.*)?$/;
/** BullMQ's own keys of the queue whose names look like a job id (8 letters). */
const BULL_NAMES = new Set(['priority']);

function readJobs(dataDir: string): { jobs: StoredJob[]; integrity: string } {
  const db = new Database(path.join(dataDir, 'stylize.db'), { readonly: true });
  try {
    const rows = (
      db
        .prepare(
          'SELECT id, state, platform, user_id AS userId, error, created_at AS createdAt, kind, parent_job_id AS parentJobId, thread_id AS threadId, finished_at AS finishedAt, options_json AS options, meta_json AS meta FROM jobs ORDER BY seq',
        )
        .all() as (Omit<StoredJob, 'mode' | 'meta'> & { options: string; meta: string })[]
    ).map(({ options, meta, ...j }) => ({ ...j, mode: String((JSON.parse(options) as { mode?: unknown }).mode), meta: JSON.parse(meta) as Record<string, unknown> }));
    const integrity = (db.pragma('integrity_check', { simple: true }) as string) ?? 'no answer';
    return { jobs: rows, integrity };
  } finally {
    db.close();
  }
}

/** Jobs still queued or running in the database (the drain waits for none). */
export function unfinishedJobs(dataDir: string): number {
  try {
    const db = new Database(path.join(dataDir, 'stylize.db'), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE state IN ('queued', 'running')").get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return -1;
  }
}

function contentOf(r: RecordedRequest): string {
  const c = (r.body as { content?: unknown } | undefined)?.content;
  return typeof c === 'string' ? c : '';
}

/** One final message per job, Discord: results (the image posted) and failures, from the requests the fake answered 200. */
function discordEndings(discord: FakeDiscord, endings: Map<string, Ending>, seen: Set<string>): void {
  for (const r of discord.requests) {
    if (r.status !== 200 || (r.method !== 'POST' && r.method !== 'PATCH')) continue;
    const id = parseJobTag(contentOf(r));
    if (!id) continue;
    seen.add(id);
    if (r.method !== 'POST') continue;
    const e = endings.get(id) ?? { results: 0, failures: 0 };
    if (r.files.some((f) => /^(stylized|sheet-)/.test(f.name))) e.results++;
    else if (/ failed: /.test(contentOf(r))) e.failures++;
    else continue;
    e.at = Math.max(e.at ?? 0, r.at);
    endings.set(id, e);
  }
}

/** Slack: result uploads (stylize-<id>.png, sheet-<kind>-<id>.png) and failure messages of the bot. */
function slackEndings(slack: FakeSlack, ids: Set<string>, endings: Map<string, Ending>, seen: Set<string>): void {
  const calls = [...slack.callsTo('chat.postMessage'), ...slack.callsTo('files.completeUploadExternal')];
  const lastCall = (id: string) => Math.max(0, ...calls.filter((c) => JSON.stringify(c.args).includes(id)).map((c) => c.at));
  for (const m of slack.messages) {
    if (m.user !== slack.botUserId) continue;
    const metaId = m.metadata?.event_payload.job_id;
    if (typeof metaId === 'string') seen.add(metaId);
    for (const f of m.files ?? []) {
      const id = /^(?:stylize|sheet-[a-z]+)-([A-Za-z0-9]+)\.png$/.exec(f.name)?.[1];
      if (!id) continue;
      seen.add(id);
      const e = endings.get(id) ?? { results: 0, failures: 0 };
      e.results++;
      e.at = lastCall(id) || undefined;
      endings.set(id, e);
    }
    // The job's first message is edited to say "… failed: why" too: a status, not a second ending.
    if (!/ failed: /.test(m.text) || m.metadata?.event_payload.role === 'root') continue;
    const text = JSON.stringify([m.blocks, m.metadata]);
    const id = typeof metaId === 'string' ? metaId : [...ids].find((x) => text.includes(x));
    if (!id) continue;
    const e = endings.get(id) ?? { results: 0, failures: 0 };
    e.failures++;
    e.at = lastCall(id) || undefined;
    endings.set(id, e);
  }
}

function botWasDown(input: CheckInput, at: number): boolean {
  // A command sent just before a kill may be received and then lost with the process.
  return input.botDown.some((d) => at >= d.from - 15_000 && at <= d.to + 2000);
}

/** How many answers a command got: Discord, the interaction's replies; Slack, the bot's messages in the mention's thread. */
function answers(input: CheckInput, a: Action): number {
  if (a.platform === 'discord') {
    const d = input.discord;
    return d.requests.filter(
      (r) =>
        (r.status === 200 || r.status === 204) &&
        ((r.method === 'POST' && r.path === `/interactions/${a.interactionId}/${a.token}/callback` && (r.body as { type?: number }).type === 4) ||
          (r.method === 'PATCH' && r.path === `/webhooks/${d.appId}/${a.token}/messages/@original`) ||
          (r.method === 'POST' && r.path === `/webhooks/${d.appId}/${a.token}`)),
    ).length;
  }
  if (!a.ts) return 0;
  const inThread = input.slack.thread(input.slackChannel, a.ts).filter((m) => m.user === input.slack.botUserId).length;
  const ephemeral = input.slack.callsTo('chat.postEphemeral').filter((c) => c.ok && c.args.thread_ts === a.ts).length;
  return inThread + ephemeral;
}

export async function check(input: CheckInput): Promise<CheckResult> {
  const { jobs, integrity } = readJobs(input.dataDir);
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const ids = new Set(byId.keys());
  const endings = new Map<string, Ending>();
  const seen = new Set<string>();
  discordEndings(input.discord, endings, seen);
  slackEndings(input.slack, ids, endings, seen);
  const violations: Violation[] = [];

  for (const j of jobs) {
    const e = endings.get(j.id) ?? { results: 0, failures: 0 };
    if (!FINISHED.has(j.state)) violations.push({ jobId: j.id, what: `stuck ${j.state}` });
    else if (j.state === 'completed' && (e.results !== 1 || e.failures !== 0)) {
      violations.push({ jobId: j.id, what: e.results === 0 ? `completed but its result was never posted (${e.failures} failure messages)` : `completed: ${e.results} results and ${e.failures} failure messages posted` });
    } else if (j.state === 'failed' && (e.failures !== 1 || e.results !== 0)) {
      violations.push({ jobId: j.id, what: `failed (${j.error}): ${e.failures} failure messages and ${e.results} results posted` });
    } else if (j.state === 'cancelled' && (e.results !== 0 || e.failures !== 0)) {
      violations.push({ jobId: j.id, what: `cancelled, yet ${e.results} results and ${e.failures} failure messages posted` });
    }
  }
  for (const id of seen) if (!byId.has(id)) violations.push({ jobId: id, what: 'announced in chat but not in the database (lost)' });

  for (const bad of input.badUsers) {
    for (const j of jobs.filter((x) => x.platform === bad.platform && x.userId === bad.id)) violations.push({ jobId: j.id, what: `a bad input was stored as a job (${bad.platform} user ${bad.id})` });
  }
  let refused = 0;
  let unanswered = 0;
  for (const a of input.actions) {
    if (!a.bad || a.undelivered) continue;
    const n = answers(input, a);
    if (n === 1) refused++;
    else if (n === 0 && botWasDown(input, a.at)) unanswered++;
    else violations.push({ what: `bad input #${a.seq} (${a.platform} ${a.kind} by ${a.user}) got ${n} answers, expected 1` });
  }
  const answered = checkAnswers({ discord: input.discord, slack: input.slack, slackChannel: input.slackChannel, actions: input.actions, jobs, botWasDown: (at) => botWasDown(input, at) });
  violations.push(...answered.violations);

  if (input.redisUrl) {
    const redis = new Redis(input.redisUrl, { maxRetriesPerRequest: 2 });
    try {
      for (const key of await redis.keys('stylize:*')) {
        const id = jobIdOfKey(key) ?? BULL_JOB.exec(key)?.[1];
        const j = id ? byId.get(id) : undefined;
        if (j && FINISHED.has(j.state)) violations.push({ jobId: j.id, what: `Redis still holds ${key} of this ${j.state} job` });
        else if (id && !j && (jobIdOfKey(key) !== undefined || !BULL_NAMES.has(id))) violations.push({ jobId: id, what: `Redis holds ${key} of a job the bot does not know` });
      }
    } finally {
      redis.disconnect();
    }
  }
  if (integrity !== 'ok') violations.push({ what: `PRAGMA integrity_check: ${integrity}` });
  return { jobs, endings, violations, refused, unanswered, answers: answered.counts, integrity };
}
