// VGG-19 and the style-transfer losses as ONNX graphs, with the backward pass written out by hand.
//
// Two models per layer choice: a forward-only one computing the targets of an image (content
// features, Gram matrices), and the loss one whose inputs are the image, the targets and the three
// weights, and whose outputs are content, style, tv, total and d(total)/d(image). H and W are
// symbolic, so one model serves every size. The loss definitions are the tfjs engine's (objective.ts):
// content = mean((F − P)²), Gram = F·Fᵀ/(C·H·W), style = mean((G − A)²), TV = squared neighbour
// differences over C·H·W, on (x − mean)/std.
//
// Only ops that ONNX Runtime's WebGPU provider implements are used (no MaxUnpool, ScatterElements,
// Size, And/Or), so the same graph runs on CPU, CUDA and WebGPU without CPU fallbacks (the pool and
// ReLU gradients are in pool-grad.ts). Spatial sizes come from the image's shape, halved per pool,
// never from `Shape` of a feature map: on the CPU provider the feature maps live in the NCHWc
// layout, and a `Shape` of one costs a full reorder back to NCHW.
import onnxProto from 'onnx-proto';
import { VGG_BLOCKS } from '../../options.ts';
import type { Pooling } from '../../options.ts';
import type { VggWeights } from '../types.ts';
import { GraphBuilder, type Dim } from './graph-builder.ts';
import { avgPoolBackward, maxPoolBackward, reluBackward } from './pool-grad.ts';

const FLOAT = onnxProto.onnx.TensorProto.DataType.FLOAT;

export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];

interface LayerOp {
  kind: 'conv' | 'relu' | 'pool';
  name: string;
  /** Conv index (0..15) for conv ops. */
  conv: number;
}

/** VGG-19's features as single ops in network order: conv{b}_{k}, relu{b}_{k}, …, pool{b}. */
export const VGG_OPS: readonly LayerOp[] = (() => {
  const ops: LayerOp[] = [];
  let conv = 0;
  VGG_BLOCKS.forEach((convs, b) => {
    for (let k = 1; k <= convs; k++) {
      ops.push({ kind: 'conv', name: `conv${b + 1}_${k}`, conv: conv++ });
      ops.push({ kind: 'relu', name: `relu${b + 1}_${k}`, conv: -1 });
    }
    ops.push({ kind: 'pool', name: `pool${b + 1}`, conv: -1 });
  });
  return ops;
})();

export interface LayerChoice {
  /** Canonical names (conv{b}_{k}, relu{b}_{k}, pool{b}); empty in texture mode. */
  contentLayers: readonly string[];
  /** Canonical names; empty in reconstruct mode. */
  styleLayers: readonly string[];
  pooling: Pooling;
}

/** Input and output names of the models. */
export const IO = {
  image: 'image',
  contentTarget: (layer: string) => `content_target.${layer}`,
  styleTarget: (layer: string) => `style_target.${layer}`,
  features: (layer: string) => `features.${layer}`,
  gram: (layer: string) => `gram.${layer}`,
  contentWeight: 'content_weight',
  styleWeight: 'style_weight',
  tvWeight: 'tv_weight',
  content: 'content',
  style: 'style',
  tv: 'tv',
  total: 'total',
  grad: 'grad',
} as const;

function opIndex(name: string): number {
  const i = VGG_OPS.findIndex((op) => op.name === name);
  if (i < 0) throw new Error(`unknown VGG layer "${name}"`);
  return i;
}

/** Channels of a layer's output. */
export function layerChannels(weights: VggWeights, name: string): number {
  let c = 3;
  for (const op of VGG_OPS.slice(0, opIndex(name) + 1)) if (op.kind === 'conv') c = weights[op.conv].cout;
  return c;
}

interface Forward {
  /** The value of each op's output, by op index. */
  outputs: string[];
  /** The input of each op, by op index. */
  inputs: string[];
}

/** Image [1, H, W, 3] in [0,1] → normalised NCHW → VGG ops up to `last`. */
function forward(g: GraphBuilder, weights: VggWeights, image: string, last: number, pooling: Pooling): Forward {
  const nchw = g.node('Transpose', [image], { perm: [0, 3, 1, 2] });
  const mean = g.floats('mean', [1, 3, 1, 1], IMAGENET_MEAN);
  const std = g.floats('std', [1, 3, 1, 1], IMAGENET_STD);
  let h = g.node('Div', [g.node('Sub', [nchw, mean]), std]);
  const outputs: string[] = [];
  const inputs: string[] = [];
  for (let i = 0; i <= last; i++) {
    const op = VGG_OPS[i];
    inputs.push(h);
    if (op.kind === 'conv') {
      const w = weights[op.conv];
      const W = g.floats(`w${op.conv}`, [w.cout, w.cin, 3, 3], w.weight);
      const B = g.floats(`b${op.conv}`, [w.cout], w.bias);
      h = g.node('Conv', [h, W, B], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    } else if (op.kind === 'relu') {
      h = g.node('Relu', [h]);
    } else {
      h = g.node(pooling === 'max' ? 'MaxPool' : 'AveragePool', [h], { kernel_shape: [2, 2], strides: [2, 2] });
    }
    outputs.push(h);
  }
  return { outputs, inputs };
}

/** Pools before op `i` (the level of its input's resolution), or up to and including it with `inclusive`. */
function poolsBefore(i: number, inclusive = false): number {
  return VGG_OPS.slice(0, inclusive ? i + 1 : i).filter((op) => op.kind === 'pool').length;
}

/**
 * Spatial sizes [h, w] (int64 [2]) of each resolution level: the image's [H, W], then ⌊·/2⌋ per
 * pool (2×2, stride 2, no padding). Computed from the image's shape, so no feature map is reordered
 * only to read its shape.
 */
function levelSizes(g: GraphBuilder, image: string): string[] {
  const levels = [g.node('Slice', [g.node('Shape', [image]), g.ints([1]), g.ints([3])])];
  for (let l = 1; l <= VGG_BLOCKS.length; l++) levels.push(g.node('Div', [levels[l - 1], g.ints([2])]));
  return levels;
}

/** C·h·w of a [1, C, h, w] feature map as a float scalar. */
function numelAt(g: GraphBuilder, channels: number, hw: string): string {
  return g.node('Mul', [g.node('Cast', [g.node('ReduceProd', [hw], { keepdims: 0 })], { to: FLOAT }), g.scalar(channels)]);
}

/** F [1, C, H, W] → [C, H·W]. */
function flatten(g: GraphBuilder, f: string, channels: number): string {
  return g.node('Reshape', [f, g.ints([channels, -1])]);
}

/** G = F·Fᵀ / (C·H·W), and the flattened F it was made from. */
function gramOf(g: GraphBuilder, f: string, channels: number, hw: string): { gram: string; flat: string; n: string } {
  const flat = flatten(g, f, channels);
  const n = numelAt(g, channels, hw);
  const gram = g.node('Div', [g.node('MatMul', [flat, g.node('Transpose', [flat], { perm: [1, 0] })]), n]);
  return { gram, flat, n };
}

function sumAll(g: GraphBuilder, values: string[]): string {
  if (values.length === 0) return g.scalar(0);
  return values.reduce((a, b) => g.node('Add', [a, b]));
}

/** Conv input gradient: a forward conv with the kernel flipped in both axes and its channels swapped. */
function flippedKernel(weight: Float32Array, cin: number, cout: number): Float32Array {
  const out = new Float32Array(weight.length);
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < cin; i++) {
      for (let k = 0; k < 9; k++) out[((i * cout + o) * 9) + (8 - k)] = weight[(o * cin + i) * 9 + k];
    }
  }
  return out;
}

function lastOp(layers: readonly string[]): number {
  if (layers.length === 0) throw new Error('no loss layers');
  return Math.max(...layers.map(opIndex));
}

/** The image input [1, H, W, 3]: symbolic H and W, or fixed ones for a model specialised to one size. */
export interface ImageSize {
  width: number;
  height: number;
}

/**
 * Dims of a [1, C, h, w] feature map after `pools` pools. Each resolution needs its own names:
 * ORT takes equal names for equal sizes (the WebGPU provider then reuses buffers between them).
 */
function featureDims(channels: number, pools: number, size: ImageSize | undefined): Dim[] {
  if (!size) return [1, channels, `H${pools}`, `W${pools}`];
  return [1, channels, Math.floor(size.height / 2 ** pools), Math.floor(size.width / 2 ** pools)];
}

function imageInput(g: GraphBuilder, size: ImageSize | undefined): string {
  return g.input(IO.image, [1, size?.height ?? 'H', size?.width ?? 'W', 3]);
}

/** Forward-only model: image → features of each content layer, Gram of each style layer. */
export function buildTargetModel(weights: VggWeights, choice: LayerChoice, size?: ImageSize): Uint8Array {
  const g = new GraphBuilder('stylize_targets');
  const image = imageInput(g, size);
  const levels = levelSizes(g, image);
  const fwd = forward(g, weights, image, lastOp([...choice.contentLayers, ...choice.styleLayers]), choice.pooling);
  for (const layer of choice.contentLayers) {
    const i = opIndex(layer);
    g.output(fwd.outputs[i], IO.features(layer), featureDims(layerChannels(weights, layer), poolsBefore(i, true), size));
  }
  for (const layer of choice.styleLayers) {
    const c = layerChannels(weights, layer);
    const i = opIndex(layer);
    g.output(gramOf(g, fwd.outputs[i], c, levels[poolsBefore(i, true)]).gram, IO.gram(layer), [c, c]);
  }
  return g.encode();
}

/** TV value and its gradient direction on the NHWC image (before the 2·tvw/numel factor). */
function tv(g: GraphBuilder, image: string): { sum: string; dir: string } {
  const diff = (axis: number) =>
    g.node('Sub', [
      g.node('Slice', [image, g.ints([1]), g.ints([2 ** 62]), g.ints([axis])]),
      g.node('Slice', [image, g.ints([0]), g.ints([-1]), g.ints([axis])]),
    ]);
  const pads = (axis: number, atEnd: boolean) => {
    const p = [0, 0, 0, 0, 0, 0, 0, 0];
    p[axis + (atEnd ? 4 : 0)] = 1;
    return g.ints(p);
  };
  let sum: string | undefined;
  let dir: string | undefined;
  for (const axis of [1, 2]) {
    const d = diff(axis);
    const sq = g.node('ReduceSum', [g.node('Mul', [d, d])], { keepdims: 0 });
    // d/dx_k Σ (x_{i+1} − x_i)² = 2·(d_{k−1} − d_k): the differences shifted down minus shifted up.
    const back = g.node('Sub', [g.node('Pad', [d, pads(axis, false)]), g.node('Pad', [d, pads(axis, true)])]);
    sum = sum ? g.node('Add', [sum, sq]) : sq;
    dir = dir ? g.node('Add', [dir, back]) : back;
  }
  return { sum: sum!, dir: dir! };
}

/** The loss model: image, targets and weights → content, style, tv, total and d(total)/d(image). */
export function buildLossModel(weights: VggWeights, choice: LayerChoice, size?: ImageSize): Uint8Array {
  const g = new GraphBuilder('stylize_loss');
  const image = imageInput(g, size);
  const levels = levelSizes(g, image);
  const outputHw = (i: number) => levels[poolsBefore(i, true)];
  const cw = g.input(IO.contentWeight, []);
  const sw = g.input(IO.styleWeight, []);
  const tvw = g.input(IO.tvWeight, []);
  const layers = [...choice.contentLayers, ...choice.styleLayers];
  const last = lastOp(layers);
  const fwd = forward(g, weights, image, last, choice.pooling);

  // Loss gradients entering the backward pass at each op's output.
  const injected = new Map<number, string[]>();
  const inject = (layer: string, grad: string) => {
    const i = opIndex(layer);
    injected.set(i, [...(injected.get(i) ?? []), grad]);
  };

  const contentTerms: string[] = [];
  for (const layer of choice.contentLayers) {
    const i = opIndex(layer);
    const f = fwd.outputs[i];
    const c = layerChannels(weights, layer);
    const target = g.input(IO.contentTarget(layer), featureDims(c, poolsBefore(i, true), size));
    const diff = g.node('Sub', [f, target]);
    contentTerms.push(g.node('ReduceMean', [g.node('Mul', [diff, diff])], { keepdims: 0 }));
    // d(cw·mean(diff²))/dF = 2·cw·diff / numel(F)
    const coef = g.node('Div', [g.node('Mul', [cw, g.scalar(2)]), numelAt(g, c, outputHw(i))]);
    inject(layer, g.node('Mul', [diff, coef]));
  }

  const styleTerms: string[] = [];
  for (const layer of choice.styleLayers) {
    const i = opIndex(layer);
    const f = fwd.outputs[i];
    const c = layerChannels(weights, layer);
    const target = g.input(IO.styleTarget(layer), [c, c]);
    const { gram, flat, n } = gramOf(g, f, c, outputHw(i));
    const diff = g.node('Sub', [gram, target]);
    styleTerms.push(g.node('ReduceMean', [g.node('Mul', [diff, diff])], { keepdims: 0 }));
    // G is symmetric, so d(sw·mean((G−A)²))/dF = 4·sw·(G−A)·F / (C²·N); the C×C factor is the cheap place to scale.
    const coef = g.node('Div', [g.node('Mul', [sw, g.scalar(4 / (c * c))]), n]);
    const dFlat = g.node('MatMul', [g.node('Mul', [diff, coef]), flat]);
    inject(layer, g.node('Reshape', [dFlat, g.node('Concat', [g.ints([1, c]), outputHw(i)], { axis: 0 })]));
  }

  // Backward through VGG from the deepest loss layer to the normalised image.
  let grad: string | undefined;
  // ReLUs whose mask a max-pool gradient already applied at the pooled resolution.
  const masked = new Set<number>();
  for (let i = last; i >= 0; i--) {
    const incoming = [...(grad ? [grad] : []), ...(injected.get(i) ?? [])];
    const out = sumAll(g, incoming);
    const op = VGG_OPS[i];
    if (op.kind === 'relu') {
      grad = masked.has(i) ? out : reluBackward(g, out, fwd.outputs[i]);
    } else if (op.kind === 'pool') {
      const inputHw = levels[poolsBefore(i)];
      const pooledHw = outputHw(i);
      if (choice.pooling === 'max') {
        // A loss at the ReLU feeding the pool needs the full-resolution mask for its own gradient.
        const reluInput = VGG_OPS[i - 1].kind === 'relu' && !injected.has(i - 1);
        if (reluInput) masked.add(i - 1);
        grad = maxPoolBackward(g, { input: fwd.inputs[i], pooled: fwd.outputs[i], grad: out, inputHw, pooledHw, reluInput });
      } else {
        grad = avgPoolBackward(g, out, inputHw, pooledHw);
      }
    } else {
      const w = weights[op.conv];
      const flipped = g.floats(`wflip${op.conv}`, [w.cin, w.cout, 3, 3], flippedKernel(w.weight, w.cin, w.cout));
      grad = g.node('Conv', [out, flipped], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    }
  }
  const std = g.floats('std_grad', [1, 3, 1, 1], IMAGENET_STD);
  const vggGrad = g.node('Transpose', [g.node('Div', [grad!, std])], { perm: [0, 2, 3, 1] });

  const tvTerm = tv(g, image);
  const imageSize = numelAt(g, 3, levels[0]);
  const tvValue = g.node('Div', [tvTerm.sum, imageSize]);
  const tvCoef = g.node('Div', [g.node('Mul', [tvw, g.scalar(2)]), imageSize]);
  const fullGrad = g.node('Add', [vggGrad, g.node('Mul', [tvTerm.dir, tvCoef])]);

  const content = sumAll(g, contentTerms);
  const style = sumAll(g, styleTerms);
  const weighted = [g.node('Mul', [tvValue, tvw])];
  if (choice.contentLayers.length > 0) weighted.push(g.node('Mul', [content, cw]));
  if (choice.styleLayers.length > 0) weighted.push(g.node('Mul', [style, sw]));
  const total = sumAll(g, weighted);

  g.output(content, IO.content, []);
  g.output(style, IO.style, []);
  g.output(tvValue, IO.tv, []);
  g.output(total, IO.total, []);
  g.output(fullGrad, IO.grad, [1, 'H', 'W', 3]);
  return g.encode();
}
