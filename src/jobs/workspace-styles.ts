// The style library of each chat workspace (StyleLibraryService): the built-in paintings, minus the
// ones an admin hid, and the styles saved there, which are checked, re-encoded and kept in SQLite.
// A job naming styles is given their images at submit time from workspaceLibrary(): reads are
// synchronous (SQLite, and the built-ins' few hundred KB kept in memory once read), so submit stays
// one quick synchronous call.
import { readFileSync } from 'node:fs';
import { styleContactSheet } from '../styles/contact-sheet.ts';
import { BUILTIN_STYLE_NAMES, findBuiltinStyle, STYLE_NAME_MAX_LENGTH, StyleNameError, validateStyleName, type StyleLibrary } from '../styles/index.ts';
import { Refusal } from './job-rules.ts';
import { effectiveLimits } from './limits.ts';
import type { Db } from './db.ts';
import { SavedStyleStore } from './saved-style-store.ts';
import { encodeStyleImage } from './style-image.ts';
import type { Actor, LibraryEntry, Limits, Platform, SettingsStore, StyleLibraryService, StyleRemoveResult, StyleSaveResult } from './types.ts';

const builtinBytes = new Map<string, Buffer>();

function readBuiltinSync(name: string): Buffer | undefined {
  const style = findBuiltinStyle(name);
  if (!style) return undefined;
  let bytes = builtinBytes.get(name);
  if (!bytes) {
    bytes = readFileSync(style.file);
    builtinBytes.set(name, bytes);
  }
  return bytes;
}

/** A workspace's library as src/styles sees one, plus the synchronous reads submit uses. */
export interface WorkspaceLibrary extends StyleLibrary {
  namesSync(): string[];
  readSync(name: string): Buffer | undefined;
}

export class WorkspaceStyles implements StyleLibraryService {
  constructor(
    private readonly store: SavedStyleStore,
    private readonly settings: SettingsStore,
    private readonly ceilings: () => Limits,
  ) {}

  static open(db: Db, settings: SettingsStore, ceilings: () => Limits): WorkspaceStyles {
    return new WorkspaceStyles(new SavedStyleStore(db), settings, ceilings);
  }

  entries(platform: Platform, workspaceId: string): LibraryEntry[] {
    const hidden = new Set(this.settings.get(platform, workspaceId).library.hiddenStyles ?? []);
    const saved = this.store.list(platform, workspaceId);
    const savedNames = new Set(saved.map((s) => s.name));
    const builtins: LibraryEntry[] = BUILTIN_STYLE_NAMES.filter((n) => !hidden.has(n) && !savedNames.has(n)).map((name) => ({ name, source: 'builtin' }));
    return [...builtins, ...saved.map((s): LibraryEntry => ({ name: s.name, source: 'saved', savedBy: s.savedBy, savedAt: s.savedAt }))];
  }

  library(platform: Platform, workspaceId: string): WorkspaceLibrary {
    const namesSync = () => this.entries(platform, workspaceId).map((e) => e.name);
    const readSync = (name: string) => {
      const entry = this.entries(platform, workspaceId).find((e) => e.name === name);
      if (!entry) return undefined;
      return entry.source === 'saved' ? this.store.image(platform, workspaceId, name) : readBuiltinSync(name);
    };
    return { namesSync, readSync, names: async () => namesSync(), read: async (name) => readSync(name) };
  }

  async save(platform: Platform, workspaceId: string, rawName: string, image: Buffer, by: Actor): Promise<StyleSaveResult> {
    try {
      const name = validateStyleName(rawName.trim());
      this.checkMaySave(platform, workspaceId, name, by);
      const encoded = await encodeStyleImage(image);
      // Checked again after the await: another save may have taken the name or the last place.
      const replaced = this.checkMaySave(platform, workspaceId, name, by);
      const savedAt = Date.now();
      this.store.put(platform, workspaceId, { name, savedBy: by.userId, savedAt, ...encoded });
      return { ok: true, entry: { name, source: 'saved', savedBy: by.userId, savedAt }, replaced };
    } catch (e) {
      if (e instanceof Refusal || e instanceof StyleNameError) return { ok: false, reason: (e as Error).message };
      throw e;
    }
  }

  remove(platform: Platform, workspaceId: string, rawName: string, by: Actor): StyleRemoveResult {
    const name = rawName.trim();
    const saved = this.store.get(platform, workspaceId, name);
    if (!saved) {
      if (findBuiltinStyle(name)) return { ok: false, reason: `"${name}" is a built-in style: an admin can hide it (setting hidden_styles) rather than remove it` };
      return { ok: false, reason: `there is no saved style "${name.slice(0, STYLE_NAME_MAX_LENGTH + 8)}" in this workspace` };
    }
    if (saved.savedBy !== by.userId && !by.isAdmin) return { ok: false, reason: `only the person who saved "${name}" or an admin can remove it` };
    this.store.remove(platform, workspaceId, name);
    return { ok: true };
  }

  async contactSheet(platform: Platform, workspaceId: string): Promise<Buffer | undefined> {
    const lib = this.library(platform, workspaceId);
    const entries = this.entries(platform, workspaceId);
    const styles = entries.flatMap((e) => {
      const image = lib.readSync(e.name);
      return image ? [{ name: e.name, note: e.source === 'builtin' ? 'built-in' : 'saved', image }] : [];
    });
    const sheet = await styleContactSheet(styles, `style library · ${styles.length} style${styles.length === 1 ? '' : 's'}`);
    return sheet?.png;
  }

  /** Throws Refusal when `by` may not save `name` now; true when it replaces their own saved style. */
  private checkMaySave(platform: Platform, workspaceId: string, name: string, by: Actor): boolean {
    const ws = this.settings.get(platform, workspaceId);
    if (ws.library.styleSavers === 'admins' && !by.isAdmin) throw new Refusal('only admins may save styles in this workspace (setting style_savers)');
    const existing = this.store.get(platform, workspaceId, name);
    if (existing) {
      if (existing.savedBy !== by.userId) throw new Refusal(`there is already a style "${name}", saved by someone else: pick another name`);
      return true;
    }
    if (findBuiltinStyle(name) && !by.isAdmin) throw new Refusal(`"${name}" is a built-in style: pick another name (only an admin may save over a built-in)`);
    const limit = effectiveLimits(this.ceilings(), ws.limits).maxStyles;
    const count = this.store.count(platform, workspaceId);
    if (count >= limit) {
      throw new Refusal(
        limit === 0
          ? 'saving styles is turned off in this workspace (maxStyles 0)'
          : `this workspace's library is full (${count} saved styles, limit ${limit}, maxStyles): remove one first`,
      );
    }
    return false;
  }
}
