// /stylize-config show | set <option> <value> | reset [option]: per-server defaults and limits.
// Hidden from non-managers by default permissions, and checked again here: a server can override
// default permissions per role, and the payload, not the client, is the authority.
import {
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type ApplicationCommandOptionChoiceData,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { ADMIN_OPTION_SPECS } from '../../src/chat/chat-options.ts';
import { chatChoices } from '../../src/discord/command-options.ts';
import type { DiscordContext } from '../../src/discord/context.ts';
import { answerPrivately, refuse } from '../../src/discord/replies.ts';
import { LIBRARY_KEYS, LIBRARY_LABELS, describeLibrarySetting, findLibraryKey } from '../../src/jobs/library-settings.ts';
import { LIMIT_KEYS, findLimitKey } from '../../src/jobs/limits.ts';
import type { WorkspaceSettings } from '../../src/jobs/types.ts';
import { findOptionSpec } from '../../src/option-names.ts';
import type { OptionSpec } from '../../src/options.ts';
import { BUILTIN_STYLE_NAMES } from '../../src/styles/index.ts';

type LimitKey = (typeof LIMIT_KEYS)[number];

const LIMIT_DESCRIPTIONS: Record<LimitKey, string> = {
  maxUserJobs: 'jobs one user may have queued or running',
  maxQueue: 'jobs waiting in the queue',
  maxSteps: 'most steps of one job',
  maxSize: 'largest output size in pixels',
  jobTimeoutSec: 'seconds one job may run',
  maxStyles: 'saved styles in the style library',
};

export const data = new SlashCommandBuilder()
  .setName('stylize-config')
  .setDescription("This server's /stylize defaults and limits")
  .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((s) => s.setName('show').setDescription("Show this server's defaults and limits"))
  .addSubcommand((s) =>
    s
      .setName('set')
      .setDescription('Set a default option or a limit for this server')
      .addStringOption((o) => o.setName('option').setDescription('option or limit name').setRequired(true).setAutocomplete(true))
      .addStringOption((o) => o.setName('value').setDescription('new value').setRequired(true).setAutocomplete(true)),
  )
  .addSubcommand((s) =>
    s
      .setName('reset')
      .setDescription('Reset one setting, or all of them')
      .addStringOption((o) => o.setName('option').setDescription('option or limit name (empty: everything)').setAutocomplete(true)),
  );

/** The name admins see for an option: its chat name if it has one, else its CLI flag. */
function label(spec: OptionSpec): string {
  return spec.chat ?? spec.flag;
}

type SettingKey = { key: string; label: string } | { error: string };

function resolveSettingKey(name: string): SettingKey {
  const limit = findLimitKey(name);
  if (limit) return { key: limit, label: limit };
  const library = findLibraryKey(name);
  if (library) return { key: library, label: LIBRARY_LABELS[library] };
  const spec = findOptionSpec(name);
  if (!spec) return { error: `Unknown option "${name}". Pick one from the list.` };
  if (!spec.admin) return { error: `"${label(spec)}" cannot have a server default; users set it per job.` };
  return { key: spec.key, label: label(spec) };
}

function formatValue(v: unknown): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}

export function settingsSummary(s: WorkspaceSettings): string {
  const defaults = ADMIN_OPTION_SPECS.filter((spec) => s.defaults[spec.key] !== undefined).map(
    (spec) => `• ${label(spec)} = ${formatValue(s.defaults[spec.key])}`,
  );
  const limits = LIMIT_KEYS.filter((k) => s.limits[k] !== undefined).map((k) => `• ${k} = ${s.limits[k]} (${LIMIT_DESCRIPTIONS[k]})`);
  const library = LIBRARY_KEYS.filter((k) => s.library[k] !== undefined).map((k) => `• ${LIBRARY_LABELS[k]} = ${formatValue(s.library[k]) || 'none'}`);
  return [
    '**Defaults**',
    ...(defaults.length ? defaults : ['• none: built-in defaults apply']),
    '**Limits**',
    ...(limits.length ? limits : ["• none: the bot's global limits apply"]),
    '**Style library**',
    ...(library.length ? library : ['• everyone may save styles; every built-in style is offered']),
  ].join('\n');
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void> {
  if (!interaction.inGuild()) return refuse(interaction, '/stylize-config only works in a server.');
  if (!interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) {
    return refuse(interaction, 'You need the Manage Server permission to change stylize settings.');
  }
  const settings = ctx.jobs.settings;
  const guildId = interaction.guildId;
  const sub = interaction.options.getSubcommand();

  if (sub === 'show') return answerPrivately(interaction, settingsSummary(settings.get('discord', guildId)));

  const optionName = interaction.options.getString('option', sub === 'set');
  if (sub === 'reset' && !optionName) {
    settings.reset('discord', guildId);
    return answerPrivately(interaction, 'All stylize settings of this server are back to the defaults.');
  }
  const resolved = resolveSettingKey(optionName!);
  if ('error' in resolved) return refuse(interaction, resolved.error);

  if (sub === 'reset') {
    settings.reset('discord', guildId, resolved.key);
    return answerPrivately(interaction, `\`${resolved.label}\` is back to the default.`);
  }
  const value = interaction.options.getString('value', true);
  try {
    settings.set('discord', guildId, resolved.key, value);
  } catch (e) {
    return refuse(interaction, (e as Error).message);
  }
  const stored = settings.get('discord', guildId);
  const now =
    (stored.defaults as Record<string, unknown>)[resolved.key] ?? (stored.limits as Record<string, unknown>)[resolved.key] ?? (stored.library as Record<string, unknown>)[resolved.key];
  return answerPrivately(interaction, `\`${resolved.label}\` is now \`${formatValue(now ?? value) || 'none'}\` for this server.`);
}

function matches(text: string, query: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  return norm(text).includes(norm(query));
}

function choice(name: string, value: string): ApplicationCommandOptionChoiceData<string> {
  return { name: name.length <= 100 ? name : `${name.slice(0, 99)}…`, value };
}

/** hidden_styles takes a list of built-ins: the last name is completed, the ones before it kept. */
function hiddenStylesChoices(typed: string): ApplicationCommandOptionChoiceData<string>[] {
  const words = typed.toLowerCase().split(/[\s,]+/);
  const last = words.pop() ?? '';
  const before = words.filter(Boolean);
  const names = BUILTIN_STYLE_NAMES.filter((n) => !before.includes(n) && n.startsWith(last)).map((n) => [...before, n].join(','));
  return [...names, ...('none'.startsWith(typed.trim().toLowerCase()) ? ['none'] : [])].map((c) => choice(c, c));
}

export async function autocomplete(interaction: AutocompleteInteraction): Promise<void> {
  const focused = interaction.options.getFocused(true);
  const typed = String(focused.value);
  let choices: ApplicationCommandOptionChoiceData<string>[] = [];
  if (focused.name === 'option') {
    choices = [
      ...ADMIN_OPTION_SPECS.map((s) => choice(`${label(s)} — ${s.description}`, label(s))),
      ...LIMIT_KEYS.map((k) => choice(`${k} — limit: ${LIMIT_DESCRIPTIONS[k]}`, k)),
      ...LIBRARY_KEYS.map((k) => choice(`${LIBRARY_LABELS[k]} — ${describeLibrarySetting(k)}`, LIBRARY_LABELS[k])),
    ].filter((c) => matches(c.name, typed));
  } else if (focused.name === 'value') {
    const option = interaction.options.getString('option') ?? '';
    const spec = findOptionSpec(option);
    const library = findLibraryKey(option);
    const fixed = library === 'styleSavers' ? ['everyone', 'admins'] : spec?.kind === 'boolean' ? ['true', 'false'] : spec?.choices ? chatChoices(spec) : [];
    if (library === 'hiddenStyles') choices = hiddenStylesChoices(typed);
    else choices = fixed.length ? fixed.filter((c) => matches(c, typed)).map((c) => choice(c, c)) : typed ? [choice(typed, typed)] : [];
  }
  await interaction.respond(choices.slice(0, 25));
}
