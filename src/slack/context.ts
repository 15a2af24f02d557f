// What every Slack listener gets besides Bolt's own arguments.
import type { JobService } from '../jobs/types.ts';
import type { AdminChecker } from './admins.ts';
import type { JobMessageIndex } from './job-messages.ts';
import type { SlackJobView } from './job-view.ts';
import type { SlackConfig } from './adapter-config.ts';

export interface SlackDeps {
  jobs: JobService;
  jobView: SlackJobView;
  index: JobMessageIndex;
  admins: AdminChecker;
  config: SlackConfig;
  botToken: string;
  /** The Web API base when not slack.com (a proxy or a local fake); its host may serve files too. */
  apiUrl?: string;
}
