// Did every command of the soak's users get exactly one answer? From the fakes' records and the
// database, each delivered action is told apart as accepted (a job stored for it, a file posted, a
// cancel acknowledged) or refused (one refusal), never both, never twice. Answers are what the bot
// sent about the command itself, not the job's own messages (progress edits, previews, results):
//
// - a submit (Discord /stylize, /stylize-sheet; Slack mention): accepted when a job links to it
//   (Discord: the interaction's time and user in meta.discord; Slack: the mention's ts as the job's
//   thread), answered by the public reply (Discord, the @original edit; Slack, the job's root message
//   in the mention's thread); refused by one ephemeral reply or follow-up (Discord) or one message in
//   the mention's thread (Slack), with no job stored;
// - a re-run, time-lapse or chart (reaction or button on a result): answered in the result's thread,
//   by a new job (a re-run: its parent, mode and user), the file, or one refusal. Reactions carry
//   nothing to tie an answer to its request, so the requests and answers of one user, thread and
//   kind are matched by time (an answer to an earlier request);
// - a cancel (button): Discord, one acknowledgement or one ephemeral refusal of its interaction;
//   Slack, at most one refusal on its response_url (an accepted cancel is only acknowledged);
// - a config change: one answer (Discord, the interaction; Slack, its response_url).
//
// A command sent while the bot was down, or just before it was killed, may get no answer: counted
// as unanswered, not a violation.
import { visualRefusalText } from '../../src/chat/format.ts';
import { RERUN_REACTIONS, VISUAL_REACTIONS, type ResultVisual } from '../../src/chat/reactions.ts';
import { parseJobTag } from '../../src/discord/job-meta.ts';
import type { FakeDiscord, RecordedRequest } from '../lib/fakes/discord/index.ts';
import type { FakeSlack } from '../lib/fakes/slack/index.ts';
import type { Action } from './load.ts';

/** What checkAnswers needs of a stored job. */
export interface LinkedJob {
  id: string;
  platform: string;
  userId: string;
  threadId: string | null;
  parentJobId: string | null;
  createdAt: number;
  finishedAt: number | null;
  mode: string;
  meta: Record<string, unknown>;
}

export type AnswerKind = 'submit' | 'rerun' | 'timelapse' | 'chart' | 'cancel' | 'config';
export const ANSWER_KINDS: readonly AnswerKind[] = ['submit', 'rerun', 'timelapse', 'chart', 'cancel', 'config'];

export interface AnswerCount {
  /** Accepted and answered once (a job, the file, the cancel or setting done). */
  accepted: number;
  /** Refused once, nothing stored. */
  refused: number;
  /** No answer, the bot being down (or killed just after). */
  unanswered: number;
}

export interface AnswerInput {
  discord: FakeDiscord;
  slack: FakeSlack;
  slackChannel: string;
  actions: Action[];
  jobs: LinkedJob[];
  botWasDown: (at: number) => boolean;
}

export interface AnswerResult {
  counts: Record<AnswerKind, AnswerCount>;
  violations: { jobId?: string; what: string }[];
}

const DISCORD_EPOCH = 1420070400000n;

/** The kind of answer an action of load.ts expects (bad inputs are checked apart). */
export function answerKind(a: Action): AnswerKind | undefined {
  if (a.kind.startsWith('stylize') || a.kind === 'sheet') return 'submit';
  if (a.kind.startsWith('rerun-')) return 'rerun';
  if (a.kind === 'timelapse' || a.kind === 'chart' || a.kind === 'cancel' || a.kind === 'config') return a.kind;
  return undefined;
}

function rerunMode(a: Action): string {
  return /texture|thread/.test(a.kind) ? 'texture' : 'reconstruct';
}

function body(r: RecordedRequest): { content?: string; flags?: number; type?: number; data?: { content?: string; flags?: number } } {
  return (r.body ?? {}) as ReturnType<typeof body>;
}

function ok(r: RecordedRequest): boolean {
  return r.status === 200 || r.status === 204;
}

/** The time Discord (and discord.js's createdTimestamp) reads from a snowflake. */
function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

interface InteractionAnswers {
  /** Acknowledgements without a message (deferred update). */
  acks: number;
  /** The public reply: the deferred reply's @original edited. */
  replies: number;
  /** Ephemeral answers: a type-4 callback or a follow-up (not a job message). */
  ephemerals: RecordedRequest[];
}

function interactionAnswers(d: FakeDiscord, a: Action): InteractionAnswers {
  const out: InteractionAnswers = { acks: 0, replies: 0, ephemerals: [] };
  for (const r of d.requests) {
    if (!ok(r)) continue;
    if (r.method === 'POST' && r.path === `/interactions/${a.interactionId}/${a.token}/callback`) {
      const type = body(r).type;
      if (type === 6 || type === 7) out.acks++;
      else if (type === 4) out.ephemerals.push(r);
    } else if (r.method === 'PATCH' && r.path === `/webhooks/${d.appId}/${a.token}/messages/@original`) {
      out.replies++;
    } else if (r.method === 'POST' && r.path === `/webhooks/${d.appId}/${a.token}` && !parseJobTag(body(r).content ?? '')) {
      // A job's own messages go through the interaction only where the bot may not post; they carry the job tag.
      out.ephemerals.push(r);
    }
  }
  return out;
}

function messageText(r: RecordedRequest): string {
  const b = body(r);
  return b.content ?? b.data?.content ?? '';
}

function discordMeta(j: LinkedJob): { interactionAt?: number; channelId?: string; postChannelId?: string } {
  return (j.meta.discord ?? {}) as ReturnType<typeof discordMeta>;
}

function slackMeta(j: LinkedJob): { threadTs?: string; rootTs?: string } {
  return (j.meta.slack ?? {}) as ReturnType<typeof slackMeta>;
}

/** Where the answers to a request on a result go: its thread (Discord channel id, Slack thread ts). */
function resultThread(j: LinkedJob | undefined): string | undefined {
  if (!j) return undefined;
  if (j.platform === 'discord') return discordMeta(j).postChannelId ?? discordMeta(j).channelId;
  return slackMeta(j).threadTs ?? slackMeta(j).rootTs ?? j.threadId ?? undefined;
}

interface Answer {
  at: number;
  refusal: boolean;
  /** For the trail: the job it made, or the text. */
  what: string;
  jobId?: string;
}

/**
 * Matches answers to earlier requests. Any earlier request can take an answer (their sets are
 * nested), so each answer goes to the earliest request that must be answered (the bot was up),
 * else to one that may stay unanswered. Left: answers nobody asked for, requests never answered.
 */
function matchByTime<T extends { a: Action; answers: Answer[] }>(requests: T[], answers: Answer[], mayBeUnanswered: (a: Action) => boolean): Answer[] {
  const open = [...requests].sort((x, y) => x.a.at - y.a.at);
  const extra: Answer[] = [];
  for (const ans of [...answers].sort((x, y) => x.at - y.at)) {
    const before = open.filter((r) => r.a.at <= ans.at);
    const pick = before.find((r) => !mayBeUnanswered(r.a)) ?? before[0];
    if (!pick) {
      extra.push(ans);
      continue;
    }
    pick.answers.push(ans);
    open.splice(open.indexOf(pick), 1);
  }
  return extra;
}

export function checkAnswers(input: AnswerInput): AnswerResult {
  const { discord: d, slack: s } = input;
  const counts = Object.fromEntries(ANSWER_KINDS.map((k) => [k, { accepted: 0, refused: 0, unanswered: 0 }])) as Record<AnswerKind, AnswerCount>;
  const violations: AnswerResult['violations'] = [];
  const byId = new Map(input.jobs.map((j) => [j.id, j]));
  const describe = (a: Action) => `#${a.seq} (${a.platform} ${a.kind} by ${a.user}${a.jobId ? ` on job ${a.jobId}` : ''})`;
  const tally = (kind: AnswerKind, a: Action, n: { accepted: number; refused: number }, jobId?: string) => {
    if (n.accepted + n.refused === 1) counts[kind][n.accepted ? 'accepted' : 'refused']++;
    else if (n.accepted + n.refused === 0 && input.botWasDown(a.at)) counts[kind].unanswered++;
    else violations.push({ ...(jobId ? { jobId } : {}), what: `${describe(a)} got ${n.accepted} acceptances and ${n.refused} refusals, expected one answer` });
  };

  // An action whose delivery failed may still have reached the bot (a Socket Mode ack lost with a
  // killed bot): its answers count, but none is expected.
  const mayBeUnanswered = (a: Action) => Boolean(a.undelivered) || input.botWasDown(a.at);
  const acted = input.actions.filter((a) => !a.bad && answerKind(a));
  const delivered = acted.filter((a) => !a.undelivered);
  const linked = new Set<string>();

  // ---- submits ----
  for (const a of acted.filter((x) => answerKind(x) === 'submit')) {
    if (a.undelivered) {
      // Its job, if the bot got it, is linked by the checks below; nothing is expected of it.
      continue;
    }
    if (a.platform === 'discord') {
      const at = snowflakeTime(a.interactionId!);
      const jobs = input.jobs.filter((j) => j.platform === 'discord' && !j.parentJobId && j.userId === a.user && discordMeta(j).interactionAt === at);
      const answers = interactionAnswers(d, a);
      for (const j of jobs) linked.add(j.id);
      if (jobs.length > 1) violations.push({ jobId: jobs[1].id, what: `${describe(a)} stored ${jobs.length} jobs (${jobs.map((j) => j.id).join(', ')})` });
      if (jobs.length === 0 && answers.replies > 0) violations.push({ what: `${describe(a)} was answered as queued, but no job of it is stored (lost)` });
      tally('submit', a, jobs.length ? { accepted: answers.replies, refused: answers.ephemerals.length } : { accepted: 0, refused: answers.ephemerals.length + answers.replies }, jobs[0]?.id);
    } else {
      if (!a.ts) continue;
      const jobs = input.jobs.filter((j) => j.platform === 'slack' && !j.parentJobId && j.userId === a.user && j.threadId === a.ts);
      for (const j of jobs) linked.add(j.id);
      if (jobs.length > 1) violations.push({ jobId: jobs[1].id, what: `${describe(a)} stored ${jobs.length} jobs (${jobs.map((j) => j.id).join(', ')})` });
      const thread = s.thread(input.slackChannel, a.ts).filter((m) => m.user === s.botUserId && m.ts !== a.ts);
      const roots = thread.filter((m) => m.metadata?.event_payload.role === 'root' && jobs.some((j) => j.id === m.metadata?.event_payload.job_id)).length;
      const refusals = thread.filter((m) => !m.metadata && !m.files?.length && m.text.startsWith(`<@${a.user}> `)).length;
      // Two roots of one job are a violation too: a restarted bot adopts the root a killed bot posted.
      tally('submit', a, { accepted: roots, refused: refusals }, jobs[0]?.id);
      if (jobs.length && refusals > 0 && roots === 0) violations.push({ jobId: jobs[0].id, what: `${describe(a)} was refused, yet job ${jobs[0].id} is stored` });
    }
  }
  // Every job that is not a re-run came from a submit of its user (else the linking above is wrong,
  // or a job appeared from nowhere). A Slack mention whose delivery failed has no ts in its action:
  // its message in the channel stands for it.
  const discordSubmits = new Set(acted.filter((a) => a.platform === 'discord' && answerKind(a) === 'submit').map((a) => `${a.user}@${snowflakeTime(a.interactionId!)}`));
  for (const j of input.jobs) {
    if (j.parentJobId || linked.has(j.id)) continue;
    const accounted =
      j.platform === 'discord'
        ? discordSubmits.has(`${j.userId}@${discordMeta(j).interactionAt}`)
        : j.threadId !== null && s.message(input.slackChannel, j.threadId)?.user === j.userId;
    if (!accounted) violations.push({ jobId: j.id, what: `stored, but no command of its user ${j.userId} accounts for it` });
  }

  // ---- re-runs, time-lapses, charts: answered in the result's thread ----
  type Request = { a: Action; kind: AnswerKind; answers: Answer[] };
  const groups = new Map<string, Request[]>();
  for (const a of acted) {
    const kind = answerKind(a)!;
    if (kind !== 'rerun' && kind !== 'timelapse' && kind !== 'chart') continue;
    const req: Request = { a, kind, answers: [] };
    if (a.platform === 'discord' && a.token) {
      // A button press the bot could refuse at once ("no longer known"), privately.
      const direct = interactionAnswers(d, a).ephemerals.filter((r) => !/^On it/.test(messageText(r)));
      req.answers.push(...direct.map((r) => ({ at: r.at, refusal: true, what: messageText(r) })));
      if (direct.length) {
        if (!a.undelivered) tally(kind, a, { accepted: 0, refused: direct.length }, a.jobId);
        continue;
      }
    }
    const thread = resultThread(a.jobId ? byId.get(a.jobId) : undefined);
    if (!thread) {
      if (a.undelivered) continue;
      violations.push({ jobId: a.jobId, what: `${describe(a)}: its job is not in the database` });
      continue;
    }
    const key = `${a.platform}|${a.user}|${thread}|${kind === 'rerun' ? `rerun-${rerunMode(a)}` : kind}`;
    groups.set(key, [...(groups.get(key) ?? []), req]);
  }
  for (const [key, requests] of groups) {
    const [platform, user, thread, what] = key.split('|');
    const answers: Answer[] = [];
    if (what.startsWith('rerun-')) {
      const mode = what.slice('rerun-'.length);
      for (const j of input.jobs) {
        if (j.platform !== platform || j.userId !== user || !j.parentJobId || j.mode !== mode) continue;
        if (resultThread(j) === thread || (platform === 'slack' && j.threadId === thread)) answers.push({ at: j.createdAt, refusal: false, what: `job ${j.id}`, jobId: j.id });
      }
      if (platform === 'discord') {
        const mark = RERUN_REACTIONS.find((r) => r.mode === mode)!.unicode;
        for (const r of d.requests) {
          if (r.method === 'POST' && ok(r) && r.path === `/channels/${thread}/messages` && messageText(r).startsWith(`<@${user}> ${mark} could not queue`)) answers.push({ at: r.at, refusal: true, what: messageText(r) });
        }
      } else {
        for (const c of s.callsTo('chat.postEphemeral')) {
          if (c.ok && c.args.user === user && c.args.thread_ts === thread && String(c.args.text).startsWith(`Cannot re-run as ${mode}:`)) answers.push({ at: c.at, refusal: true, what: String(c.args.text) });
        }
      }
    } else {
      const visual = what as ResultVisual;
      const mark = VISUAL_REACTIONS.find((r) => r.visual === visual)!.unicode;
      // "🎞️ No time-lapse: <reason>." without its reason.
      const refusal = visualRefusalText(visual, '').split(':')[0];
      if (platform === 'discord') {
        for (const r of d.requests) {
          if (r.method !== 'POST' || !ok(r) || r.path !== `/channels/${thread}/messages` || !messageText(r).startsWith(`<@${user}> ${mark}`)) continue;
          answers.push({ at: r.at, refusal: !r.files.length, what: messageText(r) });
        }
      } else {
        for (const c of s.callsTo('files.completeUploadExternal')) {
          if (c.ok && c.args.thread_ts === thread && String(c.args.initial_comment ?? '').startsWith(`<@${user}> ${mark}`)) answers.push({ at: c.at, refusal: false, what: String(c.args.initial_comment) });
        }
        for (const c of s.callsTo('chat.postEphemeral')) {
          if (c.ok && c.args.user === user && c.args.thread_ts === thread && String(c.args.text).startsWith(refusal)) answers.push({ at: c.at, refusal: true, what: String(c.args.text) });
        }
      }
    }
    const extra = matchByTime(requests, answers, mayBeUnanswered);
    for (const x of extra) violations.push({ jobId: x.jobId, what: `${platform} user ${user} got an answer nobody asked for in thread ${thread} (${what}): ${x.what.slice(0, 120)}` });
    for (const r of requests) {
      if (r.a.undelivered) continue;
      tally(r.kind, r.a, { accepted: r.answers.filter((x) => !x.refusal).length, refused: r.answers.filter((x) => x.refusal).length }, r.a.jobId);
    }
  }

  // ---- cancels and config changes ----
  for (const a of delivered) {
    const kind = answerKind(a)!;
    if (kind !== 'cancel' && kind !== 'config') continue;
    if (a.platform === 'discord') {
      const n = interactionAnswers(d, a);
      tally(kind, a, { accepted: n.acks + n.replies + (kind === 'config' ? n.ephemerals.length : 0), refused: kind === 'cancel' ? n.ephemerals.length : 0 }, a.jobId);
    } else {
      const posts = a.responseUrl ? s.responses.filter((r) => a.responseUrl!.endsWith(`/response/${r.id}`)).length : 0;
      // An accepted Slack cancel is only acknowledged (the job's messages then say it was cancelled).
      if (kind === 'cancel') tally(kind, a, posts === 0 ? { accepted: 1, refused: 0 } : { accepted: 0, refused: posts }, a.jobId);
      else tally(kind, a, { accepted: posts, refused: 0 });
    }
  }
  return { counts, violations };
}
