// Style loss of one layer: the mean over C×C of (G(x) − G(s))², and the blended target Gram of
// several style images.
import * as tf from '@tensorflow/tfjs-core';
import { gram } from './gram.ts';
export { normaliseBlend } from '../objective-plan.ts';

export function styleLoss(features: tf.Tensor4D, targetGram: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.squaredDifference(gram(features), targetGram));
}

/** The target Gram: Σ weight_i · G(s_i). */
export function blendedGram(grams: readonly tf.Tensor2D[], weights: readonly number[]): tf.Tensor2D {
  return tf.tidy(() => tf.addN(grams.map((g, i) => tf.mul(g, weights[i]))) as tf.Tensor2D);
}
