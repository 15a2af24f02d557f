// npm run bench:grid [-- --size 512 --steps 300 --grid-size 192 --grid-steps 100 --backend auto]
// The strength grid against a direct run, on this machine's default backend at the defaults (Tübingen
// + The Starry Night, gatys preset): the time to the grid; the time of U2 (the ×1 candidate) to
// --size with --steps; the time a direct --size run with --steps needs; and when each first reaches
// the other's final loss (same objective: the ×1 strength at --size, content init for the direct
// run). Losses are best-so-far totals (an L-BFGS line search may evaluate worse points). Prints
// CPU-seconds per wall second for each phase, since other processes may share the machine.
// Weights: STYLIZE_WEIGHTS if set, else random ones in the real VGG-19 shapes (seed 1): the timing
// holds, the images look nothing like a trained network's.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { planGrid, runGrid, runUpscale } from '../src/engine/grid/index.ts';
import { runPipeline } from '../src/engine/pipeline.ts';
import { chooseBackend, engineThreads, startEngine } from '../src/engine/start-engine.ts';
import type { Progress } from '../src/engine/types.ts';
import { loadVggWeights } from '../src/engine/weights/vgg-weights.ts';
import { resolveOptions } from '../src/options.ts';
import { randomVggWeights } from './lib/random-weights.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '512' },
    steps: { type: 'string', default: '300' },
    'grid-size': { type: 'string', default: '192' },
    'grid-steps': { type: 'string', default: '100' },
    backend: { type: 'string', default: 'auto' },
  },
});

const images = path.resolve(import.meta.dirname, '../../shared/images');
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

interface Point {
  /** Wall seconds, this process's CPU-seconds and evaluations since the phase started. */
  s: number;
  cpu: number;
  evals: number;
  best: number;
}

/** Best total loss so far against wall time, CPU time and evaluations (the last two hold under load). */
function curveRecorder(): { points: Point[]; onProgress: (p: Progress) => void } {
  const points: Point[] = [];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let best = Infinity;
  return {
    points,
    onProgress(p) {
      best = Math.min(best, p.losses.total);
      const cpu = process.cpuUsage(cpu0);
      points.push({ s: (performance.now() - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6, evals: points.length, best });
    },
  };
}

function reach(points: Point[], loss: number): Point | undefined {
  return points.find((p) => p.best <= loss);
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
const directToUp = reach(directCurve.points, upFinal);
const upToDirect = reach(upCurve.points, directFinal);
const directEnd = directCurve.points.at(-1)!;
const gridCpu = grid.phase.seconds * grid.phase.cpuPerS;
const at = (p: Point | undefined) => (p ? { seconds: round(p.s), cpuSeconds: round(p.cpu), evaluations: p.evals } : null);
const ratio = (a: number | undefined, b: number) => round(a === undefined ? undefined : a / b, 3);
console.log(
  JSON.stringify(
    {
      backend,
      threads,
      weights: weightsPath ? path.basename(weightsPath) : 'random (seed 1)',
      grid: { size: spec.size, steps: spec.steps, candidates: 4, seconds: round(grid.phase.seconds), cpuPerS: round(grid.phase.cpuPerS) },
      upscale: { from: 'candidate 2 (×1)', size: options.size, steps: options.steps, seconds: round(upscale.phase.seconds), cpuPerS: round(upscale.phase.cpuPerS), initialLoss: upCurve.points[0].best, finalLoss: upFinal },
      direct: { size: options.size, steps: options.steps, seconds: round(direct.phase.seconds), cpuPerS: round(direct.phase.cpuPerS), initialLoss: directCurve.points[0].best, finalLoss: directFinal },
      // When each run first reached the other's final loss (null: never within its steps).
      directToUpscaleLoss: at(directToUp),
      upscaleToDirectLoss: at(upToDirect),
      // The goal is upscale ≤ 0.5 × direct. Wall seconds mislead when the CPU share changes between
      // phases; CPU-seconds and evaluations do not.
      ratios: {
        upscaleOverDirect: { wall: ratio(upToDirect?.s, directEnd.s), cpu: ratio(upToDirect?.cpu, directEnd.cpu), evaluations: ratio(upToDirect?.evals, directEnd.evals) },
        gridPlusUpscaleOverDirect: { wall: ratio(upToDirect && grid.phase.seconds + upToDirect.s, directEnd.s), cpu: ratio(upToDirect && gridCpu + upToDirect.cpu, directEnd.cpu) },
        directToUpscaleLossOverUpscale: { cpu: ratio(directToUp?.cpu, upCurve.points.at(-1)!.cpu) },
      },
    },
    null,
    2,
  ),
);
await engine.dispose();
