// A 3×3, stride-1, 'same'-padded convolution with frozen weights and a hand-written input gradient.
// tfjs differentiates conv2d through Conv2DBackpropInput, which the wasm backend runs as a naive
// loop (~14× slower than its XNNPACK forward conv). For stride 1 and symmetric padding, the input
// gradient is itself a forward 'same' conv of dy with the kernel flipped spatially and its in/out
// channels swapped, so the backward pass can use the fast kernel too. The weights never get a
// gradient: VGG is frozen and only the image is optimised.
import * as tf from '@tensorflow/tfjs-core';
import { unaryCustomGrad } from './custom-grad.ts';
import type { ConvWeights } from '../types.ts';

export interface FrozenConv {
  readonly cin: number;
  readonly cout: number;
  /** tfjs layout [3, 3, cin, cout]. */
  readonly filter: tf.Tensor4D;
  /** The input-gradient kernel: filter reversed in both spatial axes, layout [3, 3, cout, cin]. */
  readonly flipped: tf.Tensor4D;
  readonly bias: tf.Tensor1D;
  dispose(): void;
}

const K = 3;

/** torchvision [cout, cin, 3, 3] → tfjs [3, 3, cin, cout] and its flipped [3, 3, cout, cin]. */
export function convertKernel(w: ConvWeights): { filter: Float32Array; flipped: Float32Array } {
  const { cin, cout, weight } = w;
  const filter = new Float32Array(K * K * cin * cout);
  const flipped = new Float32Array(K * K * cin * cout);
  for (let o = 0; o < cout; o++) {
    for (let c = 0; c < cin; c++) {
      for (let i = 0; i < K; i++) {
        for (let j = 0; j < K; j++) {
          const v = weight[((o * cin + c) * K + i) * K + j];
          filter[((i * K + j) * cin + c) * cout + o] = v;
          flipped[(((K - 1 - i) * K + (K - 1 - j)) * cout + o) * cin + c] = v;
        }
      }
    }
  }
  return { filter, flipped };
}

export function createFrozenConv(w: ConvWeights): FrozenConv {
  const { filter, flipped } = convertKernel(w);
  const t = {
    filter: tf.tensor4d(filter, [K, K, w.cin, w.cout]),
    flipped: tf.tensor4d(flipped, [K, K, w.cout, w.cin]),
    bias: tf.tensor1d(w.bias),
  };
  return {
    cin: w.cin,
    cout: w.cout,
    ...t,
    dispose() {
      t.filter.dispose();
      t.flipped.dispose();
      t.bias.dispose();
    },
  };
}

/** The input gradient of a 'same' stride-1 conv, as a forward conv. */
export function convInputGrad(dy: tf.Tensor4D, conv: FrozenConv): tf.Tensor4D {
  return tf.conv2d(dy, conv.flipped, 1, 'same');
}

// tf.fused.conv2d splits itself into conv2d + add + relu whenever a gradient is being recorded
// (it cannot differentiate the fused kernel), which costs two extra passes over the activations.
// The gradient here is custom, so the fused kernel is called directly.
function fusedConv(x: tf.Tensor4D, conv: FrozenConv, activation: 'linear' | 'relu'): tf.Tensor4D {
  const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], activation, leakyreluAlpha: 0.2 };
  return tf.engine().runKernel('FusedConv2D', { x, filter: conv.filter, bias: conv.bias }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** conv(x) + bias, pre-activation. */
export function frozenConv2d(x: tf.Tensor4D, conv: FrozenConv): tf.Tensor4D {
  return unaryCustomGrad((input: tf.Tensor4D) => ({
    value: fusedConv(input, conv, 'linear'),
    gradFunc: (dy: tf.Tensor4D) => convInputGrad(dy, conv),
  }))(x);
}

/**
 * relu(conv(x) + bias) in one fused kernel. The ReLU mask is recovered from the output (y > 0 exactly
 * where the pre-activation is > 0), which is also PyTorch's convention of a zero gradient at 0.
 */
export function frozenConv2dRelu(x: tf.Tensor4D, conv: FrozenConv): tf.Tensor4D {
  return unaryCustomGrad((input: tf.Tensor4D, save) => {
    const y = fusedConv(input, conv, 'relu');
    save([y]);
    return { value: y, gradFunc: (dy: tf.Tensor4D, [saved]) => convInputGrad(tf.mul(dy, tf.step(saved)), conv) };
  })(x);
}

/** ReLU with the mask taken from its output, holding only the output for the backward pass. */
export function reluFromOutput(x: tf.Tensor4D): tf.Tensor4D {
  return unaryCustomGrad((input: tf.Tensor4D, save) => {
    const y = tf.relu(input);
    save([y]);
    return { value: y, gradFunc: (dy: tf.Tensor4D, [saved]) => tf.mul(dy, tf.step(saved)) };
  })(x);
}
