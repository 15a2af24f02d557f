// The engine worker: a long-lived child process (one per GPU/engine slot) that owns the engine. It
// starts the backend and loads the VGG weights once, then runs one job at a time as the parent asks,
// so the optimisation never blocks the bot's event loop. Started by engine-worker.ts with fork().
import { runPipeline } from '../engine/pipeline.ts';
import { runSheetJob } from '../engine/sheet/job.ts';
import type { Engine } from '../engine/engine.ts';
import { chooseBackend, engineThreads, startEngine } from '../engine/start-engine.ts';
import { loadVggWeights } from '../engine/weights/vgg-weights.ts';
import { comparisonInputs, composeComparison } from '../engine/visuals/compare.ts';
import { FrameRecorder } from '../engine/visuals/frames.ts';
import { LossTrace } from '../engine/visuals/loss-trace.ts';
import { logger } from '../log.ts';
import type { SheetSpec } from './types.ts';
import type { Completed, FromWorker, ToWorker } from './worker-protocol.ts';

type InitMessage = Extract<ToWorker, { type: 'init' }>;
type RunMessage = Extract<ToWorker, { type: 'run' }>;

let engine: Engine | undefined;
let current: { jobId: string; abort: AbortController } | undefined;

// The parent is gone (it crashed or was killed): nobody is left to work for.
const parentGone = () => process.exit(0);

function send(msg: FromWorker): void {
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
  current = { jobId: msg.jobId, abort };
  const { jobId } = msg;
  try {
    const done = msg.sheet ? await runSheet(msg, msg.sheet, engine, abort.signal) : await runStylize(msg, engine, abort.signal);
    send({ type: 'done', jobId, ...done });
  } catch (e) {
    send({ type: 'error', jobId, message: messageOf(e), cancelled: abort.signal.aborted });
  } finally {
    current = undefined;
    logger.debug({ job: jobId, rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20) }, 'engine worker: job done');
  }
}

async function runStylize(msg: RunMessage, engine: Engine, signal: AbortSignal): Promise<Completed> {
  const { jobId } = msg;
  const recorder = new FrameRecorder();
  const trace = new LossTrace();
  const r = await runPipeline({
    content: msg.content,
    styles: msg.styles,
    initImage: msg.initImage,
    options: msg.options,
    engine,
    signal,
    onProgress: (progress) => {
      trace.add(progress);
      send({ type: 'progress', jobId, progress });
    },
    onPreview: (iteration, png) => send({ type: 'preview', jobId, iteration, png }),
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

process.on('message', (msg: ToWorker) => {
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
  }
});

// The IPC channel closes when the parent exits, even by SIGKILL: do not outlive it.
process.on('disconnect', () => process.exit(0));

process.on('unhandledRejection', (e) => {
  logger.error({ err: messageOf(e) }, 'engine worker: unhandled rejection');
  if (process.connected) send({ type: 'fatal', message: messageOf(e) });
  process.exit(1);
});
