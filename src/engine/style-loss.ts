// Style loss of one layer: the mean over C×C of (G(x) − G(s))², and the blended target Gram of
// several style images.
import * as tf from '@tensorflow/tfjs-core';
import { gram } from './gram.ts';
import { EngineError } from './types.ts';

export function styleLoss(features: tf.Tensor4D, targetGram: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.squaredDifference(gram(features), targetGram));
}

/** Blend weights normalised to sum 1; undefined = equal weights. */
export function normaliseBlend(count: number, blend?: readonly number[]): number[] {
  const weights = blend ?? new Array<number>(count).fill(1);
  if (weights.length !== count) {
    throw new EngineError(`style blend has ${weights.length} weights for ${count} style image${count === 1 ? '' : 's'}`);
  }
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0) || weights.some((w) => !(w >= 0))) throw new EngineError('style blend weights must be non-negative and not all 0');
  return weights.map((w) => w / total);
}

/** The target Gram: Σ weight_i · G(s_i). */
export function blendedGram(grams: readonly tf.Tensor2D[], weights: readonly number[]): tf.Tensor2D {
  return tf.tidy(() => tf.addN(grams.map((g, i) => tf.mul(g, weights[i]))) as tf.Tensor2D);
}
