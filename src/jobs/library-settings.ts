// The style-library settings an admin keeps per workspace beside the defaults and limits: who may
// save styles, and which built-in paintings the workspace does not offer. Checked on write, so a
// stored value is always one the library reads as it is.
import { normalizeName } from '../option-names.ts';
import { OptionsError } from '../options.ts';
import { BUILTIN_STYLE_NAMES } from '../styles/index.ts';
import type { LibrarySettings, StyleSavers } from './types.ts';

export const LIBRARY_KEYS = ['styleSavers', 'hiddenStyles'] as const satisfies readonly (keyof LibrarySettings)[];
export type LibraryKey = (typeof LIBRARY_KEYS)[number];

export const STYLE_SAVERS: readonly StyleSavers[] = ['everyone', 'admins'];

/** The names admins type for them in chat. */
export const LIBRARY_LABELS: Record<LibraryKey, string> = { styleSavers: 'style_savers', hiddenStyles: 'hidden_styles' };

const DESCRIPTION: Record<LibraryKey, string> = {
  styleSavers: 'who may save styles: everyone (default) or admins',
  hiddenStyles: `built-in styles this workspace does not offer, e.g. scream,shipwreck (of ${BUILTIN_STYLE_NAMES.join(', ')}); "none" shows them all`,
};

export function isLibraryKey(key: string): key is LibraryKey {
  return (LIBRARY_KEYS as readonly string[]).includes(key);
}

/** Accepts any spelling: "style_savers", "styleSavers", "hidden-styles". */
export function findLibraryKey(name: string): LibraryKey | undefined {
  const n = normalizeName(name);
  return LIBRARY_KEYS.find((k) => normalizeName(k) === n);
}

export function describeLibrarySetting(key: LibraryKey): string {
  return DESCRIPTION[key];
}

/** Validates a value; throws OptionsError with a one-line message. */
export function parseLibrarySetting(key: LibraryKey, value: unknown): StyleSavers | string[] {
  if (key === 'styleSavers') {
    const v = String(value).trim().toLowerCase();
    if (!(STYLE_SAVERS as readonly string[]).includes(v)) throw new OptionsError(`style_savers: got ${JSON.stringify(value)}, expected everyone or admins`);
    return v as StyleSavers;
  }
  const words = Array.isArray(value) ? value.map(String) : String(value).split(/[\s,]+/);
  const names = words.map((w) => w.trim().toLowerCase()).filter((w) => w && w !== 'none');
  for (const n of names) {
    if (!BUILTIN_STYLE_NAMES.includes(n)) throw new OptionsError(`hidden_styles: "${n}" is not a built-in style; the built-ins are ${BUILTIN_STYLE_NAMES.join(', ')}`);
  }
  return [...new Set(names)];
}
