// npm run bench:grid [-- --size 512 --steps 300 --grid-size 192 --grid-steps 100 --backend auto]
// The strength grid against a direct run, on this machine's default backend at the defaults (Tübingen
// + The Starry Night, gatys preset): the time to the grid; the time of U2 (the ×1 candidate) to
// --size with --steps; the time a direct --size run with --steps needs; and when each first reaches
// the other's final loss (same objective: the ×1 strength at --size, content init for the direct
// run). Losses are best-so-far totals (an L-BFGS line search may evaluate worse points). Prints
// CPU-seconds per wall second for each phase, since other processes may share the machine.
// Weights: STYLIZE_WEIGHTS if set, else random ones in the real VGG-19 shapes (seed 1): the timing
// holds, the images look nothing like a trained network's.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { planGrid, runGrid, runUpscale } from '../src/engine/grid/index.ts';
import { runPipeline } from '../src/engine/pipeline.ts';
import { chooseBackend, engineThreads, startEngine } from '../src/engine/start-engine.ts';
import type { Progress } from '../src/engine/types.ts';
import { loadVggWeights } from '../src/engine/weights/vgg-weights.ts';
import { resolveOptions } from '../src/options.ts';
import { randomVggWeights } from '../test/helpers/random-weights.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '512' },
    steps: { type: 'string', default: '300' },
    'grid-size': { type: 'string', default: '192' },
    'grid-steps': { type: 'string', default: '100' },
    backend: { type: 'string', default: 'auto' },
  },
});

// Beside the checkout (/work/main → /work/shared), or one level further up from a worktree.
const images = [path.resolve(import.meta.dirname, '../../shared/images'), path.resolve(import.meta.dirname, '../../../shared/images')].find((d) => existsSync(d)) ?? '';
const content = path.join(images, 'tubingen.jpg');
const style = path.join(images, 'starry_night.jpg');

const threads = engineThreads();
const backend = await chooseBackend(values.backend, { threads });
const weightsPath = process.env.STYLIZE_WEIGHTS;
const engine = await startEngine(backend, weightsPath ? await loadVggWeights(weightsPath) : randomVggWeights(1), threads);
const options = resolveOptions({
  preset: 'gatys',
  size: Number(values.size),
  steps: Number(values.steps),
  gridSize: Number(values['grid-size']),
  gridSteps: Number(values['grid-steps']),
  printEvery: 0,
});

interface Phase {
  seconds: number;
  cpuPerS: number;
}

async function timed<T>(body: () => Promise<T>): Promise<{ value: T; phase: Phase }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await body();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { value, phase: { seconds: wall / 1000, cpuPerS: (cpu.user + cpu.system) / 1000 / wall } };
}

/** Best total loss so far against seconds since the phase started. */
function curveRecorder(): { points: { s: number; best: number }[]; onProgress: (p: Progress) => void } {
  const points: { s: number; best: number }[] = [];
  const t0 = performance.now();
  let best = Infinity;
  return {
    points,
    onProgress(p) {
      best = Math.min(best, p.losses.total);
      points.push({ s: (performance.now() - t0) / 1000, best });
    },
  };
}

function timeToReach(points: { s: number; best: number }[], loss: number): number | undefined {
  return points.find((p) => p.best <= loss)?.s;
}

const round = (x: number | undefined, d = 2) => (x === undefined ? null : Number(x.toFixed(d)));

const spec = planGrid(options);
const grid = await timed(() => runGrid({ content, styles: [style], options, spec, engine }));
const upCurve = curveRecorder();
const upscale = await timed(() =>
  runUpscale({ content, styles: [style], options, spec, index: 1, candidatePng: grid.value.candidates[1].png, engine, onProgress: upCurve.onProgress }),
);
const directCurve = curveRecorder();
const direct = await timed(() => runPipeline({ content, styles: [style], options, engine, onProgress: directCurve.onProgress }));

const upFinal = upCurve.points.at(-1)!.best;
const directFinal = directCurve.points.at(-1)!.best;
const directToUp = timeToReach(directCurve.points, upFinal);
const upToDirect = timeToReach(upCurve.points, directFinal);
console.log(
  JSON.stringify(
    {
      backend,
      threads,
      weights: weightsPath ? path.basename(weightsPath) : 'random (seed 1)',
      grid: { size: spec.size, steps: spec.steps, candidates: 4, seconds: round(grid.phase.seconds), cpuPerS: round(grid.phase.cpuPerS) },
      upscale: { from: 'candidate 2 (×1)', size: options.size, steps: options.steps, seconds: round(upscale.phase.seconds), cpuPerS: round(upscale.phase.cpuPerS), finalLoss: upFinal },
      direct: { size: options.size, steps: options.steps, seconds: round(direct.phase.seconds), cpuPerS: round(direct.phase.cpuPerS), finalLoss: directFinal },
      // When each run first reached the other's final loss (null: never within its steps).
      directSecondsToUpscaleLoss: round(directToUp),
      upscaleSecondsToDirectLoss: round(upToDirect),
      ratios: {
        upscaleToDirectLossOverDirect: round(upToDirect === undefined ? undefined : upToDirect / direct.phase.seconds, 3),
        gridPlusUpscaleToDirectLossOverDirect: round(upToDirect === undefined ? undefined : (grid.phase.seconds + upToDirect) / direct.phase.seconds, 3),
        directToUpscaleLossOverUpscale: round(directToUp === undefined ? undefined : directToUp / upscale.phase.seconds, 3),
      },
    },
    null,
    2,
  ),
);
await engine.dispose();
