// The saved styles of every chat workspace, over the SQLite database (table saved_styles, schema 4).
// Kept until someone removes them: the job retention sweep never looks at this table.
import type { Db } from './db.ts';
import type { Platform } from './types.ts';

export interface SavedStyleRow {
  name: string;
  savedBy: string;
  savedAt: number;
  width: number;
  height: number;
}

export interface NewSavedStyle extends SavedStyleRow {
  image: Buffer;
}

export class SavedStyleStore {
  private readonly selectAll;
  private readonly selectOne;
  private readonly selectImage;
  private readonly countAll;
  private readonly upsert;
  private readonly deleteOne;

  constructor(db: Db) {
    this.selectAll = db.prepare<[string, string], { name: string; saved_by: string; saved_at: number; width: number; height: number }>(
      'SELECT name, saved_by, saved_at, width, height FROM saved_styles WHERE platform = ? AND workspace_id = ? ORDER BY name',
    );
    this.selectOne = db.prepare<[string, string, string], { name: string; saved_by: string; saved_at: number; width: number; height: number }>(
      'SELECT name, saved_by, saved_at, width, height FROM saved_styles WHERE platform = ? AND workspace_id = ? AND name = ?',
    );
    this.selectImage = db.prepare<[string, string, string], { image: Buffer }>('SELECT image FROM saved_styles WHERE platform = ? AND workspace_id = ? AND name = ?');
    this.countAll = db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM saved_styles WHERE platform = ? AND workspace_id = ?');
    this.upsert = db.prepare(
      `INSERT INTO saved_styles (platform, workspace_id, name, saved_by, saved_at, image, width, height) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (platform, workspace_id, name) DO UPDATE SET saved_by = excluded.saved_by, saved_at = excluded.saved_at,
         image = excluded.image, width = excluded.width, height = excluded.height`,
    );
    this.deleteOne = db.prepare('DELETE FROM saved_styles WHERE platform = ? AND workspace_id = ? AND name = ?');
  }

  /** The workspace's saved styles, by name. */
  list(platform: Platform, workspaceId: string): SavedStyleRow[] {
    return this.selectAll.all(platform, workspaceId).map((r) => ({ name: r.name, savedBy: r.saved_by, savedAt: r.saved_at, width: r.width, height: r.height }));
  }

  get(platform: Platform, workspaceId: string, name: string): SavedStyleRow | undefined {
    const r = this.selectOne.get(platform, workspaceId, name);
    return r && { name: r.name, savedBy: r.saved_by, savedAt: r.saved_at, width: r.width, height: r.height };
  }

  image(platform: Platform, workspaceId: string, name: string): Buffer | undefined {
    return this.selectImage.get(platform, workspaceId, name)?.image;
  }

  count(platform: Platform, workspaceId: string): number {
    return this.countAll.get(platform, workspaceId)?.n ?? 0;
  }

  /** Inserts or replaces the style of that name. */
  put(platform: Platform, workspaceId: string, s: NewSavedStyle): void {
    this.upsert.run(platform, workspaceId, s.name, s.savedBy, s.savedAt, s.image, s.width, s.height);
  }

  remove(platform: Platform, workspaceId: string, name: string): boolean {
    return this.deleteOne.run(platform, workspaceId, name).changes > 0;
  }
}
