// Content loss of one layer: the mean over all elements of (F(x) − F(c))².
import * as tf from '@tensorflow/tfjs-core';

export function contentLoss(features: tf.Tensor4D, target: tf.Tensor4D): tf.Scalar {
  return tf.mean(tf.squaredDifference(features, target));
}
