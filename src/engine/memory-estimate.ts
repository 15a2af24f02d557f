// Refuses, before any work, an output that would not fit in the backend's memory: the wasm backend
// aborts the whole process when its heap cannot grow, which no try/catch survives.
//
// The peak is one loss+gradient evaluation: the backward pass needs activations of the forward pass.
// Fitted to tf.profile's peakBytes on the wasm backend (64 and 128 px, presets seed/tutorial/gatys
// and single-layer runs; every fit within ±11 %):
//   floats per output pixel ≈ 99 + 2.26·A + 5.11·Lc + 2.02·Ls
// A = Σ channels / 4^(pools before it) over every layer evaluated (up to the deepest used), Lc and Ls
// the same sum over the content and the style loss layers. Gram matrices add a fixed cost. Style
// targets are one forward pass at the style's size, the larger part with --style-scale well above 1.
// The constants follow the engine's memory use: test/engine/memory-estimate.test.ts fails when the
// estimate no longer covers a measured evaluation, or overshoots it by half.
import os from 'node:os';
import { VGG_LAYER_NAMES, canonicalLayer, type StyleOptions } from '../options.ts';
import { EngineError } from './types.ts';

/** wasm32 heap ceiling as tfjs-backend-wasm builds it (4 GiB − 64 KiB). */
export const WASM_HEAP_LIMIT = 4294901760;

const BASE_FLOATS = 99;
const PER_EVALUATED = 2.26;
const PER_CONTENT = 5.11;
const PER_STYLE = 2.02;
/** The fit's spread, and shallow layers running ~10 % above it at 1000 px. */
const FIT_MARGIN = 1.2;
/**
 * The allocator's slack (fragmentation, growth steps) on top of the tensors' own bytes: the wasm heap
 * held 2.66 GiB of tensors in 3.49 GiB (gatys, 923×692) and 3.15 GiB in 3.49 GiB (relu1_1 content
 * only, 1100²). Against the real ceilings, the margins leave the largest size this accepts just under
 * what runs: gatys 923×692 runs and 1024×768 aborts; relu1_1 1100² runs and 1200² aborts, with
 * estimates allowing up to ~923 and ~1120 px.
 */
const ALLOCATOR_SLACK = 1.2;
/** Gram, target, difference and their gradients, per style layer (C×C floats each): ~4.8 measured. */
const GRAM_COPIES = 6;
const FLOAT_BYTES = 4;

export type EstimateOptions = Pick<StyleOptions, 'mode' | 'contentLayers' | 'styleLayers'>;

export interface Size {
  width: number;
  height: number;
}

/** What is optimised at one scale: the output and the style images at the sizes they are decoded. */
export interface Footprint {
  output: Size;
  styles: Size[];
}

export interface MemoryBudget {
  /** For messages: "the wasm backend's 4 GiB heap". */
  what: string;
  limitBytes: number;
  /** Already taken (the VGG weights, the process itself). */
  usedBytes: number;
}

function lossLayers(o: EstimateOptions): { content: string[]; style: string[] } {
  return {
    content: o.mode === 'texture' ? [] : o.contentLayers.map(canonicalLayer),
    style: o.mode === 'reconstruct' ? [] : o.styleLayers.map(canonicalLayer),
  };
}

/** Channels and downsampling (4^pools) of every VGG layer name, from the conv output channels. */
function layerShapes(channels: readonly number[]): Map<string, { channels: number; divisor: number }> {
  const shapes = new Map<string, { channels: number; divisor: number }>();
  let conv = 0;
  let c = 3;
  let divisor = 1;
  for (const name of VGG_LAYER_NAMES) {
    if (name.startsWith('conv')) c = channels[conv++];
    if (name.startsWith('pool')) divisor *= 4;
    shapes.set(name, { channels: c, divisor });
  }
  return shapes;
}

/** Σ channels/4^pools of every layer evaluated up to the deepest of `layers` (floats per input pixel). */
function evaluatedPerPixel(layers: readonly string[], shapes: ReturnType<typeof layerShapes>): number {
  if (layers.length === 0) return 0;
  const deepest = Math.max(...layers.map((l) => VGG_LAYER_NAMES.indexOf(l)));
  let sum = 0;
  // conv and relu share one tensor's worth in the fit (the conv step is counted once).
  for (const name of VGG_LAYER_NAMES.slice(0, deepest + 1)) {
    if (name.startsWith('relu')) continue;
    const s = shapes.get(name)!;
    sum += s.channels / s.divisor;
  }
  return sum;
}

function perPixel(layers: readonly string[], shapes: ReturnType<typeof layerShapes>): number {
  return layers.reduce((sum, l) => {
    const s = shapes.get(l)!;
    return sum + s.channels / s.divisor;
  }, 0);
}

/** Estimated peak tensor bytes of optimising at one scale (with the fit's margin). */
export function estimatePeakBytes(o: EstimateOptions, channels: readonly number[], at: Footprint): number {
  const shapes = layerShapes(channels);
  const { content, style } = lossLayers(o);
  const all = [...new Set([...content, ...style])];
  const pixels = at.output.width * at.output.height;
  const floats =
    BASE_FLOATS + PER_EVALUATED * evaluatedPerPixel(all, shapes) + PER_CONTENT * perPixel(content, shapes) + PER_STYLE * perPixel(style, shapes);
  const evaluation = floats * pixels;
  // A forward pass inside tf.tidy keeps each layer's input and output until the end.
  const styleTargets = Math.max(0, ...at.styles.map((s) => (2 * evaluatedPerPixel(style, shapes) + 6) * s.width * s.height));
  const contentKept = perPixel(content, shapes) * pixels;
  const grams = style.reduce((sum, l) => sum + GRAM_COPIES * shapes.get(l)!.channels ** 2, 0);
  return (Math.max(evaluation, styleTargets) + contentKept + grams) * FLOAT_BYTES * FIT_MARGIN;
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/** cgroup limit if the process has one (Node ≥ 19.6), else physical memory. */
function processMemoryLimit(): number {
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  const total = os.totalmem();
  return constrained && constrained > 0 ? Math.min(constrained, total) : total;
}

/** The machine's (or cgroup's) memory with the process's resident size already taken. */
export function machineMemoryBudget(): MemoryBudget {
  const limit = processMemoryLimit();
  return { what: `this machine's ${gib(limit)} of memory`, limitBytes: limit, usedBytes: process.memoryUsage.rss() };
}

export function fits(peakBytes: number, budget: MemoryBudget): boolean {
  return budget.usedBytes + peakBytes * ALLOCATOR_SLACK <= budget.limitBytes;
}

/**
 * Throws EngineError when optimising at long side `side` would not fit `budget`, naming the largest
 * side that would. `footprintAt` gives the output and style sizes at any long side.
 */
export function checkMemory(
  o: EstimateOptions,
  channels: readonly number[],
  side: number,
  footprintAt: (side: number) => Footprint,
  budget: MemoryBudget | null,
): void {
  if (!budget) return;
  const at = footprintAt(side);
  const need = estimatePeakBytes(o, channels, at);
  if (fits(need, budget)) return;
  let lo = 0;
  let hi = side;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (fits(estimatePeakBytes(o, channels, footprintAt(mid)), budget)) lo = mid;
    else hi = mid;
  }
  const { width, height } = at.output;
  const advice = lo >= 16 ? `the largest size that fits is about ${lo} px` : 'even the smallest size does not fit';
  throw new EngineError(
    `size ${side} (${width}×${height}) needs about ${gib(need * ALLOCATOR_SLACK)} with these layers, more than ${budget.what} can hold: ` +
      `${advice}; lower the size, use shallower layers or a backend without a fixed heap (onnx-cpu)`,
  );
}
