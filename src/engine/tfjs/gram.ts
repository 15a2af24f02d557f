// Gram matrix of NHWC features: with F = [H·W, C], G = Fᵀ·F / (C·H·W).
// On wasm a matMul with a transpose flag runs near 2 GFLOP/s while a plain one runs near 25, and
// tfjs differentiates matMul with the transposed kind. So the transpose is materialised explicitly
// (memory-bound, cheap) and the gradient is written by hand with plain matMuls:
// dF = F·(dG + dGᵀ) / (C·H·W).
import * as tf from '@tensorflow/tfjs-core';
import { unaryCustomGrad } from './custom-grad.ts';

/** features: [1, H, W, C] → [C, C]. */
export function gram(features: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = features.shape;
  if (n !== 1) throw new Error(`gram: batch of ${n}, expected 1`);
  const scale = c * h * w;
  return unaryCustomGrad((input: tf.Tensor4D, save) => {
    save([input]);
    const f = tf.reshape(input, [h * w, c]) as tf.Tensor2D;
    return {
      value: tf.div(tf.matMul(tf.transpose(f), f), scale) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor2D, [saved]) => {
        const sym = tf.div(tf.add(dy, tf.transpose(dy)), scale) as tf.Tensor2D;
        return tf.reshape(tf.matMul(tf.reshape(saved, [h * w, c]) as tf.Tensor2D, sym), [n, h, w, c]);
      },
    };
  })(features);
}
