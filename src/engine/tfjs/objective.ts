// The style-transfer objective as tensors: targets (content features, blended style Grams)
// computed once and kept, the weighted loss of an image, and one loss+gradient evaluation.
import * as tf from '@tensorflow/tfjs-core';
import { contentLoss } from './content-loss.ts';
import { recordWithoutCopies } from './custom-grad.ts';
import { gram } from './gram.ts';
import { gramKey, type GramCache } from '../gram-cache.ts';
import type { Evaluation } from '../engine.ts';
import { planObjective, type ObjectiveOptions } from '../objective-plan.ts';
import { blendedGram, styleLoss } from './style-loss.ts';
import { tvLoss } from './tv-loss.ts';
import type { RGBImage } from '../types.ts';
import type { Vgg } from './vgg.ts';

export { checkImage, minimumSide } from '../objective-plan.ts';
export type { Evaluation, ObjectiveOptions };

export interface LossTerms {
  content: tf.Scalar;
  style: tf.Scalar;
  tv: tf.Scalar;
  total: tf.Scalar;
}

export interface StyleObjective {
  readonly contentLayers: readonly string[];
  readonly styleLayers: readonly string[];
  /** The loss terms of image [1, H, W, 3]; call inside tf.tidy or a gradient function. */
  terms(image: tf.Tensor4D): LossTerms;
  /** Loss parts and d(total)/dx of the HWC image x (used as is: clamp before). Leaves no tensors behind. */
  evaluate(x: Float32Array, width: number, height: number): Promise<Evaluation>;
  dispose(): void;
}

function toTensor(image: RGBImage): tf.Tensor4D {
  return tf.tensor4d(image.data, [1, image.height, image.width, 3]);
}

function sumOrZero(terms: tf.Scalar[]): tf.Scalar {
  if (terms.length === 0) return tf.scalar(0);
  return terms.length === 1 ? terms[0] : (tf.addN(terms) as tf.Scalar);
}

/**
 * Builds the objective. Transfer uses content and styles, texture only styles, reconstruct only the
 * content; the absent term is reported as 0 and its layers are not evaluated.
 */
export function createObjective(
  vgg: Vgg,
  o: ObjectiveOptions,
  content: RGBImage | undefined,
  styles: readonly RGBImage[],
  outputSize?: { width: number; height: number },
  gramCache?: GramCache,
): StyleObjective {
  const { useContent, useStyle, contentLayers, styleLayers, blend } = planObjective(o, content, styles, outputSize);
  const allLayers = [...new Set([...contentLayers, ...styleLayers])];

  const contentTargets: Record<string, tf.Tensor4D> = {};
  const styleTargets: Record<string, tf.Tensor2D> = {};
  const kept: tf.Tensor[] = [];
  try {
    if (useContent && content) {
      const feats = tf.tidy(() => vgg.features(toTensor(content), contentLayers, o.pooling));
      Object.assign(contentTargets, feats);
      kept.push(...Object.values(feats));
    }
    if (useStyle) {
      // One style image at a time, so only one set of activations is alive at once.
      const perImage: tf.Tensor2D[][] = [];
      try {
        for (const s of styles) {
          const key = gramCache && gramKey(s, styleLayers, o.pooling);
          const cached = key ? gramCache.lookup(key) : undefined;
          if (cached) {
            perImage.push(cached.map((g) => tf.tensor2d(g, [Math.round(Math.sqrt(g.length)), Math.round(Math.sqrt(g.length))])));
            continue;
          }
          const grams = tf.tidy(() => {
            const feats = vgg.features(toTensor(s), styleLayers, o.pooling);
            return styleLayers.map((l) => gram(feats[l]));
          });
          perImage.push(grams);
          // Read back once (C×C floats per layer) so later jobs with this style skip the VGG pass.
          if (key) gramCache.store(key, grams.map((g) => g.dataSync() as Float32Array));
        }
        styleLayers.forEach((l, j) => {
          styleTargets[l] = blendedGram(
            perImage.map((grams) => grams[j]),
            blend,
          );
          kept.push(styleTargets[l]);
        });
      } finally {
        perImage.flat().forEach((g) => g.dispose());
      }
    }
  } catch (e) {
    kept.forEach((t) => t.dispose());
    throw e;
  }

  const terms = (image: tf.Tensor4D): LossTerms => {
    const feats = vgg.features(image, allLayers, o.pooling);
    const c = sumOrZero(contentLayers.map((l) => contentLoss(feats[l], contentTargets[l])));
    const s = sumOrZero(styleLayers.map((l) => styleLoss(feats[l], styleTargets[l])));
    const tv = tvLoss(image);
    const weighted: tf.Scalar[] = [];
    if (useContent) weighted.push(tf.mul(c, o.contentWeight));
    if (useStyle) weighted.push(tf.mul(s, o.styleWeight));
    weighted.push(tf.mul(tv, o.tvWeight));
    return { content: c, style: s, tv, total: tf.addN(weighted) as tf.Scalar };
  };

  return {
    contentLayers,
    styleLayers,
    terms,
    async evaluate(x, width, height) {
      const image = tf.tensor4d(x, [1, height, width, 3]);
      let parts: tf.Tensor | undefined;
      let result: { value: tf.Scalar; grad: tf.Tensor } | undefined;
      try {
        result = recordWithoutCopies(() =>
          tf.valueAndGrad((img: tf.Tensor) => {
            const t = terms(img as tf.Tensor4D);
            parts = tf.keep(tf.stack([t.content, t.style, t.tv, t.total]));
            return t.total;
          })(image),
        );
        const [values, grad] = await Promise.all([parts!.data(), result.grad.data()]);
        return {
          losses: { content: values[0], style: values[1], tv: values[2], total: values[3] },
          grad: grad as Float32Array,
        };
      } finally {
        image.dispose();
        parts?.dispose();
        result?.value.dispose();
        result?.grad.dispose();
      }
    },
    dispose() {
      kept.forEach((t) => t.dispose());
    },
  };
}

