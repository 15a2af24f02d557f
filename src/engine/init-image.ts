// The optimisation's starting image, at the output size.
import * as tf from '@tensorflow/tfjs-core';
import type { Init } from '../options.ts';
import { noiseImage } from './prng.ts';
import { EngineError, type RGBImage } from './types.ts';

/** Bilinear resize (half-pixel centres, as PyTorch's align_corners=False); a copy when the size matches. */
export function resizeRGB(image: RGBImage, width: number, height: number): Float32Array {
  if (image.data.length !== image.width * image.height * 3) {
    throw new EngineError(`image has ${image.data.length} values, expected ${image.width}×${image.height}×3`);
  }
  if (image.width === width && image.height === height) return image.data.slice();
  return tf.tidy(() => {
    const t = tf.tensor3d(image.data, [image.height, image.width, 3]);
    return tf.image.resizeBilinear(t, [height, width], false, true).dataSync() as Float32Array;
  });
}

export interface InitSources {
  content?: RGBImage;
  styles: readonly RGBImage[];
  initImage?: RGBImage;
  seed: number;
}

export function initialImage(init: Init, width: number, height: number, src: InitSources): Float32Array {
  switch (init) {
    case 'noise':
      return noiseImage(width, height, src.seed);
    case 'content':
      if (!src.content) throw new EngineError('init=content needs a content image');
      return resizeRGB(src.content, width, height);
    case 'style':
      if (!src.styles[0]) throw new EngineError('init=style needs a style image');
      return resizeRGB(src.styles[0], width, height);
    case 'image':
      if (!src.initImage) throw new EngineError('init=image needs an initial image (--init-image)');
      return resizeRGB(src.initImage, width, height);
  }
}
