// Sheet jobs in the job service: checked and costed at submit, stored with their parameters and
// every input, run by a real engine worker (wasm, random weights, 16 px, a step or two per run),
// resumed after a restart, cancellable, never re-run from reactions.
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planSheet } from '../../src/engine/sheet/plan.ts';
import { createJobService } from '../../src/jobs/create-job-service.ts';
import type { JobCoordinator } from '../../src/jobs/job-coordinator.ts';
import type { JobServiceConfig } from '../../src/jobs/service-config.ts';
import type { JobEvent, JobRecord, JobSpec, SubmitResult } from '../../src/jobs/types.ts';
import { resolveOptions } from '../../src/options.ts';
import { makePng, owner, recordEvents, tempDir, weightsFile } from './helpers.ts';

let tmp: ReturnType<typeof tempDir>;
let weights: string;
let c1: Buffer;
let c2: Buffer;
let s1: Buffer;
let s2: Buffer;

const tiny = { size: 16, steps: 1 };

function job(r: SubmitResult): JobRecord {
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r.job;
}

function reason(r: SubmitResult): string {
  return r.ok ? 'accepted' : r.reason;
}

function progressOf(events: JobEvent[]): { iteration: number; steps: number }[] {
  return events.flatMap((e) => (e.type === 'progress' ? [{ iteration: e.iteration, steps: e.steps }] : []));
}

beforeAll(async () => {
  tmp = tempDir('sheet');
  weights = await weightsFile(tmp.dir);
  [c1, c2, s1, s2] = await Promise.all([makePng(16, 16, 1), makePng(16, 12, 2), makePng(16, 16, 3), makePng(12, 16, 4)]);
});

afterAll(() => tmp?.remove());

describe('submitting a sheet (engines not started)', () => {
  let svc: JobCoordinator;
  let dir: string;
  const open = (extra: Partial<JobServiceConfig> = {}) => createJobService({ dataDir: dir, weightsPath: '/nonexistent', ...extra });
  const sheet = (spec: Omit<JobSpec, 'owner'> & { owner?: JobSpec['owner'] }) => svc.submit({ owner: owner('a'), ...spec });

  beforeAll(() => {
    dir = path.join(tmp.dir, 'submit');
    svc = open();
  });
  afterAll(async () => svc?.stop());

  it('refuses bad kinds, inputs and options with one-line reasons, queueing nothing', () => {
    const both = { content: c1, styles: [s1] };
    expect(reason(sheet({ kind: 'sheet', inputs: both, options: tiny }))).toBe('a sheet job needs a sheet kind: reconstruct, texture, init, grid');
    expect(reason(sheet({ sheet: { kind: 'collage' as never }, inputs: both, options: tiny }))).toBe('unknown sheet "collage": use reconstruct, texture, init, grid');
    expect(reason(sheet({ sheet: { kind: 'texture' }, inputs: { styles: [] }, options: tiny }))).toBe('a texture sheet needs a style image');
    expect(reason(sheet({ sheet: { kind: 'grid' }, inputs: { styles: [s1] }, options: tiny }))).toBe('a grid sheet needs a content image');
    expect(reason(sheet({ sheet: { kind: 'texture' }, inputs: both, options: tiny }))).toMatch(/^a texture sheet uses no content image/);
    expect(reason(sheet({ sheet: { kind: 'reconstruct' }, inputs: both, options: tiny }))).toMatch(/^a reconstruct sheet uses no style image/);
    expect(reason(sheet({ sheet: { kind: 'texture', layers: ['conv_1', 'conv_99'] }, inputs: { styles: [s1] }, options: tiny }))).toMatch(/^layers: .*conv_99/);
    expect(reason(sheet({ sheet: { kind: 'grid', layers: ['conv_1'] }, inputs: both, options: tiny }))).toBe('layers are only swept by reconstruct and texture sheets, not grid');
    expect(reason(sheet({ sheet: { kind: 'texture' }, inputs: { styles: [s1] }, options: { ...tiny, mode: 'transfer' } }))).toBe(
      'mode is not used by a texture sheet: each sheet sets the mode of its runs',
    );
    expect(reason(sheet({ sheet: { kind: 'reconstruct' }, inputs: { content: c1, styles: [] }, options: { ...tiny, init: 'content' } }))).toBe(
      'init is not used by a reconstruct sheet: a reconstruct sheet starts from noise',
    );
    expect(reason(sheet({ sheet: { kind: 'init' }, inputs: both, options: { ...tiny, multires: 2 } }))).toMatch(/^multires is not used by an init sheet: every run of a sheet is at one size$/);
    expect(reason(sheet({ sheet: { kind: 'grid' }, inputs: { content: c1, contents: [c2], styles: [s1] }, options: tiny }))).toBe(
      'give the content image either as content or in contents, not both',
    );
    // Several contents are for sheets only, and a stylize job takes no sheet settings.
    expect(reason(svc.submit({ owner: owner('a'), inputs: { contents: [c1, c2], styles: [s1] }, options: tiny }))).toBe('a stylize job takes one content image; several are for sheets');
    expect(reason(svc.submit({ owner: owner('a'), kind: 'stylize', sheet: { kind: 'grid' }, inputs: both, options: tiny }))).toBe('sheet settings are only for sheet jobs');
    expect(svc.queueLength()).toBe(0);
  });

  it('counts runs × steps against maxSteps: an explicit value over it is refused, a default lowered', () => {
    svc.settings.set('discord', 'g1', 'maxSteps', 100);
    const inputs = { styles: [s1, s2] };
    // 2 styles × (5 default layers + the combo) = 12 runs.
    expect(reason(sheet({ sheet: { kind: 'texture' }, inputs, options: { size: 16, steps: 10 } }))).toBe(
      "this texture sheet is 12 runs × 10 steps = 120 steps, over this workspace's limit of 100 steps (maxSteps); ask for 8 steps or fewer, or fewer layers or images",
    );
    const lowered = job(sheet({ sheet: { kind: 'texture' }, inputs, options: { size: 16 } }));
    expect(lowered.options.steps).toBe(8);
    // The writeup's setup unless asked otherwise.
    expect(lowered.options).toMatchObject({ preset: 'seed', optimizer: 'lbfgs', styleWeight: 1e6, multiresAbove: 0 });
    expect(svc.cancel(lowered.id, { userId: 'a', isAdmin: false }).ok).toBe(true);
    svc.settings.reset('discord', 'g1');
  });

  it('stores the sheet parameters and every input in one transaction, and keeps them across a restart', async () => {
    const j = job(sheet({ sheet: { kind: 'grid' }, inputs: { contents: [c1, c2], styles: [s1, s2] }, options: { ...tiny, seed: 3 }, meta: { m: 1 } }));
    expect(j).toMatchObject({ kind: 'sheet', sheet: { kind: 'grid' }, options: { steps: 1, size: 16, seed: 3, preset: 'seed' } });
    const t = job(sheet({ owner: owner('b'), sheet: { kind: 'texture', layers: ['conv_1', 'relu1_2'], combo: ['conv_1', 'conv_2'] }, inputs: { styles: [s1] }, options: tiny }));
    const db = new Database(path.join(dir, 'stylize.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT kind, sheet_json FROM jobs WHERE id = ?').get(j.id)).toEqual({ kind: 'sheet', sheet_json: '{"kind":"grid"}' });
      const images = db.prepare('SELECT role, idx, data FROM job_inputs WHERE job_id = ? ORDER BY role, idx').all(j.id) as { role: string; idx: number; data: Buffer }[];
      expect(images.map((i) => [i.role, i.idx])).toEqual([['content', 0], ['content', 1], ['style', 0], ['style', 1]]);
      expect(images[1].data.equals(c2)).toBe(true);
    } finally {
      db.close();
    }
    await svc.stop();
    svc = open();
    expect(svc.get(j.id)).toMatchObject({ state: 'queued', kind: 'sheet', sheet: { kind: 'grid' }, meta: { m: 1 } });
    expect(svc.get(t.id)?.sheet).toEqual({ kind: 'texture', layers: ['conv_1', 'relu1_2'], combo: ['conv_1', 'conv_2'] });
    expect(svc.queueLength()).toBe(2);
    // Cancelled while waiting like any job; a finished sheet is not re-run from reactions.
    expect(svc.cancel(j.id, { userId: 'a', isAdmin: false })).toEqual({ ok: true });
    expect(svc.get(j.id)?.state).toBe('cancelled');
    expect(svc.rerun(j.id, 'texture', owner('a'))).toEqual({
      ok: false,
      reason: `job ${j.id} is a sheet, and sheets are not re-run from reactions: ask for a new sheet instead`,
    });
    expect(svc.cancel(t.id, { userId: 'b', isAdmin: false }).ok).toBe(true);
  });

  it('opens a database of the previous schema, keeping its jobs', async () => {
    const oldDir = path.join(tmp.dir, 'schema1');
    let old = createJobService({ dataDir: oldDir, weightsPath: '/nonexistent' });
    const kept = job(old.submit({ owner: owner('a'), inputs: { content: c1, styles: [s1] }, options: tiny }));
    await old.stop();
    const raw = new Database(path.join(oldDir, 'stylize.db'));
    raw.exec('ALTER TABLE jobs DROP COLUMN sheet_json');
    raw.pragma('user_version = 1');
    raw.close();
    old = createJobService({ dataDir: oldDir, weightsPath: '/nonexistent' });
    try {
      expect(old.get(kept.id)).toMatchObject({ state: 'queued', kind: 'stylize' });
      expect(old.get(kept.id)?.sheet).toBeUndefined();
      expect(job(old.submit({ owner: owner('b'), sheet: { kind: 'texture' }, inputs: { styles: [s1] }, options: tiny })).sheet).toEqual({ kind: 'texture' });
    } finally {
      await old.stop();
    }
  });
});

describe('running a sheet on a real engine worker', () => {
  let svc: JobCoordinator;
  let rec: ReturnType<typeof recordEvents>;
  let dir: string;
  const open = () => createJobService({ dataDir: dir, weightsPath: weights, backend: 'wasm', engineThreads: 1 });

  beforeAll(() => {
    dir = path.join(tmp.dir, 'run');
  });
  afterAll(async () => svc?.stop());

  it('queued before a restart, it runs after it: progress over all runs, the PNG of the composed layout', async () => {
    svc = open();
    const layers = ['conv_1', 'conv_2'];
    const j = job(svc.submit({ owner: owner('a'), sheet: { kind: 'texture', layers }, inputs: { styles: [s2] }, options: tiny }));
    await svc.stop();

    svc = open();
    rec = recordEvents(svc);
    expect(svc.get(j.id)?.state).toBe('queued');
    await svc.start();
    const end = await rec.waitEnd(j.id);
    expect(end.event.type).toBe('completed');
    const done = end.event as Extract<JobEvent, { type: 'completed' }>;

    // Two layers and the combination: 3 runs of one step, counted as one sheet of 3 steps.
    const progress = progressOf(rec.of(j.id));
    expect(new Set(progress.map((p) => p.steps))).toEqual(new Set([3]));
    expect(Math.max(...progress.map((p) => p.iteration))).toBe(3);
    expect(progress.map((p) => p.iteration)).toEqual([...progress.map((p) => p.iteration)].sort((a, b) => a - b));
    expect(rec.of(j.id).some((e) => e.type === 'preview')).toBe(false);

    const plan = planSheet('texture', { contents: [], styles: [''], options: resolveOptions({ ...tiny, preset: 'seed' }), layers });
    const report = done.report!;
    expect(report.kind).toBe('texture');
    expect([report.layout.columns, report.layout.rows]).toEqual([plan.columns, plan.rows]);
    const titles = plan.cells.flatMap((c) => (c.type === 'run' ? [c.title] : []));
    expect(titles).toEqual(['conv_1 = conv1_1', 'conv_2 = conv1_2', 'conv_1+conv_2']);
    expect(report.cells.filter((c) => c.type === 'run').map((c) => c.title)).toEqual(titles);
    const meta = await sharp(done.png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', report.layout.width, report.layout.height]);
    expect(done.summary).toMatch(/^texture sheet: 3 runs in .*\(seed preset, lbfgs, 1 steps, 16 px\)\nconv_1 = conv1_1: style /);
  });

  it('a sheet stopped in its first run runs it again after a restart (resumed), and can be cancelled while it runs', async () => {
    // Slow enough to catch mid-way: 3 runs of 40 steps at 32 px.
    const j = job(svc.submit({ owner: owner('r'), sheet: { kind: 'texture', layers: ['conv_1', 'conv_3'] }, inputs: { styles: [s1] }, options: { size: 32, steps: 40 } }));
    await rec.waitFor((e) => e.job.id === j.id && e.event.type === 'progress' && e.event.iteration >= 5, 60_000);
    await svc.stop();
    expect(rec.of(j.id).some((e) => e.type === 'completed' || e.type === 'failed')).toBe(false);

    svc = open();
    rec = recordEvents(svc);
    expect(svc.get(j.id)?.state).toBe('queued');
    await svc.start();
    await rec.waitFor((e) => e.job.id === j.id && e.event.type === 'progress' && e.event.iteration >= 2, 60_000);
    const after = rec.of(j.id);
    expect(after.slice(0, 2)).toEqual([{ type: 'resumed' }, { type: 'started' }]);
    expect(progressOf(after)[0]).toEqual({ iteration: 0, steps: 120 });

    expect(svc.cancel(j.id, { userId: 'x', isAdmin: false }).ok).toBe(false);
    expect(svc.cancel(j.id, { userId: 'r', isAdmin: false })).toEqual({ ok: true });
    const end = await rec.waitEnd(j.id);
    expect(end.event).toEqual({ type: 'cancelled', by: 'r' });
    expect(Math.max(...progressOf(rec.of(j.id)).map((p) => p.iteration))).toBeLessThan(120);
    expect(svc.get(j.id)?.state).toBe('cancelled');
  });
});
