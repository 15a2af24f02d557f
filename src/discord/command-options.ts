// Slash-command options generated from the one options schema (CHAT_OPTION_SPECS): names, choices
// and ranges come from the specs, so a new chat option appears in Discord without touching this file.
import type { ChatInputCommandInteraction, SlashCommandBuilder, SlashCommandOptionsOnlyBuilder } from 'discord.js';
import { CHAT_OPTION_SPECS } from '../chat/chat-options.ts';
import { OptionsError, parseOption, type OptionSpec, type OptionsInput, type StyleOptions } from '../options.ts';

/** Choices chat cannot honour: init=image needs an init-image upload, which chat does not offer. */
const UNAVAILABLE_CHOICES: Partial<Record<keyof StyleOptions, readonly string[]>> = { init: ['image'] };

export function chatChoices(spec: OptionSpec): string[] {
  const hidden = UNAVAILABLE_CHOICES[spec.key] ?? [];
  return (spec.choices ?? []).filter((c) => !hidden.includes(c));
}

/** Options Discord completes as they are typed (the command's autocomplete handler answers). */
export const AUTOCOMPLETED: readonly (keyof StyleOptions)[] = ['styleName'];

function describe(spec: OptionSpec): string {
  return spec.description.length <= 100 ? spec.description : `${spec.description.slice(0, 99)}…`;
}

type Builder = SlashCommandBuilder | SlashCommandOptionsOnlyBuilder;

/** Adds one option per chat option spec (or only those keys), after whatever the builder already has. */
export function addChatOptions<B extends Builder>(builder: B, only?: readonly (keyof StyleOptions)[]): SlashCommandOptionsOnlyBuilder {
  let b: SlashCommandOptionsOnlyBuilder = builder;
  for (const spec of CHAT_OPTION_SPECS) {
    if (only && !only.includes(spec.key)) continue;
    const name = spec.chat!;
    switch (spec.kind) {
      case 'enum':
        b = b.addStringOption((o) =>
          o
            .setName(name)
            .setDescription(describe(spec))
            .addChoices(...chatChoices(spec).map((c) => ({ name: c, value: c }))),
        );
        break;
      case 'int':
        b = b.addIntegerOption((o) => {
          o.setName(name).setDescription(describe(spec));
          if (spec.min !== undefined) o.setMinValue(spec.min);
          if (spec.max !== undefined) o.setMaxValue(spec.max);
          return o;
        });
        break;
      case 'number':
        b = b.addNumberOption((o) => {
          o.setName(name).setDescription(describe(spec));
          if (spec.min !== undefined) o.setMinValue(spec.min);
          if (spec.max !== undefined) o.setMaxValue(spec.max);
          return o;
        });
        break;
      case 'boolean':
        b = b.addBooleanOption((o) => o.setName(name).setDescription(describe(spec)));
        break;
      default:
        b = b.addStringOption((o) => o.setName(name).setDescription(describe(spec)).setAutocomplete(AUTOCOMPLETED.includes(spec.key)));
    }
  }
  return b;
}

/**
 * The user's explicit options, each checked by the schema (Discord enforces the ranges too, but a
 * hand-crafted request need not). Throws OptionsError with a one-line message.
 */
export function readChatOptions(interaction: Pick<ChatInputCommandInteraction, 'options'>): OptionsInput {
  const out: Record<string, unknown> = {};
  for (const spec of CHAT_OPTION_SPECS) {
    const value = interaction.options.get(spec.chat!)?.value;
    if (value === undefined || value === null) continue;
    if (spec.choices && !chatChoices(spec).includes(String(value))) {
      throw new OptionsError(`${spec.chat}: "${String(value)}" is not available in chat; use one of ${chatChoices(spec).join(', ')}`);
    }
    out[spec.key] = parseOption(spec.key, value);
  }
  return out as OptionsInput;
}
