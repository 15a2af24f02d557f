// Gradients of the kernels the engine differentiates through. tfjs-core's Node bundle registers no
// gradients (the union package @tensorflow/tfjs does, and its ESM sources cannot be imported from
// Node), so the few the loss graph needs are registered here, with tfjs's own semantics. The convs
// and the Gram matrix carry their own gradients (conv-grad.ts, gram.ts). A gradient already
// registered by someone else (e.g. a loaded @tensorflow/tfjs) is left alone.
import * as tf from '@tensorflow/tfjs-core';

type Saved = tf.Tensor[];
type Attrs = Record<string, unknown>;

/** Sums a broadcast gradient back down to the shape of the input it flowed from. */
function unbroadcast(grad: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, grad.shape);
  const reduced = axes.length > 0 ? tf.sum(grad, axes) : grad;
  return tf.reshape(reduced, shape);
}

/** dy of a reduction, spread back over the reduced axes. */
function spread(dy: tf.Tensor, x: tf.Tensor, axis: unknown): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis as number | number[], x.shape);
  const expanded = x.shape.slice();
  axes.forEach((a) => (expanded[a] = 1));
  return tf.broadcastTo(tf.reshape(dy, expanded), x.shape);
}

const configs: tf.GradConfig[] = [
  {
    kernelName: 'Add',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved: Saved) => ({
      a: () => unbroadcast(dy as tf.Tensor, saved[0].shape),
      b: () => unbroadcast(dy as tf.Tensor, saved[1].shape),
    }),
  },
  {
    kernelName: 'AddN',
    saveAllInputs: true,
    gradFunc: (dy, saved: Saved) => Object.fromEntries(saved.map((_, i) => [i, () => tf.clone(dy as tf.Tensor)])),
  },
  {
    kernelName: 'Sub',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved: Saved) => ({
      a: () => unbroadcast(dy as tf.Tensor, saved[0].shape),
      b: () => unbroadcast(tf.neg(dy as tf.Tensor), saved[1].shape),
    }),
  },
  {
    kernelName: 'Multiply',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved: Saved) => ({
      a: () => unbroadcast(tf.mul(dy as tf.Tensor, saved[1]), saved[0].shape),
      b: () => unbroadcast(tf.mul(dy as tf.Tensor, saved[0]), saved[1].shape),
    }),
  },
  {
    kernelName: 'RealDiv',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved: Saved) => {
      const [a, b] = saved;
      return {
        a: () => unbroadcast(tf.div(dy as tf.Tensor, b), a.shape),
        b: () => unbroadcast(tf.neg(tf.div(tf.mul(dy as tf.Tensor, a), tf.square(b))), b.shape),
      };
    },
  },
  {
    kernelName: 'SquaredDifference',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved: Saved) => {
      const [a, b] = saved;
      return {
        a: () => unbroadcast(tf.mul(dy as tf.Tensor, tf.mul(tf.sub(a, b), 2)), a.shape),
        b: () => unbroadcast(tf.mul(dy as tf.Tensor, tf.mul(tf.sub(b, a), 2)), b.shape),
      };
    },
  },
  {
    kernelName: 'Square',
    inputsToSave: ['x'],
    gradFunc: (dy, saved: Saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(saved[0], 2)) }),
  },
  {
    kernelName: 'Neg',
    gradFunc: (dy) => ({ x: () => tf.neg(dy as tf.Tensor) }),
  },
  {
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, saved: Saved, attrs: Attrs) => ({ x: () => spread(dy as tf.Tensor, saved[0], attrs.axis) }),
  },
  {
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, saved: Saved, attrs: Attrs) => {
      const [x] = saved;
      const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
      const count = axes.reduce((n, a) => n * x.shape[a], 1);
      return { x: () => spread(tf.div(dy as tf.Tensor, count), x, attrs.axis) };
    },
  },
  {
    kernelName: 'Reshape',
    inputsToSave: ['x'],
    gradFunc: (dy, saved: Saved) => ({ x: () => tf.reshape(dy as tf.Tensor, saved[0].shape) }),
  },
  {
    kernelName: 'Slice',
    inputsToSave: ['x'],
    gradFunc: (dy, saved: Saved, attrs: Attrs) => {
      const [x] = saved;
      const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin as number[], attrs.size as number[]);
      const paddings = x.shape.map((n, i) => [begin[i], n - begin[i] - size[i]] as [number, number]);
      return { x: () => tf.pad(dy as tf.Tensor, paddings) };
    },
  },
  {
    // PyTorch's convention: zero gradient at 0.
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved: Saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.step(saved[0])) }),
  },
  {
    kernelName: 'MaxPool',
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved: Saved, attrs: Attrs) => ({
      x: () =>
        tf.engine().runKernel(
          'MaxPoolGrad',
          { dy: dy as tf.Tensor, input: saved[0], output: saved[1] },
          { filterSize: attrs.filterSize, strides: attrs.strides, pad: attrs.pad, dimRoundingMode: attrs.dimRoundingMode } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor,
    }),
  },
  {
    kernelName: 'AvgPool',
    inputsToSave: ['x'],
    gradFunc: (dy, saved: Saved, attrs: Attrs) => ({
      x: () =>
        tf.engine().runKernel(
          'AvgPoolGrad',
          { dy: dy as tf.Tensor, input: saved[0] },
          { filterSize: attrs.filterSize, strides: attrs.strides, pad: attrs.pad } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor,
    }),
  },
];

for (const config of configs) {
  if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);
}

/** Kernel names this module provides gradients for (for tests). */
export const REGISTERED_GRADIENTS: readonly string[] = configs.map((c) => c.kernelName);
