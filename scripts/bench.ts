// npm run bench [-- --sizes 128,256 --presets gatys,seed --steps 4 --threads N --backend wasm]
// Time per optimisation iteration (one loss + gradient evaluation) at each size and preset, the
// FLOPs that iteration needs (convs forward + input-gradient, Gram forward + backward) and the rate
// achieved. Weights: STYLIZE_WEIGHTS if set, else random ones in the real VGG-19 shapes (speed does
// not depend on the values).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { engineProcessWasmThreads, selectBackend } from '../src/engine/backend.ts';
import { decodeImage } from '../src/engine/image.ts';
import { stylize } from '../src/engine/stylize.ts';
import { createVgg } from '../src/engine/vgg.ts';
import { loadVggWeights } from '../src/engine/weights/vgg-weights.ts';
import { PRESETS, VGG_BLOCKS, VGG_LAYER_NAMES, resolveOptions, type Preset, type StyleOptions } from '../src/options.ts';
import { randomVggWeights } from '../test/helpers/random-weights.ts';

const PYTORCH_MS_256_GATYS = 2200; // PyTorch on this CPU, one Adam step at 256 px, Gatys layers (measured by the project)

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '128,256' },
    presets: { type: 'string', default: 'gatys,seed' },
    steps: { type: 'string', default: '4' },
    threads: { type: 'string' },
    backend: { type: 'string', default: 'wasm' },
    optimizer: { type: 'string', default: 'adam' },
  },
});

const channels: [number, number][] = [];
{
  let cin = 3;
  VGG_BLOCKS.forEach((n, b) => {
    const cout = [64, 128, 256, 512, 512][b];
    for (let k = 0; k < n; k++) {
      channels.push([cin, cout]);
      cin = cout;
    }
  });
}

/** FLOPs of one evaluation: each conv up to the deepest layer forward and its input gradient, Grams both ways. */
export function flopsPerIteration(o: StyleOptions, width: number, height: number): number {
  const used = [...(o.mode === 'texture' ? [] : o.contentLayers), ...(o.mode === 'reconstruct' ? [] : o.styleLayers)];
  const deepest = Math.max(...used.map((l) => VGG_LAYER_NAMES.indexOf(l)));
  let h = height;
  let w = width;
  let conv = 0;
  let flops = 0;
  for (let i = 0; i <= deepest; i++) {
    const name = VGG_LAYER_NAMES[i];
    if (name.startsWith('conv')) {
      const [cin, cout] = channels[conv++];
      flops += 2 * 2 * h * w * 9 * cin * cout;
    } else if (name.startsWith('pool')) {
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    }
    if (o.mode !== 'reconstruct' && o.styleLayers.includes(name)) {
      const c = channels[Math.max(0, conv - 1)][1];
      flops += 2 * 2 * h * w * c * c;
    }
  }
  return flops;
}

const threads = values.threads ? Number(values.threads) : engineProcessWasmThreads();
const backend = await selectBackend(values.backend, { wasmThreads: threads });
const weights = process.env.STYLIZE_WEIGHTS ? await loadVggWeights(process.env.STYLIZE_WEIGHTS) : randomVggWeights(1);
const vgg = createVgg(weights);
const images = path.resolve(import.meta.dirname, '../../shared/images');
const steps = Number(values.steps);

console.log(`backend ${backend}${backend === 'wasm' ? `, ${threads} thread(s)` : ''}; ${steps} iterations after a warm-up; optimizer ${values.optimizer}`);
console.log('size  preset  ms/iter  GFLOP/iter  GFLOP/s   vs PyTorch 256px gatys (2.2 s)');
for (const size of values.sizes.split(',').map(Number)) {
  const content = await decodeImage(path.join(images, 'tubingen.jpg'), { longSide: size });
  const style = await decodeImage(path.join(images, 'starry_night.jpg'), { longSide: size });
  for (const preset of values.presets.split(',') as Preset[]) {
    if (!PRESETS.includes(preset)) throw new Error(`unknown preset ${preset}`);
    const options = resolveOptions({ preset, size, steps, optimizer: values.optimizer, init: 'content', printEvery: 0 });
    const times: number[] = [];
    await stylize(vgg, {
      options,
      content,
      styles: [style],
      onProgress: (p) => {
        if (p.iteration > 0) times.push(p.iterationMs);
      },
    });
    const ms = times.reduce((a, b) => a + b, 0) / times.length;
    const gflop = flopsPerIteration(options, content.width, content.height) / 1e9;
    const ratio = size === 256 && preset === 'gatys' ? `${(ms / PYTORCH_MS_256_GATYS).toFixed(2)}× PyTorch's time` : '';
    console.log(
      `${String(size).padEnd(5)} ${preset.padEnd(7)} ${ms.toFixed(0).padStart(7)}  ${gflop.toFixed(2).padStart(10)}  ${(gflop / (ms / 1000)).toFixed(1).padStart(7)}   ${ratio}`,
    );
  }
}
vgg.dispose();
