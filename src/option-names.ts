// Finding an option of the one schema (src/options.ts) by any of the names people type: the job
// service's settings store and the chat adapters accept the same spellings.
import { OPTION_SPECS, type OptionSpec } from './options.ts';

/** "style-weight", "Style_Weight" and "styleweight" are one name. */
export function normalizeName(s: string): string {
  return s.toLowerCase().replace(/[-_\s]/g, '');
}

/** Accepts the chat name, the CLI flag or the key ("strength", "style-weight", "styleWeight"). */
export function findOptionSpec(name: string): OptionSpec | undefined {
  const n = normalizeName(name);
  return OPTION_SPECS.find((s) => normalizeName(s.key) === n || normalizeName(s.flag) === n || (s.chat !== undefined && normalizeName(s.chat) === n));
}
