// The starting image without a tensor library: the plain-JS bilinear resize must give the starts the
// tfjs kernel gave (tfjs's cpu backend is the reference here, bit for bit; wasm within float rounding).
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initialImage, resizeRGB } from '../../src/engine/init-image.ts';
import { noiseImage } from '../../src/engine/prng.ts';
import { selectBackend } from '../../src/engine/tfjs/tfjs-backend.ts';
import { EngineError, type RGBImage } from '../../src/engine/types.ts';
import { randomImage } from '../helpers/tiny-vgg.ts';

function tfjsResize(image: RGBImage, width: number, height: number): Float32Array {
  return tf.tidy(() => {
    const t = tf.tensor3d(image.data, [image.height, image.width, 3]);
    return tf.image.resizeBilinear(t, [height, width], false, true).dataSync() as Float32Array;
  });
}

// Down, up, one axis each way, to and from a single pixel, odd ratios.
const CASES: [number, number, number, number][] = [
  [80, 50, 32, 24],
  [17, 13, 40, 29],
  [32, 24, 32, 48],
  [9, 30, 27, 10],
  [1, 1, 5, 3],
  [7, 5, 1, 1],
];

describe('resizeRGB', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it.each(CASES)('%i×%i → %i×%i equals tfjs resizeBilinear (half-pixel centres)', (w, h, width, height) => {
    const image = randomImage(w, h, w * 100 + h);
    const ours = resizeRGB(image, width, height);
    expect(ours).toHaveLength(width * height * 3);
    expect(Array.from(ours)).toEqual(Array.from(tfjsResize(image, width, height)));
  });

  it('copies an image already at the size', () => {
    const image = randomImage(6, 4, 1);
    const out = resizeRGB(image, 6, 4);
    expect(out).toEqual(image.data);
    expect(out).not.toBe(image.data);
  });

  it('keeps a constant image constant and interpolates a ramp linearly', () => {
    const flat = { width: 5, height: 3, data: new Float32Array(45).fill(0.25) };
    expect(Array.from(resizeRGB(flat, 11, 7)).every((v) => v === 0.25)).toBe(true);
    // 2 px wide, values 0 and 1: the 4 px output samples at source x = -0.25, 0.25, 0.75, 1.25 (clamped).
    const ramp = { width: 2, height: 1, data: Float32Array.from([0, 0, 0, 1, 1, 1]) };
    expect(Array.from(resizeRGB(ramp, 4, 1)).filter((_, i) => i % 3 === 0)).toEqual([0, 0.25, 0.75, 1]);
  });

  it('refuses data that does not match the stated size', () => {
    expect(() => resizeRGB({ width: 4, height: 4, data: new Float32Array(47) }, 2, 2)).toThrow(EngineError);
  });
});

describe('initialImage', () => {
  const content = randomImage(8, 6, 2);
  const style = randomImage(12, 10, 3);
  const init = randomImage(5, 5, 4);

  it('starts from the seeded noise, the content, the first style or the init image, at the output size', () => {
    expect(initialImage('noise', 8, 6, { styles: [style], seed: 9 })).toEqual(noiseImage(8, 6, 9));
    expect(initialImage('content', 8, 6, { content, styles: [style], seed: 9 })).toEqual(content.data);
    expect(initialImage('style', 8, 6, { styles: [style], seed: 9 })).toEqual(resizeRGB(style, 8, 6));
    expect(initialImage('image', 8, 6, { styles: [style], initImage: init, seed: 9 })).toEqual(resizeRGB(init, 8, 6));
  });

  it('names the missing input', () => {
    expect(() => initialImage('content', 8, 6, { styles: [style], seed: 1 })).toThrow('init=content needs a content image');
    expect(() => initialImage('style', 8, 6, { styles: [], seed: 1 })).toThrow('init=style needs a style image');
    expect(() => initialImage('image', 8, 6, { styles: [style], seed: 1 })).toThrow('init=image needs an initial image (--init-image)');
  });
});
