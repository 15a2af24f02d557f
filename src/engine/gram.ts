// Gram matrix of NHWC features: with F = [H·W, C], G = Fᵀ·F / (C·H·W).
// On wasm a matMul with a transpose flag runs near 2 GFLOP/s while a plain one runs near 25, and
// tfjs differentiates matMul with the transposed kind. So the transpose is materialised explicitly
// (memory-bound, cheap) and the gradient is written by hand with plain matMuls:
// dF = F·(dG + dGᵀ) / (C·H·W).
import * as tf from '@tensorflow/tfjs-core';

/** features: [1, H, W, C] → [C, C]. */
export function gram(features: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = features.shape;
  if (n !== 1) throw new Error(`gram: batch of ${n}, expected 1`);
  const scale = c * h * w;
  const op = tf.customGrad((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const f = tf.reshape(input, [h * w, c]) as tf.Tensor2D;
    save([f]);
    const g = tf.div(tf.matMul(tf.transpose(f), f), scale) as tf.Tensor2D;
    return {
      value: g,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dyd = dy as tf.Tensor2D;
        const sym = tf.add(dyd, tf.transpose(dyd)) as tf.Tensor2D;
        const df = tf.matMul(saved[0] as tf.Tensor2D, tf.div(sym, scale) as tf.Tensor2D);
        return [tf.reshape(df, [n, h, w, c])];
      },
    };
  });
  return op(features) as tf.Tensor2D;
}
