// Chat-side views of the one options schema: which options users see, how admins name them, and
// how free words in a message ("texture steps=300") become options.
import { MODES, OPTION_SPECS, OptionsError, PRESETS, parseOption, type OptionSpec, type OptionsInput } from '../options.ts';

export const LIMIT_KEYS = ['maxUserJobs', 'maxQueue', 'maxSteps', 'maxSize', 'jobTimeoutSec'] as const;

/** Options offered in slash commands / the modal (those with a chat name). */
export const CHAT_OPTION_SPECS: readonly OptionSpec[] = OPTION_SPECS.filter((s) => s.chat);

/** Options an admin may store defaults for. */
export const ADMIN_OPTION_SPECS: readonly OptionSpec[] = OPTION_SPECS.filter((s) => s.admin);

function norm(s: string): string {
  return s.toLowerCase().replace(/[-_\s]/g, '');
}

/** Accepts the chat name, the CLI flag or the key ("strength", "style-weight", "styleWeight"). */
export function findOptionSpec(name: string): OptionSpec | undefined {
  const n = norm(name);
  return OPTION_SPECS.find((s) => norm(s.key) === n || norm(s.flag) === n || (s.chat !== undefined && norm(s.chat) === n));
}

export function findLimitKey(name: string): (typeof LIMIT_KEYS)[number] | undefined {
  const n = norm(name);
  return LIMIT_KEYS.find((k) => norm(k) === n);
}

/**
 * Parses "texture steps=300 size=512 preset=seed" style words. A bare mode or preset name selects it;
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
      continue; // other words are just conversation ("please", "@bot")
    }
    const name = word.slice(0, eq);
    const value = word.slice(eq + 1);
    const spec = findOptionSpec(name);
    if (!spec) throw new OptionsError(`unknown option "${name}"`);
    out[spec.key] = parseOption(spec.key, value);
  }
  return out;
}
