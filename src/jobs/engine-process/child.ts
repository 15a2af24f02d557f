// The engine process, child side: a long-lived child process (one per GPU/engine slot) that owns the
// engine. It starts the backend and loads the VGG weights once, then runs one job at a time as the
// parent asks, so the optimisation never blocks the bot's event loop. The parent's side is
// parent-handle.ts (which forks this file); the messages between them are in protocol.ts.
import { runPipeline } from '../../engine/pipeline.ts';
import { runGridJob } from './grid-run.ts';
import { runSheetJob } from '../../engine/sheet/job.ts';
import type { Engine } from '../../engine/engine.ts';
import { chooseBackend, engineThreads, startEngine } from '../../engine/start-engine.ts';
import type { CellRun } from '../../engine/sheet/report.ts';
import { loadVggWeights } from '../../engine/weights/vgg-weights.ts';
import { comparisonInputs, composeComparison } from '../../engine/visuals/compare.ts';
import { FrameRecorder } from '../../engine/visuals/frames.ts';
import { LossTrace } from '../../engine/visuals/loss-trace.ts';
import { logger } from '../../log.ts';
import type { SheetSpec } from '../types.ts';
import type { Completed, FromEngineChild, ToEngineChild } from './protocol.ts';

type InitMessage = Extract<ToEngineChild, { type: 'init' }>;
type RunMessage = Extract<ToEngineChild, { type: 'run' }>;

let engine: Engine | undefined;
let backendName: string | undefined;

/**
 * Backends whose iterations can be as fast as a PNG encode (the pipeline encodes previews one after
 * the other, so faster iterations would pile up images in memory): their checkpoint is the latest
 * preview instead of the current iteration.
 */
const FAST_BACKENDS = new Set(['native-gpu', 'onnx-cuda', 'onnx-webgpu']);
interface CurrentJob {
  jobId: string;
  abort: AbortController;
  /** With checkpoints on: the latest iteration's image, for a checkpoint at shutdown. */
  latest?: { iteration: number; png: Buffer };
  /** The latest iteration reported; its image may still be being encoded. */
  reached?: number;
}

/** How long a checkpoint request waits for the image of the iteration last reported. */
const CHECKPOINT_CATCH_UP_MS = 1500;

/**
 * The image of the last iteration reported (or a later one): progress for an iteration goes out
 * before its PNG is encoded, so the latest encoded image can be one behind at the moment of asking.
 */
async function checkpointOf(job: CurrentJob | undefined): Promise<CurrentJob['latest']> {
  const target = job?.reached;
  if (!job || !target) return job?.latest;
  const deadline = Date.now() + CHECKPOINT_CATCH_UP_MS;
  while ((job.latest?.iteration ?? -1) < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return job.latest;
}

let current: CurrentJob | undefined;

// The parent is gone (it crashed or was killed): nobody is left to work for.
const parentGone = () => process.exit(0);

function send(msg: FromEngineChild): void {
  if (!process.connected || !process.send) parentGone();
  else process.send(msg, undefined, {}, (err) => err && parentGone());
}

function messageOf(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0] || 'unknown error';
}

async function init(msg: InitMessage): Promise<void> {
  try {
    const threads = msg.engineThreads ?? engineThreads();
    const backend = await chooseBackend(msg.backend, { threads });
    backendName = backend;
    engine = await startEngine(backend, await loadVggWeights(msg.weightsPath), threads);
    send({ type: 'ready', backend });
  } catch (e) {
    send({ type: 'fatal', message: messageOf(e) });
    process.exit(1);
  }
}

async function run(msg: RunMessage): Promise<void> {
  if (!engine) {
    send({ type: 'error', jobId: msg.jobId, message: 'the engine is not initialised', cancelled: false });
    return;
  }
  if (current) {
    send({ type: 'error', jobId: msg.jobId, message: `the engine is busy with job ${current.jobId}`, cancelled: false });
    return;
  }
  const abort = new AbortController();
  const job: CurrentJob = { jobId: msg.jobId, abort };
  current = job;
  const { jobId } = msg;
  try {
    const done = msg.sheet
      ? await runSheet(msg, msg.sheet, engine, abort.signal)
      : msg.grid
        ? await runGridJob(msg, msg.grid, engine, abort.signal, send)
        : await runStylize(msg, engine, abort.signal, job);
    send({ type: 'done', jobId, ...done });
  } catch (e) {
    send({ type: 'error', jobId, message: messageOf(e), cancelled: abort.signal.aborted });
  } finally {
    current = undefined;
    logger.debug({ job: jobId, rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20) }, 'engine worker: job done');
  }
}

async function runStylize(msg: RunMessage, engine: Engine, signal: AbortSignal, job: CurrentJob): Promise<Completed> {
  const { jobId } = msg;
  const every = msg.options.saveEvery;
  // With checkpoints on, the pipeline hands over every iteration's image (one PNG encode each, small
  // next to an iteration on the slower backends) and only every `every`-th goes to the parent as a
  // preview: a shutdown can then save the very iteration the job reached, not the last preview.
  const eachIteration = Boolean(msg.checkpoints) && !FAST_BACKENDS.has(backendName ?? '');
  const recorder = new FrameRecorder();
  const trace = new LossTrace();
  const r = await runPipeline({
    content: msg.content,
    styles: msg.styles,
    initImage: msg.initImage,
    options: eachIteration ? { ...msg.options, saveEvery: 1 } : msg.options,
    engine,
    signal,
    onProgress: (progress) => {
      trace.add(progress);
      if (eachIteration) job.reached = progress.iteration;
      send({ type: 'progress', jobId, progress });
    },
    onPreview: (iteration, png) => {
      if (msg.checkpoints) job.latest = { iteration, png };
      if (!eachIteration || (every > 0 && iteration % every === 0)) send({ type: 'preview', jobId, iteration, png });
    },
    onFrame: (frame) => recorder.add(frame),
  });
  const frames = (await recorder.frames()).map((f) => f.png);
  // The composite is a nicety: a failure to draw it must not fail the job.
  const compare = await composeComparison(r.png, comparisonInputs(msg.options.mode, msg.content, msg.styles)).catch((e: unknown) => {
    logger.warn({ job: jobId, err: messageOf(e) }, 'could not compose the before/after image');
    return undefined;
  });
  return {
    png: r.png,
    width: r.width,
    height: r.height,
    losses: r.losses,
    iterations: r.iterations,
    runtimeMs: r.runtimeMs,
    frames,
    curve: trace.points,
    ...(compare ? { compare } : {}),
  };
}

/** Every run of the sheet, one after the other; progress counts over all of them. No previews. */
async function runSheet(msg: RunMessage, sheet: SheetSpec, engine: Engine, signal: AbortSignal): Promise<Completed> {
  const { jobId } = msg;
  const r = await runSheetJob({
    kind: sheet.kind,
    contents: msg.contents ?? (msg.content ? [msg.content] : []),
    styles: msg.styles,
    options: msg.options,
    sheet: { layers: sheet.layers, combo: sheet.combo },
    engine,
    signal,
    onProgress: (progress) => send({ type: 'progress', jobId, progress }),
    finishedRuns: new Map((msg.sheetRuns ?? []).map((d) => [d.run, { png: d.png, run: JSON.parse(d.runJson) as CellRun }])),
    onRunDone: (run, png, cellRun) => send({ type: 'sheetRun', jobId, run, png, runJson: JSON.stringify(cellRun) }),
  });
  const runs = r.json.cells.filter((c) => c.type === 'run');
  return {
    png: r.png,
    width: r.json.layout.width,
    height: r.json.layout.height,
    losses: runs.at(-1)?.losses ?? { content: 0, style: 0, tv: 0, total: 0 },
    iterations: runs.reduce((n, c) => n + (c.iterations ?? 0), 0),
    runtimeMs: r.json.runtimeMs,
    summary: r.summary,
    report: r.json,
  };
}

process.on('message', (msg: ToEngineChild) => {
  switch (msg.type) {
    case 'init':
      void init(msg);
      return;
    case 'run':
      void run(msg);
      return;
    case 'cancel':
      if (current?.jobId === msg.jobId) current.abort.abort();
      return;
    case 'checkpoint':
      void checkpointOf(current?.jobId === msg.jobId ? current : undefined).then((latest) => send({ type: 'checkpoint', jobId: msg.jobId, ...latest }));
      return;
  }
});

// The IPC channel closes when the parent exits, even by SIGKILL: do not outlive it.
process.on('disconnect', () => process.exit(0));

// Ctrl-C reaches the whole process group, and systemd's default KillMode SIGTERMs every process of
// the unit: the parent asks for a checkpoint first and then ends this process itself.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => undefined);

process.on('unhandledRejection', (e) => {
  logger.error({ err: messageOf(e) }, 'engine worker: unhandled rejection');
  if (process.connected) send({ type: 'fatal', message: messageOf(e) });
  process.exit(1);
});
