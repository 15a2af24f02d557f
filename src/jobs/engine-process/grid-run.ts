// A grid job in the engine process: the four candidates (runGrid), each reported as it finishes
// (as a sheet's runs are) so that a restart continues at the first unfinished one, then the 2×2 grid.
import type { Engine } from '../../engine/engine.ts';
import { cellLabel, gridTitle, runGrid, type GridCandidate, type GridSpec } from '../../engine/grid/index.ts';
import type { Completed, FromEngineChild, SheetRunDone, ToEngineChild } from './protocol.ts';

type RunMessage = Extract<ToEngineChild, { type: 'run' }>;

/** A candidate as stored: its numbers as JSON beside its PNG. */
function toRun(c: GridCandidate): SheetRunDone {
  const { png, ...numbers } = c;
  return { run: c.index, png, runJson: JSON.stringify(numbers) };
}

function fromRun(d: SheetRunDone): GridCandidate {
  return { ...(JSON.parse(d.runJson) as Omit<GridCandidate, 'png'>), index: d.run, png: Buffer.from(d.png) };
}

export async function runGridJob(msg: RunMessage, spec: GridSpec, engine: Engine, signal: AbortSignal, send: (m: FromEngineChild) => void): Promise<Completed> {
  const { jobId } = msg;
  if (!msg.content) throw new Error('a grid needs a content image');
  const r = await runGrid({
    content: msg.content,
    styles: msg.styles,
    options: msg.options,
    spec,
    engine,
    signal,
    finished: (msg.sheetRuns ?? []).map(fromRun),
    onProgress: (progress) => send({ type: 'progress', jobId, progress }),
    onCandidateDone: (c) => send({ type: 'sheetRun', jobId, ...toRun(c) }),
  });
  const labels = spec.cells.map((cell) => cellLabel(spec, cell).join(', '));
  return {
    png: r.png,
    width: r.layout.width,
    height: r.layout.height,
    losses: r.candidates.at(-1)!.losses,
    iterations: r.candidates.reduce((n, c) => n + c.iterations, 0),
    runtimeMs: r.runtimeMs,
    summary: `${gridTitle(spec, msg.options)} · ${labels.join(' · ')}`,
    candidates: r.candidates.map(toRun),
  };
}
