// Per-workspace settings: admin defaults (options with admin: true) and limits, validated on write
// by the one options schema, so a stored value is always one resolveOptions accepts.
import { findOptionSpec } from '../option-names.ts';
import { OptionsError, parseOptionsInput, type StyleOptions } from '../options.ts';
import type { Db } from './db.ts';
import { findLibraryKey, isLibraryKey, parseLibrarySetting, type LibraryKey } from './library-settings.ts';
import { findLimitKey, isLimitKey, parseLimit } from './limits.ts';
import type { Limits, Platform, SettingsStore, WorkspaceSettings } from './types.ts';

type SettingKey =
  | { kind: 'limit'; key: keyof Limits }
  /** key: where it is stored (an old name's option: original_colors is stored as colors); given: the option named. */
  | { kind: 'option'; key: keyof StyleOptions; given: keyof StyleOptions }
  | { kind: 'library'; key: LibraryKey };

/** Resolves a setting name (option key, CLI flag, chat name, limit or style-library key) to its canonical key. */
function canonicalKey(key: string): SettingKey {
  if (isLimitKey(key)) return { kind: 'limit', key };
  const limit = findLimitKey(key);
  if (limit) return { kind: 'limit', key: limit };
  const library = findLibraryKey(key);
  if (library) return { kind: 'library', key: library };
  const spec = findOptionSpec(key);
  if (!spec) {
    throw new OptionsError(
      `unknown setting "${key}": use an option name (steps, size, preset, …), a limit (maxUserJobs, maxQueue, maxSteps, maxSize, jobTimeoutSec, maxStyles) or style_savers, hidden_styles`,
    );
  }
  if (!spec.admin) throw new OptionsError(`${spec.flag} cannot have a workspace default: each user sets it per job`);
  return { kind: 'option', key: spec.aliasOf ?? spec.key, given: spec.key };
}

export class SqliteSettingsStore implements SettingsStore {
  private readonly selectAll;
  private readonly upsert;
  private readonly deleteOne;
  private readonly deleteAll;

  constructor(
    db: Db,
    private readonly ceilings: () => Limits,
  ) {
    this.selectAll = db.prepare<[string, string], { key: string; value_json: string }>(
      'SELECT key, value_json FROM settings WHERE platform = ? AND workspace_id = ?',
    );
    this.upsert = db.prepare(
      `INSERT INTO settings (platform, workspace_id, key, value_json, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (platform, workspace_id, key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at`,
    );
    this.deleteOne = db.prepare('DELETE FROM settings WHERE platform = ? AND workspace_id = ? AND key = ?');
    this.deleteAll = db.prepare('DELETE FROM settings WHERE platform = ? AND workspace_id = ?');
  }

  get(platform: Platform, workspaceId: string): WorkspaceSettings {
    const out: WorkspaceSettings = { defaults: {}, limits: {}, library: {} };
    for (const row of this.selectAll.all(platform, workspaceId)) {
      const value = JSON.parse(row.value_json) as unknown;
      if (isLimitKey(row.key)) out.limits[row.key] = value as number;
      else if (isLibraryKey(row.key)) (out.library as Record<string, unknown>)[row.key] = value;
      else (out.defaults as Record<string, unknown>)[row.key] = value;
    }
    return out;
  }

  set(platform: Platform, workspaceId: string, key: string, value: unknown): void {
    const k = canonicalKey(key);
    // An old name is folded into the option it names (original_colors true → colors keep) by the schema.
    const parsed =
      k.kind === 'limit' ? parseLimit(k.key, value, this.ceilings()) : k.kind === 'library' ? parseLibrarySetting(k.key, value) : parseOptionsInput({ [k.given]: value })[k.key];
    this.upsert.run(platform, workspaceId, k.key, JSON.stringify(parsed), Date.now());
  }

  reset(platform: Platform, workspaceId: string, key?: string): void {
    if (key === undefined) {
      this.deleteAll.run(platform, workspaceId);
      return;
    }
    this.deleteOne.run(platform, workspaceId, canonicalKey(key).key);
  }
}
