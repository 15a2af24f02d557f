// Per-workspace settings: admin defaults (options with admin: true) and limits, validated on write
// by the one options schema, so a stored value is always one resolveOptions accepts.
import { findOptionSpec } from '../option-names.ts';
import { OptionsError, parseOption, type StyleOptions } from '../options.ts';
import type { Db } from './db.ts';
import { findLimitKey, isLimitKey, parseLimit } from './limits.ts';
import type { Limits, Platform, SettingsStore, WorkspaceSettings } from './types.ts';

/** Resolves a setting name (option key, CLI flag, chat name or limit key) to its canonical key. */
function canonicalKey(key: string): { kind: 'limit'; key: keyof Limits } | { kind: 'option'; key: keyof StyleOptions } {
  if (isLimitKey(key)) return { kind: 'limit', key };
  const limit = findLimitKey(key);
  if (limit) return { kind: 'limit', key: limit };
  const spec = findOptionSpec(key);
  if (!spec) throw new OptionsError(`unknown setting "${key}": use an option name (steps, size, preset, …) or a limit (maxUserJobs, maxQueue, maxSteps, maxSize, jobTimeoutSec)`);
  if (!spec.admin) throw new OptionsError(`${spec.flag} cannot have a workspace default: each user sets it per job`);
  return { kind: 'option', key: spec.key };
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
    const out: WorkspaceSettings = { defaults: {}, limits: {} };
    for (const row of this.selectAll.all(platform, workspaceId)) {
      const value = JSON.parse(row.value_json) as unknown;
      if (isLimitKey(row.key)) out.limits[row.key] = value as number;
      else (out.defaults as Record<string, unknown>)[row.key] = value;
    }
    return out;
  }

  set(platform: Platform, workspaceId: string, key: string, value: unknown): void {
    const k = canonicalKey(key);
    const parsed = k.kind === 'limit' ? parseLimit(k.key, value, this.ceilings()) : parseOption(k.key, value);
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
