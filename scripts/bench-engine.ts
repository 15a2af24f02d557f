// One benchmark cell in a process of its own (so its peak RSS is its own), run by scripts/bench.ts:
//   node --import tsx scripts/bench-engine.ts --backend onnx-cpu --size 256 --preset gatys --steps 4 --threads 2
// Prints one JSON line: ms per evaluation (after two warm-up evaluations, which are slow on a new ONNX
// session), GFLOP per evaluation, the CPU seconds per wall second while timing, and peak RSS.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeImage } from '../src/engine/image.ts';
import { chooseBackend, startEngine } from '../src/engine/start-engine.ts';
import { stylize } from '../src/engine/stylize.ts';
import { loadVggWeights } from '../src/engine/weights/vgg-weights.ts';
import { resolveOptions, type Preset } from '../src/options.ts';
import { randomVggWeights } from './lib/random-weights.ts';
import { flopsPerEvaluation } from './flops.ts';

const WARMUP = 2;

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'onnx-cpu' },
    size: { type: 'string', default: '256' },
    preset: { type: 'string', default: 'gatys' },
    steps: { type: 'string', default: '4' },
    threads: { type: 'string', default: '2' },
    optimizer: { type: 'string', default: 'adam' },
  },
});

const threads = Number(values.threads);
const size = Number(values.size);
const steps = Number(values.steps);
const backend = await chooseBackend(values.backend, { threads });
const weights = process.env.STYLIZE_WEIGHTS ? await loadVggWeights(process.env.STYLIZE_WEIGHTS) : randomVggWeights(1);
const engine = await startEngine(backend, weights, threads);
const images = path.resolve(import.meta.dirname, '../../shared/images');
const content = await decodeImage(path.join(images, 'tubingen.jpg'), { longSide: size });
const style = await decodeImage(path.join(images, 'starry_night.jpg'), { longSide: size });
const options = resolveOptions({ preset: values.preset as Preset, size, steps: steps + WARMUP, optimizer: values.optimizer as 'adam', init: 'content', printEvery: 0 });

const times: number[] = [];
let cpuStart = process.cpuUsage();
let wallStart = performance.now();
await stylize(engine, {
  options,
  content,
  styles: [style],
  onProgress: (p) => {
    // Iteration 0 is the first evaluation; iterations 1..WARMUP-1 finish the warm-up.
    if (p.iteration === WARMUP - 1) {
      cpuStart = process.cpuUsage();
      wallStart = performance.now();
    }
    if (p.iteration >= WARMUP) times.push(p.iterationMs);
  },
});
const wallMs = performance.now() - wallStart;
const cpu = process.cpuUsage(cpuStart);
await engine.dispose();
const ms = times.reduce((a, b) => a + b, 0) / times.length;
const gflop = flopsPerEvaluation(options, content.width, content.height, weights) / 1e9;
console.log(
  JSON.stringify({
    backend,
    threads,
    preset: values.preset,
    width: content.width,
    height: content.height,
    msPerEval: +ms.toFixed(1),
    gflop: +gflop.toFixed(2),
    gflops: +(gflop / (ms / 1000)).toFixed(1),
    cpuPerWall: +((cpu.user + cpu.system) / 1000 / wallMs).toFixed(2),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
