// A strength grid (issue 19) survives a restart of the real bot process (`npm start`) against the
// fake Discord: stopped gracefully (SIGTERM) or killed (kill -9) while its second candidate runs,
// the restarted bot goes on at the first unfinished candidate (the finished one is kept, not run
// again), edits the same progress message, and posts exactly one 2×2 grid with U1–U4 / V1–V4 in
// the job's thread; U2 on it then upscales candidate 2. Real engine worker processes, random VGG
// weights, tiny images.
import path from 'node:path';
import Database from 'better-sqlite3';
import { ApplicationCommandOptionType as T, ComponentType } from 'discord.js';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { parseJobTag } from '../../src/discord/job-meta.ts';
import type { BotProcess } from '../../scripts/lib/bot-process.ts';
import type { RecordedRequest } from '../../scripts/lib/fakes/discord/index.ts';
import { askStylize, body, freePort, inThread, ready, useBotHarness } from './bot-harness.ts';

const h = useBotHarness('stylize-grid-restart-');

const GRID_SIZE = 32;
// Enough that one candidate takes a few seconds on wasm: the restart lands inside candidate 2.
const GRID_STEPS = 30;

type Rows = { type: number; components: { type: number; custom_id: string; label: string }[] }[];
const responseId = (r: RecordedRequest) => (r.response as { id: string }).id;
const text = (r: RecordedRequest) => String(body(r).content ?? '');
/** The candidate a progress text names ("candidate 2/4 · …"), 1-based; 0 if none. */
const candidateShown = (r: RecordedRequest) => Number(/candidate ([1-4])\/4 · /.exec(text(r))?.[1] ?? 0);
const gridPosts = (threadId: string) =>
  h.fake.requests.filter((r) => r.method === 'POST' && inThread(threadId)(r) && r.files.some((f) => f.name.startsWith('grid')));

/** The admin's /stylize-config set: candidates of GRID_SIZE px, GRID_STEPS steps each, for this server. */
async function configureGrid(): Promise<void> {
  for (const [option, value] of [
    ['grid-size', String(GRID_SIZE)],
    ['grid-steps', String(GRID_STEPS)],
  ]) {
    const i = h.fake.slashCommand(
      'stylize-config',
      [{ name: 'set', type: T.Subcommand, options: [{ name: 'option', type: T.String, value: option }, { name: 'value', type: T.String, value }] }],
      { user: h.fake.admin },
    );
    const answer = await h.fake.waitFor((r) => r.method === 'POST' && r.path === `/interactions/${i.id}/${i.token}/callback`, 20_000, 'the config answer');
    expect((body(answer).data as { content: string }).content).toBe(`\`${option}\` is now \`${value}\` for this server.`);
  }
}

/** Alice's `/stylize grid:true` of a 48×48 photo and a 32×32 style at 48 px; returns its thread, job and progress message. */
async function askGrid(): Promise<{ threadId: string; jobId: string; progressId: string }> {
  const { threadId } = await askStylize(h.fake, { size: 48, steps: 2, contentSize: { width: 48, height: 48 }, extra: [{ name: 'grid', type: T.Boolean, value: true }] });
  const progress = await h.fake.waitFor((r) => r.method === 'POST' && inThread(threadId)(r) && parseJobTag(text(r)) !== undefined, 30_000, 'the progress message');
  return { threadId, jobId: parseJobTag(text(progress))!, progressId: responseId(progress) };
}

/** The stored candidates of a grid (what a restarted bot resumes from), read from the bot's database. */
function storedCandidates(dataDir: string, jobId: string): { idx: number; candidate_json: string }[] {
  const db = new Database(path.join(dataDir, 'stylize.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[string], { idx: number; candidate_json: string }>('SELECT idx, candidate_json FROM job_grid_candidates WHERE job_id = ? ORDER BY idx').all(jobId);
  } finally {
    db.close();
  }
}

/**
 * Starts a bot, asks for a grid, and once the progress shows candidate 2 (candidate 1 finished and
 * stored) stops the bot with `signal`; then starts it again and checks the grid is resumed and
 * posted once. Returns what the press of U2 needs.
 */
async function gridAcrossRestart(name: string, signal: 'SIGTERM' | 'SIGKILL'): Promise<{ second: BotProcess; threadId: string; jobId: string; gridMessage: string; timings: string }> {
  const dataDir = path.join(h.dir, name);
  const port = await freePort();
  const env = h.env(dataDir, port, { STYLIZE_SHUTDOWN_GRACE_S: '10' });
  const since = h.fake.requests.length;
  const first = h.start(env);
  await ready(port);
  await configureGrid();
  const asked = Date.now();
  const { threadId, jobId, progressId } = await askGrid();
  const isProgressEdit = (r: RecordedRequest) => r.method === 'PATCH' && r.path === `/channels/${threadId}/messages/${progressId}` && r.status === 200;
  await h.fake.waitFor((r) => isProgressEdit(r) && candidateShown(r) >= 2, 90_000, 'progress on candidate 2');
  const candidate2At = Date.now();
  const keptBefore = storedCandidates(dataDir, jobId);
  expect(keptBefore[0]?.idx).toBe(0);

  const mark = h.fake.requests.length;
  first.child.kill(signal);
  const code = await first.exited;
  if (signal === 'SIGTERM') expect(code, first.output().slice(-3000)).toBe(0);
  else expect(first.child.signalCode).toBe('SIGKILL');
  expect(gridPosts(threadId)).toHaveLength(0);
  // Nothing finished the grid on the way out.
  const done = storedCandidates(dataDir, jobId).map((c) => c.idx);
  expect(done.length).toBeLessThan(4);

  const restartMark = h.fake.requests.length;
  const second = h.start(env);
  const restarted = Date.now();
  const failed = (r: RecordedRequest) => {
    if (inThread(threadId)(r) && / Failed: /.test(text(r))) throw new Error(`grid failed: ${text(r)}`);
    return false;
  };
  const posted = await h.fake.waitFor((r) => failed(r) || (r.method === 'POST' && inThread(threadId)(r) && r.files.some((f) => f.name.startsWith('grid'))), 120_000, 'the grid after the restart');
  const postedAt = Date.now();
  await new Promise((r) => setTimeout(r, 1000));

  // Resumed, not started over: the same progress message says where it went on from, its first
  // progress after the restart is at that candidate, and candidate 1 was never run again.
  const after = h.fake.requests.slice(restartMark).filter(isProgressEdit);
  const resumedAt = done.length + 1;
  expect(resumedAt).toBeGreaterThanOrEqual(2);
  expect(after.some((r) => text(r).includes(`Resumed after a restart at candidate ${resumedAt} of 4 (the candidates before it were kept).`))).toBe(true);
  const shown = after.map(candidateShown).filter((n) => n > 0);
  expect(shown[0]).toBe(resumedAt);
  expect(Math.min(...shown)).toBe(resumedAt);
  const kept = storedCandidates(dataDir, jobId);
  expect(kept.map((c) => c.idx)).toEqual([0, 1, 2, 3]);
  for (const c of kept) expect((JSON.parse(c.candidate_json) as { width: number; height: number })).toMatchObject({ width: GRID_SIZE, height: GRID_SIZE });
  // Its runtime and losses are those of the run before the restart: not run again.
  expect(JSON.parse(kept[0]!.candidate_json)).toEqual(JSON.parse(keptBefore[0]!.candidate_json));
  expect(second.logs().some((l) => l.msg === 'job started' && l.job === jobId)).toBe(true);

  // The same thread: no second progress message, the first one finished, one grid post and nothing elsewhere.
  const newMessages = h.fake.requests.slice(mark).filter((r) => r.method === 'POST' && inThread(threadId)(r));
  expect(newMessages).toEqual([posted]);
  expect(text(h.fake.requests.filter(isProgressEdit).at(-1)!)).toMatch(/✅ Finished in /);
  expect(gridPosts(threadId)).toEqual([posted]);
  expect(h.fake.requests.slice(since).filter((r) => r.method === 'POST' && r.files.some((f) => f.name.startsWith('grid')))).toEqual([posted]);

  // One 2×2 PNG of four 32×32 candidates (plus labels and title) with its U/V buttons.
  expect(posted.files).toHaveLength(1);
  const meta = await sharp(posted.files[0]!.data).metadata();
  expect(meta.format).toBe('png');
  expect(meta.width!).toBeGreaterThanOrEqual(2 * GRID_SIZE);
  expect(meta.height!).toBeGreaterThanOrEqual(2 * GRID_SIZE);
  expect(parseJobTag(text(posted))).toBe(jobId);
  for (const n of [1, 2, 3, 4]) expect(text(posted)).toContain(`${n} · strength`);
  const rows = body(posted).components as Rows;
  expect(rows.map((r) => r.components.map((b) => [b.type, b.label, b.custom_id]))).toEqual([
    [1, 2, 3, 4].map((n) => [ComponentType.Button, `U${n}`, `stylize:grid:u${n}:${jobId}`]),
    [1, 2, 3, 4].map((n) => [ComponentType.Button, `V${n}`, `stylize:grid:v${n}:${jobId}`]),
  ]);

  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const timings = `${signal}: candidate 2 shown after ${s(candidate2At - asked)}, stopped at ${done.length} candidate(s) stored, grid posted ${s(postedAt - restarted)} after the restart`;
  return { second, threadId, jobId, gridMessage: responseId(posted), timings };
}

describe('a strength grid across a restart of the bot process', () => {
  it('SIGTERM while candidate 2 runs: exits 0, the restarted bot resumes at candidate 2 and posts the grid once', async () => {
    const { second, timings } = await gridAcrossRestart('data-sigterm', 'SIGTERM');
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    console.log(timings);
  }, 180_000);

  it('kill -9 while candidate 2 runs: the restarted bot resumes at candidate 2, posts the grid once, and U2 upscales candidate 2', async () => {
    const { second, threadId, jobId, gridMessage, timings } = await gridAcrossRestart('data-sigkill', 'SIGKILL');
    const mark = h.fake.requests.length;
    h.fake.clickButton(gridMessage, `stylize:grid:u2:${jobId}`, { user: h.fake.bob });
    const up = await h.fake.waitFor(
      (r) => h.fake.requests.indexOf(r) >= mark && r.method === 'POST' && inThread(threadId)(r) && r.files.some((f) => f.name.startsWith('stylized')),
      60_000,
      'the upscale of candidate 2',
    );
    expect(text(up)).toContain(`<@${h.fake.bob.id}>`);
    const m = await sharp(up.files[0]!.data).metadata();
    expect([m.width, m.height]).toEqual([48, 48]);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    console.log(timings);
  }, 180_000);
});
