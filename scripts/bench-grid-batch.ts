// npm run bench:grid-batch [-- --size 192 --evals 8 --backend onnx-cpu]
// Should a grid's four candidates be one batched evaluation or four? The ONNX graph takes one image
// ([1, H, W, 3]), so a batch of four is approximated by one evaluation of an image with four times the
// pixels (2H × 2W): the convolutions, which are nearly all of the work, do the same arithmetic either
// way. Prints the median milliseconds of four evaluations at --size and of one at 2×--size, and the
// process's CPU-seconds per wall second (other processes share the machine). Run it several times,
// alternating, and compare medians. Weights: STYLIZE_WEIGHTS if set, else random ones (seed 1).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeImage } from '../src/engine/image.ts';
import { chooseBackend, engineThreads, startEngine } from '../src/engine/start-engine.ts';
import { loadVggWeights } from '../src/engine/weights/vgg-weights.ts';
import { resolveOptions } from '../src/options.ts';
import { randomVggWeights } from './lib/random-weights.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '192' },
    evals: { type: 'string', default: '8' },
    backend: { type: 'string', default: 'onnx-cpu' },
    order: { type: 'string', default: 'single-first' },
  },
});
const size = Number(values.size);
const evals = Number(values.evals);
const images = path.resolve(import.meta.dirname, '../../shared/images');
const threads = engineThreads();
const backend = await chooseBackend(values.backend, { threads });
const weightsPath = process.env.STYLIZE_WEIGHTS;
const engine = await startEngine(backend, weightsPath ? await loadVggWeights(weightsPath) : randomVggWeights(1), threads);
const o = resolveOptions({ preset: 'gatys' });

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Milliseconds of each of `evals` evaluations (after one warm-up) at long side `side`. */
async function timeAt(side: number): Promise<{ ms: number[]; cpu: number }> {
  const content = await decodeImage(path.join(images, 'tubingen.jpg'), { longSide: side });
  const style = await decodeImage(path.join(images, 'starry_night.jpg'), { longSide: side });
  const objective = await engine.createObjective(o, content, [style]);
  const x = content.data.slice();
  await objective.evaluate(x, content.width, content.height);
  const ms: number[] = [];
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let i = 0; i < evals; i++) {
    const t = performance.now();
    await objective.evaluate(x, content.width, content.height);
    ms.push(performance.now() - t);
  }
  const cpuUs = process.cpuUsage(cpu0);
  objective.dispose();
  return { ms, cpu: (cpuUs.user + cpuUs.system) / 1000 / (performance.now() - wall0) };
}

const order = values.order === 'single-first' ? [size, 2 * size] : [2 * size, size];
const results = new Map<number, { ms: number[]; cpu: number }>();
for (const side of order) results.set(side, await timeAt(side));
const single = results.get(size)!;
const quad = results.get(2 * size)!;
console.log(
  JSON.stringify({
    backend,
    threads,
    size,
    evals,
    fourSingleMs: Math.round(4 * median(single.ms)),
    oneQuadMs: Math.round(median(quad.ms)),
    ratioQuadOverFour: Number((median(quad.ms) / (4 * median(single.ms))).toFixed(3)),
    cpuSPerS: { single: Number(single.cpu.toFixed(2)), quad: Number(quad.cpu.toFixed(2)) },
  }),
);
await engine.dispose();
