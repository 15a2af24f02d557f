// Chat-side views of the one options schema: which options users see, which ones admins may set, and
// how free words in a message ("texture steps=300") become options.
import { findOptionSpec } from '../option-names.ts';
import { MODES, OPTION_SPECS, OptionsError, PRESETS, optionSpec, parseOption, type OptionSpec, type OptionsInput, type StyleOptions } from '../options.ts';

/**
 * Options offered in slash commands / the modal (those with a chat name). Old names (aliasOf) are
 * not offered; typed in a message or a config command they still work (parseOptionWords, the settings store).
 */
export const CHAT_OPTION_SPECS: readonly OptionSpec[] = OPTION_SPECS.filter((s) => s.chat && !s.aliasOf);

/** Options an admin may store defaults for (offered under their current names only). */
export const ADMIN_OPTION_SPECS: readonly OptionSpec[] = OPTION_SPECS.filter((s) => s.admin && !s.aliasOf);

/** Short words a message may use for an option: `style=starry-night:3,scream` names library styles. */
const WORD_ALIASES: Readonly<Record<string, keyof StyleOptions>> = { style: 'styleName' };

/**
 * Parses "texture steps=300 size=512 preset=seed" style words. A bare mode or preset name selects it,
 * the bare word `grid` asks for a strength grid;
 * every key=value goes through the schema. Throws OptionsError with a one-line message.
 */
export function parseOptionWords(text: string): OptionsInput {
  const out: Record<string, unknown> = {};
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const eq = word.indexOf('=');
    if (eq < 0) {
      const w = word.toLowerCase();
      if ((MODES as readonly string[]).includes(w)) out.mode = w;
      else if ((PRESETS as readonly string[]).includes(w)) out.preset = w;
      else if (w === 'grid') out.grid = true;
      continue; // other words are just conversation ("please", "@bot")
    }
    const name = word.slice(0, eq);
    const value = word.slice(eq + 1);
    const alias = WORD_ALIASES[name.toLowerCase()];
    const spec = alias ? optionSpec(alias) : findOptionSpec(name);
    if (!spec) throw new OptionsError(`unknown option "${name}"`);
    out[spec.key] = parseOption(spec.key, value);
  }
  return out;
}
