// Gradients of the 2×2, stride-2 pools and of ReLU as ONNX subgraphs, using only ops that ONNX
// Runtime's WebGPU provider implements (no MaxUnpool, no ScatterElements), so the loss graph runs
// on every provider without CPU fallbacks.
//
// Why this shape: on the CPU provider the convs run as NCHWc kernels near the FMA peak and what is
// left is dominated by ops without an NCHWc path. A strided Slice takes ORT's per-element path and
// DepthToSpace costs a full copy, while stride-2 MaxPools (NCHWc), elementwise ops at the pooled
// resolution and one nearest-neighbour Resize are cheap.
import onnxProto from 'onnx-proto';
import type { GraphBuilder } from './graph-builder.ts';

const FLOAT = onnxProto.onnx.TensorProto.DataType.FLOAT;

/** `x` [1, C, ≥h, ≥w] cut to the spatial size `hw` ([h, w], int64) from the top-left corner. */
function cropTo(g: GraphBuilder, x: string, hw: string): string {
  return g.node('Slice', [x, g.ints([0, 0]), hw, g.ints([2, 3])]);
}

/** [1, C, h, w] → [1, C, 2h, 2w], each value repeated over its 2×2 block. */
function upsample2(g: GraphBuilder, x: string): string {
  return g.node('Resize', [x, '', g.floats('scale2', [4], [1, 1, 2, 2])], {
    mode: 'nearest',
    coordinate_transformation_mode: 'asymmetric',
    nearest_mode: 'floor',
  });
}

/**
 * Zero-pads a [1, C, 2h, 2w] gradient to the pool input's [1, C, H, W]: an odd size drops a last
 * row or column from every window, and that row or column gets no gradient.
 * `inputHw` and `pooledHw` are int64 [2] tensors.
 */
export function padToInput(g: GraphBuilder, grad: string, inputHw: string, pooledHw: string): string {
  const covered = g.node('Mul', [pooledHw, g.ints([2])]);
  const pads = g.node('Concat', [g.ints([0, 0, 0, 0, 0, 0]), g.node('Sub', [inputHw, covered])], { axis: 0 });
  return g.node('Pad', [grad, pads]);
}

/** The [0 1; 2 3] window positions in raster order, tiled over a [1, 1, 2h, 2w] plane. */
function windowPositions(g: GraphBuilder, pooledHw: string): string {
  const block = g.floats('window_pos', [1, 1, 2, 2], [0, 1, 2, 3]);
  return g.node('Tile', [block, g.node('Concat', [g.ints([1, 1]), pooledHw], { axis: 0 })]);
}

export interface MaxPoolBackwardInput {
  /** The pool's input [1, C, H, W]. */
  input: string;
  /** Its output [1, C, h, w], h = ⌊H/2⌋, w = ⌊W/2⌋. */
  pooled: string;
  /** d(loss)/d(pooled). */
  grad: string;
  inputHw: string;
  pooledHw: string;
  /**
   * The input is a ReLU's output and no loss enters at that ReLU: apply its mask here, at a
   * quarter of the elements. The gradient only reaches each window's maximum, where the ReLU's
   * output is the pooled value, so `pooled > 0` is that mask.
   */
  reluInput?: boolean;
}

/**
 * Max-pool gradient: each window's gradient goes to its first maximum in raster order, as
 * PyTorch's max_pool2d backward does (ties are common on flat images; an equality mask would count
 * them twice). Three more stride-2 max-pools tell whether the top-left value (A), the top row (T)
 * and the left column (L) hold the maximum; the first maximum's position is then
 * k = 3 − A − 2T − L·(1 − T) (A ⇒ 0; else T ⇒ 1; else L ⇒ 2; else 3), exact because max and
 * equality are.
 */
export function maxPoolBackward(g: GraphBuilder, p: MaxPoolBackwardInput): string {
  const holdsMax = (kernel: [number, number]) => {
    const m = g.node('MaxPool', [p.input], { kernel_shape: kernel, strides: [2, 2] });
    return g.node('Cast', [g.node('Equal', [cropTo(g, m, p.pooledHw), p.pooled])], { to: FLOAT });
  };
  const a = holdsMax([1, 1]);
  const t = holdsMax([1, 2]);
  const l = holdsMax([2, 1]);
  const notTop = g.node('Sub', [g.scalar(1), t]);
  const k = g.node('Sub', [
    g.node('Sub', [g.node('Sub', [g.scalar(3), a]), g.node('Mul', [t, g.scalar(2)])]),
    g.node('Mul', [l, notTop]),
  ]);
  const grad = p.reluInput ? reluBackward(g, p.grad, p.pooled) : p.grad;
  const chosen = g.node('Cast', [g.node('Equal', [upsample2(g, k), windowPositions(g, p.pooledHw)])], { to: FLOAT });
  return padToInput(g, g.node('Mul', [upsample2(g, grad), chosen]), p.inputHw, p.pooledHw);
}

/** Average-pool gradient: a quarter of each window's gradient to each of its four values. */
export function avgPoolBackward(g: GraphBuilder, grad: string, inputHw: string, pooledHw: string): string {
  return padToInput(g, upsample2(g, g.node('Mul', [grad, g.scalar(0.25)])), inputHw, pooledHw);
}

/**
 * PyTorch's threshold_backward: the gradient passes where the ReLU's output `y` is positive. A
 * multiplication by the cast mask, not `Where`: ORT runs Where on its slow generic path (3.5 ms
 * against 0.6 ms on 3.1 M elements).
 */
export function reluBackward(g: GraphBuilder, grad: string, y: string): string {
  return g.node('Mul', [grad, g.node('Cast', [g.node('Greater', [y, g.scalar(0)])], { to: FLOAT })]);
}
