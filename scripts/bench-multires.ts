// npm run bench:multires [-- --size 256 --steps 30 --scales 128,256 --coarse-steps 20 --threads N]
// Coarse-to-fine against a single-scale run at equal wall time. The single-scale run does --steps
// L-BFGS iterations at --size and takes T seconds; the coarse-to-fine run does --coarse-steps at the
// coarser --scales, then iterates at --size until 1.5·T. Reported: the final-size loss each reached
// by T, and when coarse-to-fine first reached the single-scale run's final loss. Both losses are the
// same objective (content and style decoded at --size), so they compare directly. Wall times include
// decoding, the coarse scales and the upsampling. Weights: STYLIZE_WEIGHTS if set, else random ones
// in the real VGG-19 shapes (deterministic, seed 1).
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Engine } from '../src/engine/engine.ts';
import { chooseBackend, engineThreads, startEngine } from '../src/engine/start-engine.ts';
import { runPipeline } from '../src/engine/pipeline.ts';
import { CancelledError, type Progress } from '../src/engine/types.ts';
import { loadVggWeights } from '../src/engine/weights/vgg-weights.ts';
import { resolveOptions, type OptionsInput } from '../src/options.ts';
import { randomVggWeights } from './lib/random-weights.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '256' },
    steps: { type: 'string', default: '30' },
    scales: { type: 'string', default: '128,256' },
    'coarse-steps': { type: 'string', default: '20' },
    preset: { type: 'string', default: 'gatys' },
    threads: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
  },
});

const images = path.resolve(import.meta.dirname, '../../shared/images');
const content = path.join(images, 'tubingen.jpg');
const style = path.join(images, 'starry_night.jpg');

/**
 * Final-size losses over wall time: seconds since the run started, and work done by then in
 * final-size evaluations (a coarse evaluation counts its pixel share), with the best total so far.
 */
interface Curve {
  points: { s: number; work: number; best: number }[];
  seconds: number;
  finalLoss: number;
}

function bestBy(curve: Curve, limit: number, by: 's' | 'work' = 's'): number | undefined {
  let best: number | undefined;
  for (const p of curve.points) if (p[by] <= limit) best = p.best;
  return best;
}

function timeToReach(curve: Curve, loss: number): number | undefined {
  return curve.points.find((p) => p.best <= loss)?.s;
}

/** Runs the pipeline, keeping the final-size losses; stops (without error) once `stopAfterS` has passed. */
async function measure(engine: Engine, options: OptionsInput, finalScale: (p: Progress) => boolean, stopAfterS = Infinity): Promise<Curve> {
  const o = resolveOptions({ preset: values.preset, printEvery: 0, ...options });
  const controller = new AbortController();
  const points: Curve['points'] = [];
  let best = Infinity;
  let work = 0;
  const sides = o.scales ?? [o.size];
  const start = performance.now();
  const log = (p: Progress) => {
    const s = (performance.now() - start) / 1000;
    work += (sides[(p.scale ?? 1) - 1] / o.size) ** 2;
    if (finalScale(p)) {
      best = Math.min(best, p.losses.total);
      points.push({ s, work, best });
    }
    const scale = p.scale ? `scale ${p.scale}/${p.scales} ` : '';
    if (p.iteration % 10 === 0) process.stderr.write(`  ${s.toFixed(1)} s  ${scale}iter ${p.iteration}/${p.steps}  total ${p.losses.total.toExponential(4)}\n`);
    if (s > stopAfterS) controller.abort();
  };
  try {
    await runPipeline({ content, styles: [style], options: o, engine, signal: controller.signal, onProgress: log });
  } catch (e) {
    if (!(e instanceof CancelledError)) throw e;
  }
  return { points, seconds: (performance.now() - start) / 1000, finalLoss: best };
}

const size = Number(values.size);
const steps = Number(values.steps);
const scales = values.scales.split(',').map(Number);
const coarseSteps = values['coarse-steps'].split(',').map(Number);
if (scales.at(-1) !== size) throw new Error(`--scales must end at --size (${size})`);
if (coarseSteps.length !== scales.length - 1) throw new Error(`--coarse-steps needs ${scales.length - 1} counts, one per coarse scale`);

const threads = values.threads ? Number(values.threads) : engineThreads();
const backend = await chooseBackend(values.backend, { threads });
const weightsPath = process.env.STYLIZE_WEIGHTS;
const engine = await startEngine(backend, weightsPath ? await loadVggWeights(weightsPath) : randomVggWeights(1), threads);

process.stderr.write(`single scale: ${size} px, ${steps} L-BFGS iterations\n`);
const single = await measure(engine, { size, steps, optimizer: 'lbfgs' }, () => true);
const budget = single.seconds;
process.stderr.write(`coarse-to-fine: ${scales.join(',')} px, ${coarseSteps.join(',')} iterations, then ${size} px until ${(1.5 * budget).toFixed(0)} s\n`);
const c2f = await measure(
  engine,
  { scales, scaleSteps: [...coarseSteps, 10000 - coarseSteps.reduce((a, b) => a + b, 0)], optimizer: 'lbfgs' },
  (p) => p.scale === p.scales,
  1.5 * budget,
);
await engine.dispose();

const atBudget = bestBy(c2f, budget);
// Load from other processes changes between the two runs; work (evaluations × pixel share) does not.
const atEqualWork = bestBy(c2f, single.points.at(-1)?.work ?? 0, 'work');
const reached = timeToReach(c2f, single.finalLoss);
const fmt = (x: number | undefined) => (x === undefined ? 'n/a' : x.toExponential(4));
const result = {
  backend,
  threads,
  weights: weightsPath ? path.basename(weightsPath) : 'random (seed 1)',
  preset: values.preset,
  size,
  single: { steps, seconds: +budget.toFixed(1), work: single.points.at(-1)?.work ?? 0, finalLoss: single.finalLoss },
  coarseToFine: {
    scales,
    coarseSteps,
    finalSizeIterations: c2f.points.length,
    lossAtSingleTime: atBudget ?? null,
    lossAtSingleWork: atEqualWork ?? null,
    workBeforeFinalScale: +((c2f.points[0]?.work ?? 1) - 1).toFixed(2),
    lossAt1_5x: c2f.finalLoss,
    secondsToSingleFinalLoss: reached === undefined ? null : +reached.toFixed(1),
  },
  lossRatioAtEqualTime: atBudget === undefined ? null : +(atBudget / single.finalLoss).toFixed(3),
};
console.log(JSON.stringify(result, null, 2));
console.log(
  `\nAt ${budget.toFixed(0)} s: single-scale ${fmt(single.finalLoss)}, coarse-to-fine ${fmt(atBudget)} (final-size total loss).\n` +
    `At equal work (${single.points.at(-1)?.work ?? 0} final-size evaluations): coarse-to-fine ${fmt(atEqualWork)}.\n` +
    `Coarse-to-fine reached the single-scale final loss ${reached === undefined ? `not within ${(1.5 * budget).toFixed(0)} s` : `after ${reached.toFixed(1)} s`}.`,
);
