// Grid and upscale jobs in the job service (issue 19): a grid is refused outside transfer mode and
// costed at gridCostSteps against maxSteps; it runs four candidates on a real engine worker (wasm,
// random weights, 32 px candidates, 2 steps), stores them with the job, and its U/V buttons make an
// upscale from the stored candidate or a grid around it. A restart mid-grid continues at the first
// unfinished candidate; a grid can be cancelled.
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gridCostSteps, planGrid, planVary } from '../../src/engine/grid/index.ts';
import { createJobService } from '../../src/jobs/create-job-service.ts';
import type { JobCoordinator } from '../../src/jobs/job-coordinator.ts';
import type { JobEvent, JobRecord, SubmitResult } from '../../src/jobs/types.ts';
import { StylizeMetrics } from '../../src/ops/metrics.ts';
import { GRID_REFUSALS, resolveOptions } from '../../src/options.ts';
import { makePng, owner, recordEvents, tempDir, weightsFile } from './helpers.ts';

let tmp: ReturnType<typeof tempDir>;
let weights: string;
let content: Buffer;
let style: Buffer;

const tinyGrid = { grid: true, size: 48, steps: 2, gridSize: 32, gridSteps: 2 };

function job(r: SubmitResult): JobRecord {
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r.job;
}

function reason(r: SubmitResult): string {
  return r.ok ? 'accepted' : r.reason;
}

type Progress = Extract<JobEvent, { type: 'progress' }>;
const progressOf = (events: JobEvent[]) => events.filter((e): e is Progress => e.type === 'progress');

beforeAll(async () => {
  tmp = tempDir('grid');
  weights = await weightsFile(tmp.dir);
  [content, style] = await Promise.all([makePng(48, 40, 1), makePng(40, 48, 2)]);
});

afterAll(() => tmp?.remove());

describe('submitting a grid (engines not started)', () => {
  let svc: JobCoordinator;
  beforeAll(() => {
    svc = createJobService({ dataDir: path.join(tmp.dir, 'submit'), weightsPath: '/nonexistent', ceilings: { maxSteps: 60, maxUserJobs: 10 } });
  });
  afterAll(async () => svc?.stop());

  it('is a grid job with its plan, refused in texture and reconstruct mode, and costed at gridCostSteps against maxSteps', () => {
    const inputs = { content, styles: [style] };
    const j = job(svc.submit({ owner: owner('a'), inputs, options: tinyGrid }));
    expect(j.kind).toBe('grid');
    expect(j.grid?.spec).toEqual(planGrid(resolveOptions(tinyGrid)));
    expect(svc.listActive('discord', 'g1').map((r) => r.id)).toContain(j.id);

    expect(reason(svc.submit({ owner: owner('a'), inputs: { styles: [style] }, options: { ...tinyGrid, mode: 'texture' } }))).toBe(GRID_REFUSALS.texture);
    expect(reason(svc.submit({ owner: owner('a'), inputs: { content, styles: [] }, options: { ...tinyGrid, mode: 'reconstruct' } }))).toBe(GRID_REFUSALS.reconstruct);

    // 4 × 100 steps at 32 px counted at 48 px: ceil(400 · (32/48)²) = 178 steps, over 60.
    const costly = { ...tinyGrid, gridSteps: 100 };
    expect(gridCostSteps(resolveOptions(costly))).toBe(178);
    expect(reason(svc.submit({ owner: owner('a'), inputs, options: costly }))).toMatch(/^this grid costs 178 steps .*over this workspace's limit of 60 steps \(maxSteps\)/);
    // 33 steps cost ceil(132 · 4/9) = 59: within the limit.
    expect(job(svc.submit({ owner: owner('a'), inputs, options: { ...tinyGrid, gridSteps: 33 } })).kind).toBe('grid');
  });

  it('buttons of an unfinished grid or of a job that is no grid are refused', () => {
    const j = job(svc.submit({ owner: owner('b'), inputs: { content, styles: [style] }, options: tinyGrid }));
    expect(reason(svc.fromGrid(j.id, { action: 'upscale', index: 1 }, owner('c')))).toBe(`grid ${j.id} has not finished yet`);
    const plain = job(svc.submit({ owner: owner('b'), inputs: { content, styles: [style] }, options: { size: 48, steps: 2 } }));
    expect(plain.kind).toBe('stylize');
    expect(reason(svc.fromGrid(plain.id, { action: 'vary', index: 0 }, owner('c')))).toBe(`job ${plain.id} is not a grid`);
  });
});

describe('running grids on a real engine worker', () => {
  let svc: JobCoordinator;
  let rec: ReturnType<typeof recordEvents>;
  const dir = () => path.join(tmp.dir, 'run');
  const metrics = new StylizeMetrics();
  const open = (maxSteps = 1000) =>
    createJobService({ dataDir: dir(), weightsPath: weights, backend: 'wasm', engineThreads: 1, ceilings: { maxSteps, maxUserJobs: 10 }, metrics });
  const completed = async () =>
    (await metrics.jobsCompleted.get()).values.filter((v) => v.value > 0).map((v) => [v.labels.mode, v.value]).sort();

  afterAll(async () => svc?.stop());

  it('renders a 2×2 grid with progress per candidate; U2 upscales candidate 2, V3 varies around it', async () => {
    svc = open();
    rec = recordEvents(svc);
    await svc.start();
    const g = job(svc.submit({ owner: owner('a'), inputs: { content, styles: [style] }, options: tinyGrid }));
    const end = await rec.waitEnd(g.id, 120_000);
    expect(end.event.type).toBe('completed');
    const done = end.event as Extract<JobEvent, { type: 'completed' }>;
    const meta = await sharp(done.png).metadata();
    expect(meta.format).toBe('png');
    // Two candidates of 32×27 side by side, two rows, plus labels: wider than two, taller than two.
    expect(meta.width!).toBeGreaterThanOrEqual(64);
    expect(meta.height!).toBeGreaterThanOrEqual(54);
    expect(done.summary).toMatch(/^strength grid · 32 px · 2 steps/);
    const progress = progressOf(rec.of(g.id));
    expect(new Set(progress.map((p) => p.steps))).toEqual(new Set([8]));
    expect(new Set(progress.map((p) => p.candidate?.index))).toEqual(new Set([0, 1, 2, 3]));
    expect(progress.every((p) => p.candidate?.of === 4)).toBe(true);

    // U2, pressed by someone else: an upscale job of theirs at the requested size from candidate 2.
    const u = job(svc.fromGrid(g.id, { action: 'upscale', index: 1 }, { ...owner('b'), threadId: 't1' }));
    expect([u.kind, u.owner.userId, u.owner.threadId, u.parentJobId, u.grid?.pick]).toEqual(['upscale', 'b', 't1', g.id, 1]);
    const cell = g.grid!.spec.cells[1]!;
    expect([u.options.styleWeight, u.options.styleScale, u.options.init, u.options.size]).toEqual([cell.styleWeight, cell.styleScale, 'image', 48]);
    const uEnd = await rec.waitEnd(u.id, 120_000);
    expect(uEnd.event.type).toBe('completed');
    const up = await sharp((uEnd.event as Extract<JobEvent, { type: 'completed' }>).png).metadata();
    expect([up.width, up.height]).toEqual([48, 40]);
    expect(rec.of(u.id).some((e) => e.type === 'progress')).toBe(true);

    // V3: a new grid around candidate 3 (its strength ×½ and ×2, its style scale ×0.7 and ×1.4).
    const v = job(svc.fromGrid(g.id, { action: 'vary', index: 2 }, owner('c')));
    expect(v.kind).toBe('grid');
    expect(v.grid?.spec).toEqual(planVary(g.options, g.grid!.spec.cells[2]!));
    expect(v.grid!.spec.cells.map((c) => c.styleWeight)).toEqual([cell.styleWeight * 2, cell.styleWeight * 8, cell.styleWeight * 4, cell.styleWeight * 4]);
    const vEnd = await rec.waitEnd(v.id, 120_000);
    expect((vEnd.event as Extract<JobEvent, { type: 'completed' }>).summary).toMatch(/^vary grid .*scale ×0\.7/);
    // Their own mode labels in the metrics.
    expect(await completed()).toEqual([['grid', 2], ['upscale', 1]]);
  });

  it('stores the candidates after completion and hands the picked one to the upscale as its initial image', async () => {
    const { JobStore } = await import('../../src/jobs/job-store.ts');
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path.join(dir(), 'stylize.db'), { readonly: true });
    try {
      const store = new JobStore(db);
      const grids = rec.events.filter((e) => e.job.kind === 'grid' && e.event.type === 'completed').map((e) => e.job.id);
      const ups = rec.events.filter((e) => e.job.kind === 'upscale' && e.event.type === 'completed').map((e) => e.job.id);
      const candidates = store.candidates(grids[0]!);
      expect(candidates.map((c) => c.run)).toEqual([0, 1, 2, 3]);
      for (const c of candidates) expect((await sharp(c.png).metadata()).width).toBe(32);
      const init = store.candidates(ups[0]!);
      expect(init.map((c) => c.run)).toEqual([1]);
      expect(init[0]!.png.equals(candidates[1]!.png)).toBe(true);
    } finally {
      db.close();
    }
  });

  it('counts an upscale at its steps against maxSteps', async () => {
    await svc.stop();
    svc = open(1);
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path.join(dir(), 'stylize.db'), { readonly: true });
    const id = (db.prepare("SELECT id FROM jobs WHERE kind = 'grid' ORDER BY seq LIMIT 1").get() as { id: string }).id;
    db.close();
    expect(reason(svc.fromGrid(id, { action: 'upscale', index: 0 }, owner('d')))).toMatch(/^steps 2 is over this workspace's limit of 1 steps \(maxSteps\)/);
    await svc.stop();
  });

  it('a restart mid-grid continues at its first unfinished candidate; a grid can be cancelled', async () => {
    svc = open();
    rec = recordEvents(svc);
    await svc.start();
    const slow = { ...tinyGrid, gridSteps: 40 };
    const g = job(svc.submit({ owner: owner('r'), inputs: { content, styles: [style] }, options: slow }));
    await rec.waitFor((e) => e.job.id === g.id && e.event.type === 'progress' && (e.event.candidate?.index ?? 0) >= 1, 120_000);
    await svc.stop();

    svc = open();
    rec = recordEvents(svc);
    await svc.start();
    await rec.waitFor((e) => e.job.id === g.id && e.event.type === 'progress', 120_000);
    const after = rec.of(g.id);
    const resumed = after.find((e) => e.type === 'resumed') as Extract<JobEvent, { type: 'resumed' }>;
    expect(resumed.runsDone).toBeGreaterThanOrEqual(1);
    const first = progressOf(after)[0]!;
    expect(first.candidate!.index).toBe(resumed.runsDone);
    expect(first.iteration).toBeGreaterThanOrEqual(40 * resumed.runsDone!);

    expect(svc.cancel(g.id, { userId: 'r', isAdmin: false })).toEqual({ ok: true });
    const end = await rec.waitEnd(g.id);
    expect(end.event).toEqual({ type: 'cancelled', by: 'r' });
  });
});
