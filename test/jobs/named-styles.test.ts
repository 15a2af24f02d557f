// Jobs that name library styles, and the library's storage, on a real database. No engine runs:
// names are resolved when a job is submitted, and that is what these tests look at.
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJobService } from '../../src/jobs/create-job-service.ts';
import { SCHEMA_VERSION } from '../../src/jobs/db.ts';
import type { JobCoordinator } from '../../src/jobs/job-coordinator.ts';
import { readBuiltinStyle } from '../../src/styles/index.ts';
import { makePng, owner, tempDir } from './helpers.ts';

let tmp: ReturnType<typeof tempDir>;
let svc: JobCoordinator;
const open = () => createJobService({ dataDir: tmp.dir, weightsPath: '/nonexistent' });
const ALICE = { userId: 'alice', isAdmin: false };

beforeEach(() => {
  tmp = tempDir('named-styles');
  svc = open();
});
afterEach(async () => {
  await svc.stop();
  tmp.remove();
});

function withDb<T>(f: (db: Database.Database) => T): T {
  const db = new Database(path.join(tmp.dir, 'stylize.db'), { readonly: true });
  try {
    return f(db);
  } finally {
    db.close();
  }
}

function styleInputs(jobId: string): Buffer[] {
  return withDb((db) => db.prepare<[string], { data: Buffer }>("SELECT data FROM job_inputs WHERE job_id = ? AND role = 'style' ORDER BY idx").all(jobId).map((r) => r.data));
}

describe('jobs naming library styles', () => {
  it('stores the attachment first, then the named images, with weights in that order', async () => {
    const waves = await makePng(40, 20, 3);
    expect((await svc.styles.save('discord', 'g1', 'waves', waves, ALICE)).ok).toBe(true);
    const content = await makePng(16, 16, 1);
    const attached = await makePng(16, 16, 2);
    const r = svc.submit({ owner: owner('u1'), inputs: { content, styles: [attached] }, options: { styleName: 'scream:2 waves', size: 16, steps: 1 } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.job.options.styleName).toEqual([{ name: 'scream', weight: 2 }, { name: 'waves', weight: 1 }]);
    expect(r.job.options.styleBlend).toEqual([1, 2, 1]);
    const stored = styleInputs(r.job.id);
    expect(stored).toHaveLength(3);
    expect(stored[0].equals(attached)).toBe(true);
    expect(stored[1].equals((await readBuiltinStyle('scream'))!)).toBe(true);
    // The saved style is the re-encoded image (JPEG, same shape), not the upload.
    expect(await sharp(stored[2]).metadata()).toMatchObject({ format: 'jpeg', width: 40, height: 20 });

    // A re-run takes the parent's stored images; the names are not resolved a second time.
    svc.cancel(r.job.id, { userId: 'u1', isAdmin: false });
    const rerun = svc.rerun(r.job.id, 'texture', owner('u1'));
    expect(rerun.ok).toBe(true);
    if (!rerun.ok) return;
    expect(rerun.job.options.styleBlend).toEqual([1, 2, 1]);
    expect(styleInputs(rerun.job.id).map((b) => b.toString('base64'))).toEqual(stored.map((b) => b.toString('base64')));
  });

  it('a name alone is a style; unknown, hidden and malformed names are refused with the reason', async () => {
    const content = await makePng(16, 16, 1);
    const byName = svc.submit({ owner: owner('u1'), inputs: { content, styles: [] }, options: { styleName: 'starry-night', size: 16, steps: 1 } });
    expect(byName.ok && byName.job.options.styleBlend).toEqual([1]);
    const submit = (styleName: string, workspace = 'g1') => svc.submit({ owner: owner('u2', workspace), inputs: { content, styles: [] }, options: { styleName } });
    expect(submit('screm')).toEqual({ ok: false, reason: expect.stringMatching(/^no style "screm" \(did you mean "scream"\?\); available: starry-night, scream/) });
    expect(submit('Starry Night')).toEqual({ ok: false, reason: expect.stringMatching(/style-name: style name "Starry" is not valid/) });
    svc.settings.set('discord', 'g2', 'hidden_styles', 'scream');
    expect(submit('scream', 'g2')).toEqual({ ok: false, reason: expect.stringMatching(/^no style "scream"/) });
    // Another workspace's saved style is not this one's.
    expect((await svc.styles.save('discord', 'g1', 'mine', await makePng(16, 16, 5), ALICE)).ok).toBe(true);
    expect(submit('mine', 'g2')).toEqual({ ok: false, reason: expect.stringMatching(/^no style "mine"/) });
  });
});

describe('the saved-style store', () => {
  it('re-encodes to at most 1024 px, refuses a bad image storing nothing, keeps styles past the retention and a restart', async () => {
    const big = await sharp({ create: { width: 1500, height: 600, channels: 3, background: { r: 200, g: 40, b: 40 } } }).png().toBuffer();
    expect((await svc.styles.save('slack', 'T1', 'red-wall', big, ALICE)).ok).toBe(true);
    const stored = withDb((db) => db.prepare('SELECT width, height, saved_by FROM saved_styles WHERE name = ?').get('red-wall'));
    expect(stored).toEqual({ width: 1024, height: 410, saved_by: 'alice' });

    expect(await svc.styles.save('slack', 'T1', 'junk', Buffer.from('GIF89a but not really'), ALICE)).toEqual({ ok: false, reason: expect.stringMatching(/not a readable image/) });
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    expect(await svc.styles.save('slack', 'T1', 'vector', svg, ALICE)).toEqual({ ok: false, reason: expect.stringMatching(/a svg file/) });
    expect(svc.styles.entries('slack', 'T1').filter((e) => e.source === 'saved').map((e) => e.name)).toEqual(['red-wall']);

    svc.purgeExpired(Date.now() + 10_000 * 3_600_000);
    await svc.stop();
    svc = open();
    expect(svc.styles.entries('slack', 'T1').find((e) => e.name === 'red-wall')).toMatchObject({ source: 'saved', savedBy: 'alice' });
    // A saved style may take a built-in's name only by an admin; it then replaces the built-in.
    expect((await svc.styles.save('slack', 'T1', 'scream', big, ALICE)).ok).toBe(false);
    expect((await svc.styles.save('slack', 'T1', 'scream', big, { userId: 'boss', isAdmin: true })).ok).toBe(true);
    expect(svc.styles.entries('slack', 'T1').filter((e) => e.name === 'scream')).toEqual([expect.objectContaining({ source: 'saved', savedBy: 'boss' })]);
  });

  it('a schema 3 database gains the saved_styles table when opened (schema 4)', async () => {
    await svc.stop();
    const db = new Database(path.join(tmp.dir, 'stylize.db'));
    db.exec('DROP TABLE saved_styles; DROP INDEX jobs_owner;');
    db.pragma('user_version = 3');
    db.close();
    svc = open();
    expect(withDb((d) => d.pragma('user_version', { simple: true }))).toBe(SCHEMA_VERSION);
    expect((await svc.styles.save('discord', 'g1', 'after-upgrade', await makePng(16, 16, 9), ALICE)).ok).toBe(true);
  });
});
