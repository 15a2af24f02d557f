// What every Slack listener gets besides Bolt's own arguments.
import type { JobService } from '../jobs/types.ts';
import type { AdminChecker } from './admins.ts';
import type { JobMessageIndex } from './job-messages.ts';
import type { SlackJobRenderer } from './renderer.ts';
import type { SlackAdapterSettings } from './settings.ts';

export interface SlackDeps {
  jobs: JobService;
  renderer: SlackJobRenderer;
  index: JobMessageIndex;
  admins: AdminChecker;
  settings: SlackAdapterSettings;
  botToken: string;
  /** The Web API base when not slack.com (a proxy or a local fake); its host may serve files too. */
  apiUrl?: string;
}
