// Our L-BFGS against the torch.optim.LBFGS port on the real style-transfer objective (random VGG-19
// weights, image-like content and style, init = content, clamp in the objective as the engine does):
//   npx tsx scripts/optim/compare-torch-style.ts [preset=gatys] [size=16] [seeds=8] [evaluations=60]
// Prints, per seed, our best loss / torch's best loss after 10, 20, 30, 45 and 60 evaluations.
import { selectBackend } from '../../src/engine/tfjs/tfjs-backend.ts';
import { createObjective } from '../../src/engine/tfjs/objective.ts';
import { minimizeLbfgs } from '../../src/engine/optim/lbfgs.ts';
import type { Objective } from '../../src/engine/optim/types.ts';
import { clamp01 } from '../../src/engine/stylize.ts';
import type { RGBImage } from '../../src/engine/types.ts';
import { createVgg } from '../../src/engine/tfjs/vgg.ts';
import { resolveOptions, type Preset } from '../../src/options.ts';
import { randomVggWeights } from '../lib/random-weights.ts';
import { runTorchLbfgs } from '../lib/optim/torch-lbfgs.ts';
import { random } from '../lib/optim/objectives.ts';

const [preset = 'gatys', sizeArg = '16', seedsArg = '8', budgetArg = '60'] = process.argv.slice(2);
const size = Number(sizeArg);
const budget = Number(budgetArg);
const checkpoints = [10, 20, 30, 45, 60, 100, 200, 300].filter((c) => c <= budget);

/** A smooth random picture (bilinear 6×6 colour grid plus a little noise), partly saturated at 0 and 1. */
function smoothImage(seed: number): RGBImage {
  const rnd = random(seed);
  const k = 6;
  const grid = Array.from({ length: k * k * 3 }, () => rnd() * 1.3 - 0.15);
  const data = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const fy = (y / (size - 1)) * (k - 1);
      const fx = (x / (size - 1)) * (k - 1);
      const y0 = Math.min(k - 2, Math.floor(fy));
      const x0 = Math.min(k - 2, Math.floor(fx));
      const [ay, ax] = [fy - y0, fx - x0];
      for (let c = 0; c < 3; c++) {
        const v = (yy: number, xx: number) => grid[(yy * k + xx) * 3 + c];
        const value = (1 - ay) * ((1 - ax) * v(y0, x0) + ax * v(y0, x0 + 1)) + ay * ((1 - ax) * v(y0 + 1, x0) + ax * v(y0 + 1, x0 + 1));
        data[(y * size + x) * 3 + c] = Math.min(1, Math.max(0, value + 0.05 * (rnd() - 0.5)));
      }
    }
  return { width: size, height: size, data };
}

await selectBackend('wasm');
const vgg = createVgg(randomVggWeights(1));
const logRatios = checkpoints.map(() => 0);
const seeds = Number(seedsArg);
for (let seed = 1; seed <= seeds; seed++) {
  const content = smoothImage(100 + seed);
  const objective = createObjective(vgg, resolveOptions({ preset: preset as Preset, init: 'content' }), content, [smoothImage(200 + seed)]);
  let losses: number[] = [];
  const f: Objective = async (x) => {
    clamp01(x);
    const r = await objective.evaluate(x, size, size);
    losses.push(r.losses.total);
    return { loss: r.losses.total, grad: r.grad };
  };
  const bestAt = () => checkpoints.map((c) => Math.min(...losses.slice(0, c + 1)));
  await runTorchLbfgs(f, content.data.slice(), { maxEvaluations: budget });
  const torch = bestAt();
  losses = [];
  await minimizeLbfgs(f, content.data.slice(), { maxEvaluations: budget });
  const ratios = bestAt().map((l, i) => l / torch[i]);
  ratios.forEach((r, i) => (logRatios[i] += Math.log(r)));
  console.log(`seed ${seed}: ours/torch after ${checkpoints.join('/')} evaluations: ${ratios.map((r) => r.toFixed(3)).join(' ')}`);
  objective.dispose();
}
console.log(`geometric mean (${preset}, ${size} px, ${seeds} seeds): ${logRatios.map((s) => Math.exp(s / seeds).toFixed(3)).join(' ')}`);
vgg.dispose();
