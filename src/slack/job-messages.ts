// Which job a Slack message belongs to. Reactions and buttons name only a channel and a message ts,
// so every message the job view posts is remembered here and also carries its job id in Slack message
// metadata: after a restart the in-memory map is empty and the metadata is read back with
// conversations.replies.
import type { webApi } from '@slack/bolt';
import { RecentIndex } from '../chat/recent-index.ts';
import { logger } from '../log.ts';

export const JOB_METADATA_EVENT = 'stylize_job';

export type JobMessageRole = 'root' | 'progress' | 'result' | 'file' | 'failure';
const ROLES: readonly string[] = ['root', 'progress', 'result', 'file', 'failure'] satisfies JobMessageRole[];

export interface JobMessageRef {
  jobId: string;
  role: JobMessageRole;
}

export function jobMetadata(jobId: string, role: JobMessageRole): { event_type: string; event_payload: { job_id: string; role: JobMessageRole } } {
  return { event_type: JOB_METADATA_EVENT, event_payload: { job_id: jobId, role } };
}

const MAX_ENTRIES = 20_000;
const log = logger.child({ module: 'slack' });

export class JobMessageIndex {
  private readonly refs = new RecentIndex<JobMessageRef>(MAX_ENTRIES);

  set(channel: string, ts: string, ref: JobMessageRef): void {
    this.refs.set(`${channel}:${ts}`, ref);
  }

  get(channel: string, ts: string): JobMessageRef | undefined {
    return this.refs.get(`${channel}:${ts}`);
  }

  /** The in-memory entry, else the message's metadata as Slack stored it. */
  async resolve(client: webApi.WebClient, channel: string, ts: string): Promise<JobMessageRef | undefined> {
    const known = this.get(channel, ts);
    if (known) return known;
    try {
      const res = await client.conversations.replies({ channel, ts, latest: ts, oldest: ts, inclusive: true, limit: 1, include_all_metadata: true });
      const message = res.messages?.find((m) => m.ts === ts);
      const meta = message?.metadata as { event_type?: string; event_payload?: { job_id?: unknown; role?: unknown } } | undefined;
      if (meta?.event_type !== JOB_METADATA_EVENT || typeof meta.event_payload?.job_id !== 'string') return undefined;
      const role = meta.event_payload.role;
      const ref: JobMessageRef = {
        jobId: meta.event_payload.job_id,
        role: typeof role === 'string' && ROLES.includes(role) ? (role as JobMessageRole) : 'result',
      };
      this.set(channel, ts, ref);
      return ref;
    } catch (e) {
      log.warn({ err: (e as Error).message, channel, ts }, 'could not read message metadata');
      return undefined;
    }
  }
}
