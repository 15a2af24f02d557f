// `/stylize-config show | set <option> <value> | reset [option]`: per-workspace defaults and limits,
// stored through the job service's SettingsStore (which validates through the options schema).
// Returns the reply text; never throws for bad input.
import { ADMIN_OPTION_SPECS } from '../chat/chat-options.ts';
import { LIBRARY_KEYS, LIBRARY_LABELS, findLibraryKey } from '../jobs/library-settings.ts';
import { LIMIT_KEYS, findLimitKey } from '../jobs/limits.ts';
import { findOptionSpec } from '../option-names.ts';
import type { SettingsStore } from '../jobs/types.ts';
import { OptionsError } from '../options.ts';

export const CONFIG_USAGE =
  'Usage: `/stylize-config show` · `/stylize-config set <option> <value>` · `/stylize-config reset [option]`';

function settingNames(): string {
  const options = ADMIN_OPTION_SPECS.map((s) => s.chat ?? s.flag).join(', ');
  return `Options: ${options}.\nLimits: ${LIMIT_KEYS.join(', ')}.\nStyle library: ${LIBRARY_KEYS.map((k) => LIBRARY_LABELS[k]).join(', ')}.`;
}

function show(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** Option key (admin: true) or limit key for a name as users type it. */
function resolveKey(name: string): { key: string; label: string } | { error: string } {
  const spec = findOptionSpec(name);
  if (spec) {
    if (!spec.admin) return { error: `"${name}" cannot have a workspace default (it is per request).` };
    return { key: spec.key, label: spec.chat ?? spec.flag };
  }
  const limit = findLimitKey(name);
  if (limit) return { key: limit, label: limit };
  const library = findLibraryKey(name);
  if (library) return { key: library, label: LIBRARY_LABELS[library] };
  return { error: `unknown setting "${name}".\n${settingNames()}` };
}

function showSettings(store: SettingsStore, teamId: string): string {
  const s = store.get('slack', teamId);
  const defaults = Object.entries(s.defaults).filter(([, v]) => v !== undefined);
  const limits = Object.entries(s.limits).filter(([, v]) => v !== undefined);
  const library = LIBRARY_KEYS.filter((k) => s.library[k] !== undefined).map((k) => `${LIBRARY_LABELS[k]} = ${show(s.library[k]) || 'none'}`);
  const lines = [
    defaults.length ? `Workspace defaults: ${defaults.map(([k, v]) => `${findOptionSpec(k)?.chat ?? findOptionSpec(k)?.flag ?? k} = ${show(v)}`).join(' · ')}` : 'Workspace defaults: none (built-in defaults apply).',
    limits.length ? `Workspace limits: ${limits.map(([k, v]) => `${k} = ${show(v)}`).join(' · ')}` : 'Workspace limits: none (server limits apply).',
    library.length ? `Style library: ${library.join(' · ')}` : 'Style library: everyone may save styles; every built-in is offered.',
    settingNames(),
  ];
  return lines.join('\n');
}

export function runConfigCommand(store: SettingsStore, teamId: string, text: string): string {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const sub = (words[0] ?? 'show').toLowerCase();
  try {
    if (sub === 'show') return showSettings(store, teamId);
    if (sub === 'set') {
      const name = words[1];
      const value = words.slice(2).join(' ');
      if (!name || value === '') return `\`set\` needs an option and a value, e.g. \`/stylize-config set steps 200\`.\n${CONFIG_USAGE}`;
      const key = resolveKey(name);
      if ('error' in key) return `Cannot set: ${key.error}`;
      // Limits are numbers; anything else is passed as typed so the store refuses it with its message.
      const isLimit = (LIMIT_KEYS as readonly string[]).includes(key.key);
      store.set('slack', teamId, key.key, isLimit && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value);
      const s = store.get('slack', teamId);
      const stored = isLimit ? (s.limits as Record<string, unknown>)[key.key] : ((s.defaults as Record<string, unknown>)[key.key] ?? (s.library as Record<string, unknown>)[key.key]);
      return `Set ${key.label} = ${show(stored ?? value) || 'none'} for this workspace.`;
    }
    if (sub === 'reset') {
      const name = words[1];
      if (!name) {
        store.reset('slack', teamId);
        return 'Reset every workspace setting: built-in defaults and server limits apply.';
      }
      const key = resolveKey(name);
      if ('error' in key) return `Cannot reset: ${key.error}`;
      store.reset('slack', teamId, key.key);
      return `Reset ${key.label} to the default.`;
    }
    return `Unknown subcommand "${words[0]}".\n${CONFIG_USAGE}`;
  } catch (e) {
    if (e instanceof OptionsError) return `Cannot ${sub}: ${e.message}`;
    return `Cannot ${sub}: ${(e as Error).message}`;
  }
}
