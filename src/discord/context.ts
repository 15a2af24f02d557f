// What every chat command receives besides its interaction, and the shape of a command module
// (commands/discord/*.ts), as in the discord.js guide.
import type {
  AutocompleteInteraction,
  ChatInputCommandInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { JobService } from '../jobs/types.ts';
import type { DiscordConfig } from './adapter-config.ts';
import type { DiscordIO } from './discord-io.ts';
import type { DiscordJobView } from './job-view.ts';

export interface DiscordContext {
  jobs: JobService;
  config: DiscordConfig;
  jobView: DiscordJobView;
  io: DiscordIO;
}

export interface DiscordCommand {
  data: { name: string; toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody };
  execute(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, ctx: DiscordContext): Promise<void>;
}
