// The Discord client: gateway intents, interaction and reaction dispatch, and the job view that
// turns job events into messages. No privileged intents: slash commands bring their own data,
// reactions come through the (unprivileged) reaction intents.
import { Client, Events, GatewayDispatchEvents, Status, GatewayIntentBits, Partials, type GatewayMessageReactionAddDispatchData, type Interaction } from 'discord.js';
import { commands } from '../../commands/discord/index.ts';
import type { JobService } from '../jobs/types.ts';
import { logger } from '../log.ts';
import type { ChatMetrics } from '../ops/metrics.ts';
import { discordConfigFromEnv, type DiscordConfig } from './adapter-config.ts';
import { handleCancelButton } from './cancel.ts';
import type { DiscordContext } from './context.ts';
import { DiscordIO, describeError } from './discord-io.ts';
import { handleGridButton } from './grid-actions.ts';
import { GRID_PREFIX } from './grid-buttons.ts';
import { DiscordJobView } from './job-view.ts';
import { CANCEL_PREFIX, RESULT_PREFIX } from './messages.ts';
import { handleReaction } from './reaction-handler.ts';
import { handleResultButton } from './result-actions.ts';
import { refuse } from './replies.ts';
import { discordRequest } from './rest-request.ts';

export interface StartDiscordOptions {
  jobs: JobService;
  token: string;
  applicationId: string;
  /** REST base (without /v10); defaults to DISCORD_API_URL, then https://discord.com/api. */
  apiUrl?: string;
  cdnUrl?: string;
  /** Overrides of the env-derived settings (tests use short intervals). */
  config?: Partial<DiscordConfig>;
  /** How long to wait for the gateway to become ready. */
  readyTimeoutMs?: number;
  /** Where to count API errors and rate limits (the bot's /metrics). */
  metrics?: ChatMetrics;
}

export interface DiscordBot {
  client: Client<true>;
  /** The gateway session is up (readiness). */
  connected(): boolean;
  stop(): Promise<void>;
}

export const INTENTS = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessageReactions, GatewayIntentBits.DirectMessageReactions];

async function dispatchInteraction(interaction: Interaction, ctx: DiscordContext): Promise<void> {
  if (interaction.isChatInputCommand()) {
    const command = commands.get(interaction.commandName);
    if (!command) return refuse(interaction, `Unknown command /${interaction.commandName}; the bot may be older than its registered commands.`);
    try {
      await command.execute(interaction, ctx);
    } catch (e) {
      logger.error({ command: interaction.commandName, err: describeError(e) }, 'command failed');
      await refuse(interaction, 'Something went wrong on the bot side; please try again.');
    }
  } else if (interaction.isAutocomplete()) {
    const command = commands.get(interaction.commandName);
    try {
      if (command?.autocomplete) await command.autocomplete(interaction, ctx);
      else await interaction.respond([]);
    } catch (e) {
      logger.warn({ command: interaction.commandName, err: describeError(e) }, 'autocomplete failed');
    }
  } else if (interaction.isButton() && interaction.customId.startsWith(CANCEL_PREFIX)) {
    await handleCancelButton(interaction, ctx);
  } else if (interaction.isButton() && interaction.customId.startsWith(RESULT_PREFIX)) {
    await handleResultButton(interaction, ctx);
  } else if (interaction.isButton() && interaction.customId.startsWith(GRID_PREFIX)) {
    await handleGridButton(interaction, ctx);
  }
}

export async function startDiscord(opts: StartDiscordOptions): Promise<DiscordBot> {
  if (!opts.token) throw new Error('DISCORD_TOKEN is not set');
  if (!/^\d+$/.test(opts.applicationId)) throw new Error('DISCORD_APPLICATION_ID must be the numeric application id');
  const config: DiscordConfig = { ...discordConfigFromEnv(), ...opts.config };
  const api = opts.apiUrl ?? process.env.DISCORD_API_URL;
  const client = new Client({
    intents: INTENTS,
    // Interactions and reactions in uncached channels (threads and DMs after a restart) build
    // partial structures instead of being dropped. The reaction handler reads the raw dispatch
    // anyway (see reaction-handler.ts), so it works even where discord.js drops the event.
    partials: [Partials.Message, Partials.Channel, Partials.Reaction],
    // Echoed user text must never ping @everyone or roles; messages name the users they ping.
    allowedMentions: { parse: [] },
    rest: { makeRequest: discordRequest, ...(api ? { api } : {}), ...(opts.cdnUrl ? { cdn: opts.cdnUrl } : {}) },
  });
  const io = new DiscordIO(client.rest);
  const jobView = new DiscordJobView({ jobs: opts.jobs, io, config });
  const ctx: DiscordContext = { jobs: opts.jobs, config, jobView, io };

  client.on(Events.InteractionCreate, (interaction) => {
    dispatchInteraction(interaction, ctx).catch((e: unknown) => logger.error({ err: describeError(e) }, 'interaction handler failed'));
  });
  client.ws.on(GatewayDispatchEvents.MessageReactionAdd, (data: GatewayMessageReactionAddDispatchData) => {
    handleReaction(data, ctx, client).catch((e: unknown) => logger.error({ err: describeError(e) }, 'reaction handler failed'));
  });
  client.on(Events.Error, (e) => logger.error({ err: describeError(e) }, 'discord client error'));
  client.rest.on('rateLimited', (info) => {
    opts.metrics?.chatRateLimited('discord');
    logger.debug({ route: info.route, retryAfter: info.retryAfter }, 'discord rate limit');
  });
  // 429s are counted as rate limits above (discord.js retries them), not as errors.
  client.rest.on('response', (_request, response) => {
    if (response.status >= 400 && response.status !== 429) opts.metrics?.chatApiError('discord');
  });

  const ready = new Promise<Client<true>>((resolve) => client.once(Events.ClientReady, resolve));
  // Job events may arrive before the gateway is up (jobs resumed at start-up): REST works already.
  client.rest.setToken(opts.token);
  jobView.start();
  try {
    await client.login(opts.token);
    const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Discord gateway not ready after ${readyTimeoutMs} ms`)), readyTimeoutMs);
    });
    await Promise.race([ready, timeout]).finally(() => clearTimeout(timer));
  } catch (e) {
    await jobView.stop();
    await client.destroy();
    // discord.js's login errors never contain the token; ours neither.
    throw new Error(`Discord login failed: ${describeError(e)}`, { cause: e });
  }
  if (client.application?.id && client.application.id !== opts.applicationId) {
    logger.warn({ expected: opts.applicationId, actual: client.application.id }, 'DISCORD_APPLICATION_ID does not match the token');
  }
  logger.info({ user: client.user?.tag, guilds: client.guilds.cache.size }, 'Discord bot ready');

  let stopped = false;
  return {
    client: client as Client<true>,
    connected: () => !stopped && client.isReady() && client.ws.status === Status.Ready,
    async stop() {
      stopped = true;
      await jobView.stop();
      await client.destroy();
    },
  };
}
