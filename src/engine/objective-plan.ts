// What an objective needs before any tensor exists: canonical layer lists for the mode, input
// checks with one-line messages, and normalised style-blend weights. Shared by every engine, and
// free of tensor libraries so an ONNX process never loads tfjs.
import { canonicalLayer, VGG_LAYER_NAMES, type StyleOptions } from '../options.ts';
import { EngineError, type RGBImage } from './types.ts';

export type ObjectiveOptions = Pick<
  StyleOptions,
  'mode' | 'contentLayers' | 'styleLayers' | 'contentWeight' | 'styleWeight' | 'tvWeight' | 'pooling' | 'styleBlend'
>;

export interface ObjectivePlan {
  useContent: boolean;
  useStyle: boolean;
  /** Canonical, de-duplicated; empty when the mode does not use the term. */
  contentLayers: string[];
  styleLayers: string[];
  /** Blend weights of the style images, summing to 1 (empty without styles). */
  blend: number[];
}

function canonical(names: readonly string[], what: string): string[] {
  if (names.length === 0) throw new EngineError(`no ${what} layers given`);
  try {
    return [...new Set(names.map(canonicalLayer))];
  } catch (e) {
    throw new EngineError((e as Error).message);
  }
}

/** Smallest image side for which every layer has at least one pixel: 2^(pools up to the deepest layer). */
export function minimumSide(layers: readonly string[]): number {
  let pools = 0;
  for (const name of layers) {
    const index = VGG_LAYER_NAMES.indexOf(name);
    const count = VGG_LAYER_NAMES.slice(0, index + 1).filter((n) => n.startsWith('pool')).length;
    pools = Math.max(pools, count);
  }
  return 2 ** pools;
}

export function checkImage(image: RGBImage, what: string, layers: readonly string[]): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new EngineError(`${what} has a bad size ${width}×${height}`);
  }
  if (data.length !== width * height * 3) {
    throw new EngineError(`${what} has ${data.length} values, expected ${width}×${height}×3`);
  }
  const min = minimumSide(layers);
  if (Math.min(width, height) < min) {
    throw new EngineError(`${what} is ${width}×${height} px: the chosen layers need at least ${min} px per side`);
  }
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

/**
 * Validates the inputs for the mode. Transfer uses content and styles, texture only styles,
 * reconstruct only the content; the absent term is reported as 0 and its layers are not evaluated.
 */
export function planObjective(
  o: ObjectiveOptions,
  content: RGBImage | undefined,
  styles: readonly RGBImage[],
  outputSize?: { width: number; height: number },
): ObjectivePlan {
  const useContent = o.mode !== 'texture';
  const useStyle = o.mode !== 'reconstruct';
  const contentLayers = useContent ? canonical(o.contentLayers, 'content') : [];
  const styleLayers = useStyle ? canonical(o.styleLayers, 'style') : [];
  if (useContent) {
    if (!content) throw new EngineError(`${o.mode} mode needs a content image`);
    checkImage(content, 'the content image', contentLayers);
  }
  if (useStyle) {
    if (styles.length === 0) throw new EngineError(`${o.mode} mode needs at least one style image`);
    styles.forEach((s, i) => checkImage(s, styles.length === 1 ? 'the style image' : `style image ${i + 1}`, styleLayers));
  }
  if (outputSize) {
    const min = minimumSide([...contentLayers, ...styleLayers]);
    if (Math.min(outputSize.width, outputSize.height) < min) {
      throw new EngineError(`the output would be ${outputSize.width}×${outputSize.height} px: the chosen layers need at least ${min} px per side`);
    }
  }
  const blend = useStyle ? normaliseBlend(styles.length, o.styleBlend) : [];
  return { useContent, useStyle, contentLayers, styleLayers, blend };
}
