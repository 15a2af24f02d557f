// Workspace admin checks (users.info: is_admin || is_owner). Cached briefly: a burst of reactions
// or config commands should not each cost an API call.
import type { webApi } from '@slack/bolt';

const TTL_MS = 60_000;

export class AdminChecker {
  private readonly cache = new Map<string, { admin: boolean; at: number }>();

  constructor(private readonly ttlMs = TTL_MS) {}

  /** Throws when users.info fails: callers tell the user the check could not be made. */
  async isAdmin(client: webApi.WebClient, userId: string): Promise<boolean> {
    const hit = this.cache.get(userId);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.admin;
    const res = await client.users.info({ user: userId });
    const u = res.user;
    const admin = Boolean(u && (u.is_admin || u.is_owner || u.is_primary_owner));
    this.cache.set(userId, { admin, at: Date.now() });
    return admin;
  }
}
