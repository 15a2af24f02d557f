// Total variation of the [0,1] image: (Σ(x[i+1,j]−x[i,j])² + Σ(x[i,j+1]−x[i,j])²) / (C·H·W).
import * as tf from '@tensorflow/tfjs-core';

/** image: [1, H, W, C]. */
export function tvLoss(image: tf.Tensor4D): tf.Scalar {
  const [, h, w, c] = image.shape;
  const down = h > 1 ? tf.sum(tf.square(tf.sub(tf.slice(image, [0, 1, 0, 0], [-1, h - 1, -1, -1]), tf.slice(image, [0, 0, 0, 0], [-1, h - 1, -1, -1])))) : tf.scalar(0);
  const right = w > 1 ? tf.sum(tf.square(tf.sub(tf.slice(image, [0, 0, 1, 0], [-1, -1, w - 1, -1]), tf.slice(image, [0, 0, 0, 0], [-1, -1, w - 1, -1])))) : tf.scalar(0);
  return tf.div(tf.add(down, right), c * h * w);
}
