// npm run gpu-check [-- --sizes 256,512 --evals 5 --backends onnx-cuda,onnx-webgpu,native-gpu]
// For a person with a GPU: which GPU backends start here, how fast one loss + gradient evaluation
// is on each (gatys preset, The Shipwreck + The Starry Night from scripts/samples/), and how far
// its loss and gradient are from onnx-cpu's on the same image. A correct GPU path shows differences
// at float32 rounding (about 1e-5 relative or less); a wrong one shows them at 1e-2 and up.
// Weights: STYLIZE_WEIGHTS, else models/vgg19.safetensors, else random ones in VGG-19's shapes.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Engine } from '../src/engine/engine.ts';
import { decodeImage } from '../src/engine/image.ts';
import { probeBackend, startEngine } from '../src/engine/start-engine.ts';
import type { EngineBackend } from '../src/engine/backend-names.ts';
import type { RGBImage, VggWeights } from '../src/engine/types.ts';
import { vulkanDrivers } from '../src/engine/vulkan-drivers.ts';
import { loadVggWeights } from '../src/engine/weights/vgg-weights.ts';
import { DEFAULT_MODELS_DIR } from '../src/engine/weights/resolve.ts';
import { resolveOptions } from '../src/options.ts';
import { randomVggWeights } from './lib/random-weights.ts';
import { SAMPLE_CONTENT, SAMPLE_STYLE } from './lib/samples.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '256,512' },
    evals: { type: 'string', default: '5' },
    backends: { type: 'string', default: 'onnx-cuda,onnx-webgpu,native-gpu' },
  },
});

const GPU_BACKENDS = values.backends.split(',') as EngineBackend[];
const evals = Math.max(1, Number(values.evals));
const threads = os.availableParallelism();

async function weights(): Promise<{ weights: VggWeights; what: string }> {
  const file = process.env.STYLIZE_WEIGHTS || path.join(DEFAULT_MODELS_DIR, 'vgg19.safetensors');
  if (existsSync(file)) return { weights: await loadVggWeights(file), what: file };
  return { weights: randomVggWeights(1), what: 'random VGG-19 weights (no weights file found; speed and agreement do not depend on it)' };
}

interface Measured {
  msPerEval: number;
  losses: { content: number; style: number; tv: number; total: number };
  grad: Float32Array;
}

async function measure(engine: Engine, content: RGBImage, style: RGBImage, size: number): Promise<Measured> {
  const options = resolveOptions({ preset: 'gatys', size, tvWeight: 1e-3 });
  const objective = await engine.createObjective(options, content, [style]);
  try {
    const times: number[] = [];
    let last: Awaited<ReturnType<typeof objective.evaluate>> | undefined;
    for (let i = 0; i < evals; i++) {
      const t = performance.now();
      last = await objective.evaluate(content.data, content.width, content.height);
      times.push(performance.now() - t);
    }
    // The first runs of a new session plan memory (and compile shaders on a GPU): leave them out.
    const steady = times.length > 2 ? times.slice(2) : times;
    return { msPerEval: steady.reduce((a, b) => a + b, 0) / steady.length, losses: last!.losses, grad: last!.grad };
  } finally {
    objective.dispose();
  }
}

function compare(a: Measured, ref: Measured): { loss: number; grad: number } {
  let loss = 0;
  for (const k of ['content', 'style', 'tv', 'total'] as const) {
    if (ref.losses[k] !== 0) loss = Math.max(loss, Math.abs(a.losses[k] - ref.losses[k]) / Math.abs(ref.losses[k]));
  }
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.grad.length; i++) {
    diff = Math.max(diff, Math.abs(a.grad[i] - ref.grad[i]));
    scale = Math.max(scale, Math.abs(ref.grad[i]));
  }
  return { loss, grad: diff / scale };
}

const w = await weights();
console.log(`weights: ${w.what}`);
if (process.platform === 'linux') {
  // onnx-webgpu runs on Vulkan here; a software driver (lavapipe) checks the graph, not a GPU's speed.
  const drivers = vulkanDrivers();
  const names = drivers.map((d) => `${path.basename(d.library)}${d.software ? ' (software)' : ''}`);
  console.log(`Vulkan drivers: ${names.length ? names.join(', ') : 'none found'}`);
  if (drivers.some((d) => d.software)) {
    console.log(
      'A software driver is installed: where no GPU driver finds a device, onnx-webgpu below runs on it, and its timings mean nothing for a GPU (auto never uses it); the differences still check the graph.',
    );
  }
}
const started: EngineBackend[] = [];
for (const backend of GPU_BACKENDS) {
  try {
    await probeBackend(backend, threads, true);
    started.push(backend);
    console.log(`${backend.padEnd(12)} starts`);
  } catch (e) {
    console.log(`${backend.padEnd(12)} does not start: ${(e as Error).message.split('\n')[0]}`);
  }
}
if (started.length === 0) {
  console.log('\nNo GPU backend starts on this machine; the engine will use onnx-cpu.');
  process.exit(0);
}

console.log(`\n${evals} evaluations per backend and size (the first two left out of the time)\n`);
console.log('backend       size  WxH       ms/eval   vs onnx-cpu   max loss diff  max grad diff');
const cpu = await startEngine('onnx-cpu', w.weights, threads);
const engines = new Map<EngineBackend, Engine>();
for (const b of started) engines.set(b, await startEngine(b, w.weights, threads));
for (const size of values.sizes.split(',').map(Number)) {
  const content = await decodeImage(SAMPLE_CONTENT, { longSide: size });
  const style = await decodeImage(SAMPLE_STYLE, { longSide: size });
  const ref = await measure(cpu, content, style, size);
  const dims = `${content.width}×${content.height}`.padEnd(9);
  console.log(`${'onnx-cpu'.padEnd(12)}  ${String(size).padStart(4)}  ${dims} ${ref.msPerEval.toFixed(1).padStart(8)}`);
  for (const [b, engine] of engines) {
    try {
      const m = await measure(engine, content, style, size);
      const d = compare(m, ref);
      console.log(
        `${b.padEnd(12)}  ${String(size).padStart(4)}  ${dims} ${m.msPerEval.toFixed(1).padStart(8)}   ${(ref.msPerEval / m.msPerEval).toFixed(1).padStart(5)}× faster  ${d.loss.toExponential(2).padStart(13)}  ${d.grad.toExponential(2).padStart(13)}`,
      );
    } catch (e) {
      console.log(`${b.padEnd(12)}  ${String(size).padStart(4)}  failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
}
await cpu.dispose();
for (const e of engines.values()) await e.dispose();
// Grids run their four candidates one after another because a batch did not win on the CPU; on a
// GPU it may: this is the command that tells.
console.log(`\nA strength grid's four candidates as one batch or four runs on ${started[0]}: npm run bench:grid-batch -- --backend ${started[0]}`);
