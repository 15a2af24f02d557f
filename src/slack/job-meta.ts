// What the Slack adapter persists in a job's meta (under meta.slack): the ts of every message the
// job view posted, so that a restarted bot keeps editing the same messages.
import type { JobRecord } from '../jobs/types.ts';

export interface SlackJobMeta {
  teamId: string;
  channel: string;
  /** The thread all of the job's messages go to (the root's ts, or the thread the job was asked in). */
  threadTs?: string;
  rootTs?: string;
  progressTs?: string;
  resultTs?: string;
  fileTs?: string;
}

export function slackMetaOf(job: JobRecord): SlackJobMeta {
  const m = (job.meta.slack ?? {}) as Partial<SlackJobMeta>;
  return {
    ...m,
    teamId: m.teamId ?? job.owner.workspaceId,
    channel: m.channel ?? job.owner.channelId,
    threadTs: m.threadTs ?? job.owner.threadId,
  };
}
