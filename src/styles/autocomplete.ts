// Completing a style_name value as it is typed (Discord's autocomplete, a Slack select's filter):
// the last word of a blend is the one being typed, the words before it are kept as written.
import { MAX_BLEND_STYLES } from './style-names.ts';

/** Discord's limits: at most 25 choices, each value and label at most 100 characters. */
export const MAX_SUGGESTIONS = 25;
export const MAX_SUGGESTION_LENGTH = 100;

/**
 * Full values for the option, best first: "starry-night:3 scr" → ["starry-night:3 scream", …]. The
 * names starting with what is typed come before those merely containing it; names already in the
 * blend are left out; an empty last word offers every name. A weight being typed ("scream:2")
 * offers that exact value if the name exists.
 */
export function styleNameSuggestions(typed: string, available: readonly string[], limit = MAX_SUGGESTIONS): string[] {
  const words = typed.split(/[\s,]+/);
  const last = (words.pop() ?? '').toLowerCase();
  const before = words.filter(Boolean);
  const prefix = before.length ? `${before.join(' ')} ` : '';
  if (before.length >= MAX_BLEND_STYLES) return [];
  const used = new Set(before.map((w) => w.split(':')[0]));
  const colon = last.indexOf(':');
  if (colon >= 0) {
    const name = last.slice(0, colon);
    return available.includes(name) && !used.has(name) ? [`${prefix}${last}`].filter((v) => v.length <= MAX_SUGGESTION_LENGTH) : [];
  }
  const free = available.filter((n) => !used.has(n));
  const starting = free.filter((n) => n.startsWith(last));
  const containing = free.filter((n) => !n.startsWith(last) && n.includes(last));
  return [...starting, ...containing]
    .map((n) => `${prefix}${n}`)
    .filter((v) => v.length <= MAX_SUGGESTION_LENGTH)
    .slice(0, limit);
}
